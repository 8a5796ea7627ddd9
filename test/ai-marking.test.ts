import { describe, expect, it } from 'vitest';
import { AI_MARK, aiComment, markWav, readOggComments, readWavInfo, riffChunks } from '../src/audio/ai-marking.js';
import { detectFfmpeg, runFfmpeg, transcodeToOpus } from '../src/audio/ffmpeg.js';
import { joinAudio, parsePcmWav } from '../src/audio/join.js';
import { toVoiceMessage } from '../src/audio/voice-message.js';
import { makeWav } from './fakes/xtts-api.js';
import { chunk, riff } from './helpers/riff.js';

const ffmpeg = await detectFfmpeg();
if (!ffmpeg) {
	if (process.env.REQUIRE_FFMPEG === '1') throw new Error('REQUIRE_FFMPEG=1 but ffmpeg (with libopus) is not on the PATH');
	console.warn('⚠️  ffmpeg is not on the PATH: the AI-marking tests with ffmpeg are SKIPPED (apt-get install ffmpeg to run them)');
}

const COMMENT = aiComment('test-ref');

// --- RIFF by hand, independent of the module under test -------------------------------------------

/** Chunks of a file walked by hand (ids, and each chunk's bytes including its header and pad), checking they tile the file. */
function tiles(file: Buffer): { id: string; bytes: Buffer }[] {
	const out: { id: string; bytes: Buffer }[] = [];
	let offset = 12;
	while (offset < file.length) {
		const size = file.readUInt32LE(offset + 4);
		const end = offset + 8 + size + (size % 2);
		expect(end).toBeLessThanOrEqual(file.length);
		out.push({ id: file.toString('latin1', offset, offset + 4), bytes: file.subarray(offset, end) });
		offset = end;
	}
	expect(offset).toBe(file.length);
	return out;
}

function fmtAndData(wav: Buffer): { fmt: Buffer; data: Buffer } {
	const all = tiles(wav);
	const fmt = all.find((c) => c.id === 'fmt ');
	const data = all.find((c) => c.id === 'data');
	expect(fmt && data).toBeTruthy();
	return { fmt: fmt!.bytes, data: data!.bytes };
}

describe('aiComment', () => {
	it('names the model and the reference', () => {
		expect(AI_MARK).toBe('AI-generated (XTTS v2)');
		expect(aiComment('abc123')).toBe('AI-generated (XTTS v2) · ref abc123');
	});
});

