/**
 * Marks the bot's audio as AI-generated in a way machines can read (EU AI Act art. 50), without
 * touching a sample: a RIFF `LIST`/`INFO` chunk (ICMT, ISFT) appended to a WAV, here in plain JS; in
 * Ogg/Opus a Vorbis comment that ffmpeg writes (`-metadata comment=…`, see ffmpeg.ts), read back here.
 */

export const AI_MARK = 'AI-generated (XTTS v2)';
/** The ISFT (software) field of the INFO chunk, unless the caller names another. */
export const DEFAULT_SOFTWARE = 'xtts-discord-bot';

/** The comment that marks one clip, e.g. `AI-generated (XTTS v2) · ref abc123`. */
export function aiComment(reference: string): string {
	return `${AI_MARK} · ref ${reference}`;
}

// ---------------------------------------------------------------------------------------------------
// RIFF/WAVE

export interface RiffChunk {
	/** Four printable ASCII characters, e.g. `fmt `, `data`, `LIST`. */
	id: string;
	/** Where the chunk's 8-byte header starts in the file. */
	offset: number;
	/** The body as declared, without the pad byte of an odd size (a view of the file, not a copy). */
	body: Buffer;
	/**
	 * A `data` chunk whose size is unknown (0 or 0xFFFFFFFF, as streaming writers leave it) or runs past
	 * the end of the file: its body is the rest of the file, as parsePcmWav (join.ts) reads it, and it is
	 * the last chunk walked.
	 */
	open: boolean;
}

/**
 * The chunks of a RIFF/WAVE file, in order, walked by their sizes with the pad byte of odd ones (a
 * missing pad byte at the very end is tolerated); undefined when it is no RIFF/WAVE or a chunk is
 * broken (an id that is not ASCII, a chunk other than `data` running past the end, stray bytes).
 */
export function riffChunks(wav: Buffer): RiffChunk[] | undefined {
	if (wav.length < 12 || wav.toString('latin1', 0, 4) !== 'RIFF' || wav.toString('latin1', 8, 12) !== 'WAVE') return undefined;
	const chunks: RiffChunk[] = [];
	let offset = 12;
	while (offset < wav.length) {
		if (offset + 8 > wav.length) return undefined;
		const id = wav.toString('latin1', offset, offset + 4);
		if (!isChunkId(id)) return undefined;
		const size = wav.readUInt32LE(offset + 4);
		const body = offset + 8;
		if (id === 'data' && (size === 0 || size === 0xffffffff || body + size > wav.length)) {
			chunks.push({ id, offset, body: wav.subarray(body), open: true });
			return chunks;
		}
		if (body + size > wav.length) return undefined;
		chunks.push({ id, offset, body: wav.subarray(body, body + size), open: false });
		offset = body + size + (size % 2);
	}
	return chunks;
}

function isChunkId(id: string): boolean {
	for (let i = 0; i < 4; i++) {
		const code = id.charCodeAt(i);
		if (!(code >= 0x20 && code <= 0x7e)) return false;
	}
	return id.length === 4;
}

function isInfoList(chunk: RiffChunk): boolean {
	return chunk.id === 'LIST' && chunk.body.length >= 4 && chunk.body.toString('latin1', 0, 4) === 'INFO';
}

/** The sub-chunks of a `LIST`/`INFO` body, read up to the first NUL of each; a broken tail is ignored. */
function infoFields(list: Buffer): [string, string][] {
	const fields: [string, string][] = [];
	let offset = 4;
	while (offset + 8 <= list.length) {
		const id = list.toString('latin1', offset, offset + 4);
		const size = list.readUInt32LE(offset + 4);
		const body = offset + 8;
		if (!isChunkId(id) || body + size > list.length) break;
		const value = list.subarray(body, body + size);
		const nul = value.indexOf(0);
		fields.push([id, value.toString('utf8', 0, nul < 0 ? value.length : nul)]);
		offset = body + size + (size % 2);
	}
	return fields;
}

