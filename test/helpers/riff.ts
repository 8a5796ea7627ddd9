/** RIFF files built byte by byte, independent of the code under test, to control every field. */

export function chunk(id: string, body: Buffer, declaredSize = body.length): Buffer {
	const header = Buffer.alloc(8);
	header.write(id, 0, 'latin1');
	header.writeUInt32LE(declaredSize, 4);
	return Buffer.concat([header, body, Buffer.alloc(body.length % 2)]);
}

export function riff(...chunks: Buffer[]): Buffer {
	const body = Buffer.concat(chunks);
	const header = Buffer.alloc(12);
	header.write('RIFF', 0, 'latin1');
	header.writeUInt32LE(4 + body.length, 4);
	header.write('WAVE', 8, 'latin1');
	return Buffer.concat([header, body]);
}