describe('markWav', () => {
	it('appends a LIST/INFO chunk after data, leaves fmt and data byte-identical, and fixes the RIFF size', () => {
		const wav = makeWav();
		const marked = markWav(wav, { comment: COMMENT });
		expect(marked).toBeDefined();
		const m = marked!;
		expect(m.toString('latin1', 0, 4)).toBe('RIFF');
		expect(m.readUInt32LE(4)).toBe(m.length - 8);
		expect(m.toString('latin1', 8, 12)).toBe('WAVE');
		// Everything after the RIFF size is the input as it was, then the new chunk.
		expect(m.subarray(8, wav.length).equals(wav.subarray(8))).toBe(true);
		expect(tiles(m).map((c) => c.id)).toEqual(['fmt ', 'data', 'LIST']);
		const before = fmtAndData(wav);
		const after = fmtAndData(m);
		expect(after.fmt.equals(before.fmt)).toBe(true);
		expect(after.data.equals(before.data)).toBe(true);
		expect(readWavInfo(m)).toEqual({ ICMT: 'AI-generated (XTTS v2) · ref test-ref', ISFT: 'xtts-discord-bot' });
		// The input was not written to.
		expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
		expect(readWavInfo(wav)).toEqual({});
	});

	it('writes the INFO strings NUL-terminated and pads odd sizes, byte for byte', () => {
		const marked = markWav(makeWav({ seconds: 0.01 }), { comment: 'ab', software: 'sw1' })!;
		const list = tiles(marked).at(-1)!;
		const expected = Buffer.concat([
			Buffer.from('LIST', 'latin1'),
			Buffer.from([4 + 12 + 12, 0, 0, 0]),
			Buffer.from('INFO', 'latin1'),
			Buffer.from('ICMT', 'latin1'),
			Buffer.from([3, 0, 0, 0]),
			Buffer.from('ab\0\0', 'latin1'), // 'ab', NUL, pad
			Buffer.from('ISFT', 'latin1'),
			Buffer.from([4, 0, 0, 0]),
			Buffer.from('sw1\0', 'latin1'), // even: no pad
		]);
		expect(list.bytes.equals(expected)).toBe(true);
		expect(marked.length % 2).toBe(0);
		expect(readWavInfo(marked)).toEqual({ ICMT: 'ab', ISFT: 'sw1' });
	});

	it('replaces an INFO chunk it finds (wherever it is) instead of adding a second, keeping its other fields', () => {
		const once = markWav(makeWav(), { comment: 'first' })!;
		const twice = markWav(once, { comment: COMMENT })!;
		expect(tiles(twice).map((c) => c.id)).toEqual(['fmt ', 'data', 'LIST']);
		expect(twice.readUInt32LE(4)).toBe(twice.length - 8);
		expect(readWavInfo(twice)).toEqual({ ICMT: COMMENT, ISFT: 'xtts-discord-bot' });
		expect(markWav(twice, { comment: COMMENT })!.equals(twice)).toBe(true);

		// As ffmpeg writes it: INFO between fmt and data; and another LIST type that must stay.
		const info = Buffer.concat([Buffer.from('INFO'), chunk('INAM', Buffer.from('title\0')), chunk('ISFT', Buffer.from('Lavf59\0'))]);
		const adtl = Buffer.concat([Buffer.from('adtl'), chunk('labl', Buffer.from('\0\0\0\0x\0'))]);
		const fmt = riffChunks(makeWav())![0]!.body;
		const samples = Buffer.from([1, 2, 3, 4, 5, 6]);
		const wav = riff(chunk('fmt ', fmt), chunk('LIST', info), chunk('data', samples), chunk('LIST', adtl));
		const marked = markWav(wav, { comment: COMMENT })!;
		const ids = tiles(marked);
		expect(ids.map((c) => c.id)).toEqual(['fmt ', 'data', 'LIST', 'LIST']);
		expect(ids[2]!.bytes.equals(chunk('LIST', adtl))).toBe(true);
		expect(ids[1]!.bytes.equals(chunk('data', samples))).toBe(true);
		expect(readWavInfo(marked)).toEqual({ INAM: 'title', ICMT: COMMENT, ISFT: 'xtts-discord-bot' });
	});

	it('copies odd-sized chunks with their pad, and adds the pad a last odd chunk lacks', () => {
		const fmt = riffChunks(makeWav())![0]!.body;
		const odd = chunk('junk', Buffer.from([9, 9, 9]));
		const wav = riff(chunk('fmt ', fmt), odd, chunk('data', Buffer.from([7, 7, 7, 7])), chunk('xtra', Buffer.from([5])));
		const unpadded = wav.subarray(0, wav.length - 1);
		unpadded.writeUInt32LE(unpadded.length - 8, 4);
		const marked = markWav(unpadded, { comment: COMMENT })!;
		const all = tiles(marked);
		expect(all.map((c) => c.id)).toEqual(['fmt ', 'junk', 'data', 'xtra', 'LIST']);
		expect(all[1]!.bytes.equals(odd)).toBe(true);
		expect(all[3]!.bytes.equals(chunk('xtra', Buffer.from([5])))).toBe(true);
	});

	it('refuses what is not a well-formed RIFF/WAVE, so that the caller sends the original', () => {
		const wav = makeWav();
		expect(markWav(Buffer.from('OggS not a wav at all'), { comment: COMMENT })).toBeUndefined();
		expect(markWav(Buffer.alloc(0), { comment: COMMENT })).toBeUndefined();
		const avi = Buffer.from(wav);
		avi.write('AVI ', 8, 'latin1');
		expect(markWav(avi, { comment: COMMENT })).toBeUndefined();
		// fmt cut short, no data at all, data before fmt, stray bytes after the last chunk.
		expect(markWav(wav.subarray(0, 30), { comment: COMMENT })).toBeUndefined();
		const fmt = riffChunks(wav)![0]!.body;
		expect(markWav(riff(chunk('fmt ', fmt)), { comment: COMMENT })).toBeUndefined();
		expect(markWav(riff(chunk('data', Buffer.alloc(4)), chunk('fmt ', fmt)), { comment: COMMENT })).toBeUndefined();
		expect(markWav(Buffer.concat([wav, Buffer.from([1, 2, 3])]), { comment: COMMENT })).toBeUndefined();
		expect(readWavInfo(Buffer.from('not a wav'))).toBeUndefined();
	});

	it('does not append to a streamed or truncated WAV (its data would swallow the chunk)', () => {
		const wav = makeWav();
		for (const size of [0, 0xffffffff]) {
			const streamed = Buffer.from(wav);
			streamed.writeUInt32LE(size, 40);
			expect(markWav(streamed, { comment: COMMENT })).toBeUndefined();
		}
		expect(markWav(wav.subarray(0, wav.length - 10), { comment: COMMENT })).toBeUndefined();
	});

	it('leaves parsePcmWav reading the same samples', () => {
		const wav = makeWav({ seconds: 0.3, sampleRate: 24_000, channels: 2 });
		const marked = markWav(wav, { comment: COMMENT })!;
		const before = parsePcmWav(wav)!;
		const after = parsePcmWav(marked)!;
		expect(after.format).toEqual(before.format);
		expect(after.fmtChunk.equals(before.fmtChunk)).toBe(true);
		expect(after.data.length).toBe(7200 * 4);
		expect(after.data.equals(before.data)).toBe(true);
	});
});