/** A `LIST`/`INFO` chunk: each field UTF-8 (as ffmpeg writes them), NUL-terminated, padded to even. */
function infoChunk(fields: Map<string, string>): Buffer {
	const parts: Buffer[] = [];
	for (const [id, text] of fields) {
		const value = Buffer.from(text.replaceAll('\0', ''), 'utf8');
		const size = value.length + 1;
		const header = Buffer.alloc(8);
		header.write(id, 0, 'latin1');
		header.writeUInt32LE(size, 4);
		parts.push(header, value, Buffer.alloc(1 + (size % 2)));
	}
	const body = Buffer.concat(parts);
	const header = Buffer.alloc(12);
	header.write('LIST', 0, 'latin1');
	header.writeUInt32LE(4 + body.length, 4);
	header.write('INFO', 8, 'latin1');
	return Buffer.concat([header, body]);
}

/**
 * A copy of a RIFF/WAVE file with a `LIST`/`INFO` chunk holding ICMT (the comment) and ISFT (the
 * software, default `xtts-discord-bot`), placed after the last chunk so that players that stop at
 * `data` are unaffected, and the RIFF size updated. Every other chunk is copied byte for byte, in
 * order; an INFO chunk the file already has is replaced (its other fields, e.g. INAM, carried over).
 * Undefined, for the caller to send the original, when the file is no well-formed RIFF/WAVE with
 * `fmt ` before `data`, when its `data` size is unknown or runs past the end (a streamed WAV: a chunk
 * after it would be read as samples), or when the result would pass the 4 GiB RIFF limit.
 */
export function markWav(wav: Buffer, fields: { comment: string; software?: string }): Buffer | undefined {
	const chunks = riffChunks(wav);
	if (!chunks || chunks.some((chunk) => chunk.open)) return undefined;
	const fmt = chunks.findIndex((chunk) => chunk.id === 'fmt ');
	const data = chunks.findIndex((chunk) => chunk.id === 'data');
	if (fmt < 0 || data < fmt) return undefined;

	const info = new Map<string, string>();
	for (const chunk of chunks.filter(isInfoList)) for (const [id, value] of infoFields(chunk.body)) if (!info.has(id)) info.set(id, value);
	info.set('ICMT', fields.comment);
	info.set('ISFT', fields.software ?? DEFAULT_SOFTWARE);

	const parts: Buffer[] = [wav.subarray(0, 12)];
	for (const chunk of chunks) {
		if (isInfoList(chunk)) continue;
		const end = chunk.offset + 8 + chunk.body.length;
		const padded = end + (chunk.body.length % 2);
		// The pad byte as written, or a 0 where the last chunk lacks it.
		parts.push(wav.subarray(chunk.offset, Math.min(padded, wav.length)), Buffer.alloc(Math.max(0, padded - wav.length)));
	}
	parts.push(infoChunk(info));
	const out = Buffer.concat(parts);
	if (out.length - 8 > 0xffffffff) return undefined;
	out.writeUInt32LE(out.length - 8, 4);
	return out;
}

/**
 * The fields of a WAV's `LIST`/`INFO` chunk(s), e.g. `{ ICMT: '…', ISFT: '…' }` ({} when it has none);
 * undefined when it is no RIFF/WAVE. Reads a streamed WAV's INFO too, if it comes before `data`.
 */
export function readWavInfo(wav: Buffer): Record<string, string> | undefined {
	const chunks = riffChunks(wav);
	if (!chunks) return undefined;
	const info: Record<string, string> = {};
	for (const chunk of chunks.filter(isInfoList)) for (const [id, value] of infoFields(chunk.body)) info[id] ??= value;
	return info;
}

// ---------------------------------------------------------------------------------------------------
// Ogg

/** CRC-32 of Ogg pages: polynomial 0x04C11DB7, not reflected, initial value 0, no final xor. */
const CRC_TABLE = (() => {
	const table = new Uint32Array(256);
	for (let i = 0; i < 256; i++) {
		let r = i << 24;
		for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
		table[i] = r >>> 0;
	}
	return table;
})();

/** The CRC of a page, computed with its own CRC field (bytes 22–25) taken as zeros. */
function pageCrc(page: Buffer): number {
	let crc = 0;
	for (let i = 0; i < page.length; i++) {
		const byte = i >= 22 && i < 26 ? 0 : (page[i] ?? 0);
		crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
	}
	return crc;
}

/**
 * The comment header of an Ogg stream, Opus (`OpusTags`) or Vorbis (`\x03vorbis`): its vendor string
 * and its `KEY=value` entries as written. Pages are walked from the start (capture pattern `OggS`,
 * version 0, CRC checked) and packets put together across pages per logical stream; undefined when
 * the buffer is no Ogg, a page is broken, or no stream has a comment header.
 */
export function readOggComments(ogg: Buffer): { vendor: string; comments: string[] } | undefined {
	/** Per serial number: the pieces of the packet in progress; undefined while skipping one begun before the walk saw it. */
	const pending = new Map<number, Buffer[] | undefined>();
	let offset = 0;
	while (offset < ogg.length) {
		if (offset + 27 > ogg.length || ogg.toString('latin1', offset, offset + 4) !== 'OggS' || ogg[offset + 4] !== 0) return undefined;
		const continued = ((ogg[offset + 5] ?? 0) & 0x01) !== 0;
		const serial = ogg.readUInt32LE(offset + 14);
		const tableEnd = offset + 27 + (ogg[offset + 26] ?? 0);
		if (tableEnd > ogg.length) return undefined;
		const lacing = ogg.subarray(offset + 27, tableEnd);
		const end = tableEnd + lacing.reduce((sum, value) => sum + value, 0);
		if (end > ogg.length || pageCrc(ogg.subarray(offset, end)) !== ogg.readUInt32LE(offset + 22)) return undefined;

		// A page that continues no packet drops an unfinished one; one that continues a packet never seen skips it.
		let pieces: Buffer[] | undefined = continued ? pending.get(serial) : [];
		let start = tableEnd;
		let position = tableEnd;
		for (const value of lacing) {
			position += value;
			if (value === 255) continue;
			if (pieces) {
				pieces.push(ogg.subarray(start, position));
				const comments = commentHeader(Buffer.concat(pieces));
				if (comments) return comments;
			}
			pieces = [];
			start = position;
		}
		if (position > start) pieces?.push(ogg.subarray(start, position));
		pending.set(serial, pieces);
		offset = end;
	}
	return undefined;
}

/** An Opus or Vorbis comment header: vendor, then a count of entries, each length-prefixed (little-endian uint32). */
function commentHeader(packet: Buffer): { vendor: string; comments: string[] } | undefined {
	let offset: number;
	if (packet.length >= 8 && packet.toString('latin1', 0, 8) === 'OpusTags') offset = 8;
	else if (packet.length >= 7 && packet[0] === 3 && packet.toString('latin1', 1, 7) === 'vorbis') offset = 7;
	else return undefined;

	const read = (): string | undefined => {
		if (offset + 4 > packet.length) return undefined;
		const length = packet.readUInt32LE(offset);
		if (offset + 4 + length > packet.length) return undefined;
		offset += 4 + length;
		return packet.toString('utf8', offset - length, offset);
	};
	const vendor = read();
	if (vendor === undefined || offset + 4 > packet.length) return undefined;
	const count = packet.readUInt32LE(offset);
	offset += 4;
	if (count > (packet.length - offset) / 4) return undefined;
	const comments: string[] = [];
	for (let i = 0; i < count; i++) {
		const comment = read();
		if (comment === undefined) return undefined;
		comments.push(comment);
	}
	return { vendor, comments };
}