// --- Ogg by hand: pages with their own CRC (written here again, so that a wrong one in the module shows) ---

function crc32Ogg(page: Buffer): number {
	let crc = 0;
	for (const byte of page) {
		crc ^= byte << 24;
		for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
		crc >>>= 0;
	}
	return crc;
}

/** One page holding `lacing`'s segments of `body`. headerType: 1 continued, 2 first page, 4 last. */
function oggPage(serial: number, sequence: number, headerType: number, lacing: number[], body: Buffer): Buffer {
	const header = Buffer.alloc(27);
	header.write('OggS', 0, 'latin1');
	header[5] = headerType;
	header.writeUInt32LE(serial, 14);
	header.writeUInt32LE(sequence, 18);
	header[26] = lacing.length;
	const page = Buffer.concat([header, Buffer.from(lacing), body]);
	page.writeUInt32LE(crc32Ogg(page), 22);
	return page;
}

/** Lacing values of one whole packet (a multiple of 255 ends with a 0). */
function lacingOf(length: number): number[] {
	return [...Array<number>(Math.floor(length / 255)).fill(255), length % 255];
}

function commentPacket(magic: Buffer, vendor: string, comments: string[]): Buffer {
	const field = (text: string) => {
		const bytes = Buffer.from(text, 'utf8');
		const length = Buffer.alloc(4);
		length.writeUInt32LE(bytes.length);
		return Buffer.concat([length, bytes]);
	};
	const count = Buffer.alloc(4);
	count.writeUInt32LE(comments.length);
	return Buffer.concat([magic, field(vendor), count, ...comments.map(field)]);
}

describe('readOggComments', () => {
	const head = Buffer.concat([Buffer.from('OpusHead'), Buffer.from([1, 1, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0])]);

	it('reads an OpusTags packet that spans two pages', () => {
		const tags = commentPacket(Buffer.from('OpusTags'), 'vendor ✓', [`comment=${COMMENT}`, 'x'.repeat(600)]);
		expect(tags.length).toBeGreaterThan(510);
		const lacing = lacingOf(tags.length);
		const ogg = Buffer.concat([
			oggPage(7, 0, 2, lacingOf(head.length), head),
			oggPage(7, 1, 0, lacing.slice(0, 2), tags.subarray(0, 510)),
			oggPage(7, 2, 1, lacing.slice(2), tags.subarray(510)),
		]);
		expect(readOggComments(ogg)).toEqual({ vendor: 'vendor ✓', comments: [`comment=${COMMENT}`, 'x'.repeat(600)] });
		// Without the page that finishes it, there is no comment header.
		expect(readOggComments(ogg.subarray(0, ogg.length - (27 + 1 + tags.length - 510)))).toBeUndefined();
	});

	it('reads a Vorbis comment header, and a packet of exactly 255 bytes', () => {
		const tags = commentPacket(Buffer.concat([Buffer.from([3]), Buffer.from('vorbis')]), 'Xiph', ['COMMENT=hi', 'y'.repeat(217)]);
		const padded = Buffer.concat([tags, Buffer.from([1])]); // the framing bit
		expect(padded.length).toBe(255);
		const ogg = Buffer.concat([oggPage(3, 0, 2, [30], Buffer.alloc(30)), oggPage(3, 1, 0, [255], padded), oggPage(3, 2, 1, [0], Buffer.alloc(0))]);
		expect(readOggComments(ogg)).toEqual({ vendor: 'Xiph', comments: ['COMMENT=hi', 'y'.repeat(217)] });
	});

	it('refuses what is not Ogg, a bad CRC, a count or length past the packet', () => {
		expect(readOggComments(makeWav())).toBeUndefined();
		expect(readOggComments(Buffer.alloc(0))).toBeUndefined();
		const tags = commentPacket(Buffer.from('OpusTags'), 'v', ['a=b']);
		const good = Buffer.concat([oggPage(1, 0, 2, lacingOf(head.length), head), oggPage(1, 1, 0, lacingOf(tags.length), tags)]);
		expect(readOggComments(good)).toEqual({ vendor: 'v', comments: ['a=b'] });
		const badCrc = Buffer.from(good);
		badCrc[badCrc.length - 1] = 'c'.charCodeAt(0);
		expect(readOggComments(badCrc)).toBeUndefined();
		const badCount = Buffer.from(tags);
		badCount.writeUInt32LE(2, 8 + 4 + 1);
		expect(readOggComments(oggPage(1, 1, 0, lacingOf(badCount.length), badCount))).toBeUndefined();
		const badLength = Buffer.from(tags);
		badLength.writeUInt32LE(4, 8 + 4 + 1 + 4);
		expect(readOggComments(oggPage(1, 1, 0, lacingOf(badLength.length), badLength))).toBeUndefined();
	});
});

/** The entries whose key is `key` (compared without case), as `KEY=value` strings. */
function entries(ogg: Buffer, key: string): string[] {
	const tags = readOggComments(ogg);
	expect(tags).toBeDefined();
	return tags!.comments.filter((entry) => entry.split('=', 1)[0]!.toLowerCase() === key.toLowerCase());
}

/** What ffmpeg writes for `-metadata comment=…` in Ogg: the Vorbis comment DESCRIPTION (it reads it back as `comment`). */
const MARK_ENTRY = /^description=AI-generated \(XTTS v2\) · ref test-ref$/i;

describe.skipIf(!ffmpeg)('with ffmpeg', () => {
	it('transcodeToOpus writes the comment into OpusTags, and nothing without one', async () => {
		const marked = (await transcodeToOpus(ffmpeg!, makeWav(), Number.POSITIVE_INFINITY, undefined, COMMENT))!;
		const tags = readOggComments(marked)!;
		expect(tags.vendor).toMatch(/^Lavf/);
		expect(tags.comments.filter((entry) => MARK_ENTRY.test(entry))).toHaveLength(1);
		expect(entries(marked, 'description')).toEqual([`DESCRIPTION=${COMMENT}`]);
		expect(tags.comments.some((entry) => entry.includes(AI_MARK))).toBe(true);

		const plain = (await transcodeToOpus(ffmpeg!, makeWav(), Number.POSITIVE_INFINITY))!;
		const plainTags = readOggComments(plain)!;
		expect(plainTags.comments.length).toBeGreaterThan(0); // the encoder= entry
		expect(plainTags.comments.some((entry) => entry.includes(AI_MARK))).toBe(false);
		expect(entries(plain, 'description')).toEqual([]);

		// ffmpeg's own view of the stream: the key it reads back is `comment`.
		const probed = await runFfmpeg(ffmpeg!, ['-i', 'pipe:0', '-map_metadata', '0:s:0', '-f', 'ffmetadata', 'pipe:1'], { input: marked });
		expect(probed.toString('utf8')).toContain(`comment=${COMMENT}`);
	});

	it('a tampered page fails its CRC', async () => {
		const marked = Buffer.from((await transcodeToOpus(ffmpeg!, makeWav(), Number.POSITIVE_INFINITY, undefined, COMMENT))!);
		const at = marked.indexOf('test-ref');
		expect(at).toBeGreaterThan(0);
		marked[at] = 'T'.charCodeAt(0);
		expect(readOggComments(marked)).toBeUndefined();
	});

	it('toVoiceMessage carries the comment, and nothing without one', async () => {
		const marked = await toVoiceMessage(makeWav({ seconds: 1 }), ffmpeg!, { comment: COMMENT });
		expect(readOggComments(marked.data)!.comments.filter((entry) => MARK_ENTRY.test(entry))).toHaveLength(1);
		expect(marked.durationSecs).toBeGreaterThan(0.9);

		const plain = await toVoiceMessage(makeWav({ seconds: 1 }), ffmpeg!);
		expect(readOggComments(plain.data)!.comments.some((entry) => entry.includes(AI_MARK))).toBe(false);
	});

	it('joinAudio carries the comment when it joins non-WAV parts with ffmpeg', async () => {
		const part = (await transcodeToOpus(ffmpeg!, makeWav(), Number.POSITIVE_INFINITY))!;
		expect(readOggComments(part)!.comments.some((entry) => entry.includes(AI_MARK))).toBe(false);

		const joined = await joinAudio([part, part], { ffmpegPath: ffmpeg!, comment: COMMENT });
		expect(joined.ext).toBe('ogg');
		expect(readOggComments(joined.data)!.comments.filter((entry) => MARK_ENTRY.test(entry))).toHaveLength(1);

		const plain = await joinAudio([part, part], { ffmpegPath: ffmpeg! });
		expect(readOggComments(plain.data)!.comments.some((entry) => entry.includes(AI_MARK))).toBe(false);
	});

	it('reads a WAV ffmpeg streamed (INFO before data of unknown size), and does not append to it', async () => {
		const streamed = await runFfmpeg(ffmpeg!, ['-i', 'pipe:0', '-metadata', 'comment=hello', '-f', 'wav', 'pipe:1'], { input: makeWav() });
		expect(streamed.readUInt32LE(4)).toBe(0xffffffff);
		expect(readWavInfo(streamed)).toMatchObject({ ICMT: 'hello', ISFT: expect.stringMatching(/^Lavf/) });
		expect(markWav(streamed, { comment: COMMENT })).toBeUndefined();
	});
});
