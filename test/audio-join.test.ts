import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { wavDurationSeconds } from '../src/audio/formats.js';
import { AudioJoinError, DEFAULT_PAUSE_MS, joinAudio, parsePcmWav } from '../src/audio/join.js';
import { detectFfmpeg, runFfmpeg, transcodeToOpus } from '../src/audio/ffmpeg.js';
import { makeWav } from './fakes/xtts-api.js';
import { chunk, riff } from './helpers/riff.js';

const ffmpeg = await detectFfmpeg();
if (!ffmpeg) {
	if (process.env.REQUIRE_FFMPEG === '1') throw new Error('REQUIRE_FFMPEG=1 but ffmpeg (with libopus) is not on the PATH');
	console.warn('⚠️  ffmpeg is not on the PATH: the audio-join tests with ffmpeg are SKIPPED (apt-get install ffmpeg to run them)');
}

// --- building WAVs byte by byte, to control every field ------------------------------------------

function fmtBody(opts: { tag?: number; channels?: number; sampleRate?: number; bits?: number }): Buffer {
	const { tag = 1, channels = 1, sampleRate = 16_000, bits = 16 } = opts;
	const blockAlign = channels * Math.ceil(bits / 8);
	const body = Buffer.alloc(16);
	body.writeUInt16LE(tag, 0);
	body.writeUInt16LE(channels, 2);
	body.writeUInt32LE(sampleRate, 4);
	body.writeUInt32LE(sampleRate * blockAlign, 8);
	body.writeUInt16LE(blockAlign, 12);
	body.writeUInt16LE(bits, 14);
	return body;
}

/** A 16-bit PCM WAV whose every sample is `value`: its samples show where each part landed. */
function constantWav(seconds: number, value: number, opts: { sampleRate?: number; channels?: number } = {}): Buffer {
	const { sampleRate = 16_000, channels = 1 } = opts;
	const data = Buffer.alloc(Math.round(seconds * sampleRate) * channels * 2);
	for (let i = 0; i < data.length; i += 2) data.writeInt16LE(value, i);
	return riff(chunk('fmt ', fmtBody({ sampleRate, channels })), chunk('data', data));
}

/** The chunks of a RIFF file, in order, checking that their sizes tile the file exactly. */
function chunksOf(file: Buffer): { id: string; size: number; body: Buffer }[] {
	expect(file.toString('latin1', 0, 4)).toBe('RIFF');
	expect(file.readUInt32LE(4)).toBe(file.length - 8);
	expect(file.toString('latin1', 8, 12)).toBe('WAVE');
	const chunks: { id: string; size: number; body: Buffer }[] = [];
	let offset = 12;
	while (offset < file.length) {
		const size = file.readUInt32LE(offset + 4);
		chunks.push({ id: file.toString('latin1', offset, offset + 4), size, body: file.subarray(offset + 8, offset + 8 + size) });
		offset += 8 + size + (size % 2);
	}
	expect(offset).toBe(file.length);
	return chunks;
}

/** Run-length encoding of 16-bit samples: [value, count] pairs. */
function runs(data: Buffer): [number, number][] {
	const out: [number, number][] = [];
	for (let i = 0; i + 1 < data.length; i += 2) {
		const value = data.readInt16LE(i);
		const last = out.at(-1);
		if (last && last[0] === value) last[1]++;
		else out.push([value, 1]);
	}
	return out;
}

describe('PCM WAVs of one format, in plain JS', () => {
	it('joins three parts in order, with a pause between each, and a correct header', async () => {
		const parts = [constantWav(0.5, 1000), constantWav(0.25, -2000), constantWav(1, 3000)];
		const { data, ext } = await joinAudio(parts, {});
		expect(ext).toBe('wav');

		const pauseFrames = (DEFAULT_PAUSE_MS / 1000) * 16_000; // 5600
		expect(wavDurationSeconds(data)).toBeCloseTo(0.5 + 0.25 + 1 + 2 * (DEFAULT_PAUSE_MS / 1000), 6);
		const chunks = chunksOf(data);
		expect(chunks.map((c) => c.id)).toEqual(['fmt ', 'data']);
		expect(chunks[0]!.body).toEqual(fmtBody({}));
		expect(chunks[1]!.size).toBe((8000 + 4000 + 16_000 + 2 * pauseFrames) * 2);
		expect(runs(chunks[1]!.body)).toEqual([
			[1000, 8000],
			[0, pauseFrames],
			[-2000, 4000],
			[0, pauseFrames],
			[3000, 16_000],
		]);
	});

	it('keeps the samples byte for byte', async () => {
		const a = makeWav({ seconds: 0.3, sampleRate: 24_000 });
		const b = makeWav({ seconds: 0.2, sampleRate: 24_000 });
		const { data } = await joinAudio([a, b], { pauseMs: 100 });
		const joined = parsePcmWav(data)!.data;
		expect(joined.subarray(0, a.length - 44)).toEqual(a.subarray(44));
		expect(joined.subarray(a.length - 44, a.length - 44 + 4800)).toEqual(Buffer.alloc(4800)); // 2400 frames of silence
		expect(joined.subarray(a.length - 44 + 4800)).toEqual(b.subarray(44));
		expect(wavDurationSeconds(data)).toBeCloseTo(0.6, 6);
	});

	it('makes the pause whole frames, for stereo too', async () => {
		const parts = [constantWav(0.1, 5, { sampleRate: 22_050, channels: 2 }), constantWav(0.1, 7, { sampleRate: 22_050, channels: 2 })];
		const { data } = await joinAudio(parts, { pauseMs: 123 });
		const pauseFrames = Math.round(0.123 * 22_050); // 2712 frames (2712.15 rounded)
		const samples = runs(parsePcmWav(data)!.data);
		expect(samples).toEqual([
			[5, 2205 * 2],
			[0, pauseFrames * 2],
			[7, 2205 * 2],
		]);
	});

	it('joins without a pause when pauseMs is 0, and passes a single part through', async () => {
		const { data } = await joinAudio([constantWav(0.1, 1), constantWav(0.1, 2)], { pauseMs: 0 });
		expect(runs(parsePcmWav(data)!.data)).toEqual([
			[1, 1600],
			[2, 1600],
		]);
		const one = makeWav({ seconds: 0.5 });
		expect((await joinAudio([one], {})).data).toEqual(one);
	});

	it('uses 0x80 as the silence of 8-bit PCM and pads an odd data chunk', async () => {
		const part = (value: number) => riff(chunk('fmt ', fmtBody({ bits: 8, sampleRate: 8000 })), chunk('data', Buffer.alloc(801, value)));
		const { data } = await joinAudio([part(10), part(200)], { pauseMs: 1 }); // 8 frames of silence
		const [, dataChunk] = chunksOf(data);
		expect(dataChunk!.size).toBe(801 + 8 + 801);
		expect(data.length % 2).toBe(0);
		expect([...dataChunk!.body.subarray(799, 812)]).toEqual([10, 10, ...Array(8).fill(0x80), 200, 200, 200]);
		expect(wavDurationSeconds(data)).toBeCloseTo(1610 / 8000, 6);
	});

	it('walks other chunks, odd sizes, a longer fmt chunk and a streamed data size', async () => {
		const fmt18 = Buffer.concat([fmtBody({}), Buffer.alloc(2)]); // with cbSize = 0, as some writers do
		const list = chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00xtts\x00', 'latin1')); // odd-sized, padded
		const samples = Buffer.alloc(320, 0);
		samples.writeInt16LE(42, 0);
		const streamed = riff(chunk('fmt ', fmt18), list, chunk('data', samples, 0xffffffff));
		streamed.writeUInt32LE(0xffffffff, 4);
		// Cut short in the middle of its last frame (the pad byte riff() added is dropped too).
		const torn = riff(chunk('fmt ', fmtBody({})), chunk('data', Buffer.alloc(103, 1), 5000));
		const truncated = torn.subarray(0, torn.length - 1);

		expect(parsePcmWav(streamed)?.data.length).toBe(320);
		expect(parsePcmWav(truncated)?.data.length).toBe(102);
		const { data, ext } = await joinAudio([streamed, truncated], { pauseMs: 10 });
		expect(ext).toBe('wav');
		const chunks = chunksOf(data);
		expect(chunks.map((c) => c.id)).toEqual(['fmt ', 'data']);
		expect(chunks[0]!.body).toEqual(fmt18);
		expect(chunks[1]!.size).toBe(320 + 160 * 2 + 102);
		expect(chunks[1]!.body.readInt16LE(0)).toBe(42);
	});

	it('keeps WAVE_FORMAT_EXTENSIBLE float as it is, with a fact chunk', async () => {
		const extensible = Buffer.alloc(40);
		fmtBody({ tag: 0xfffe, channels: 1, sampleRate: 24_000, bits: 32 }).copy(extensible);
		extensible.writeUInt16LE(22, 16); // cbSize
		extensible.writeUInt16LE(32, 18); // valid bits
		extensible.writeUInt32LE(4, 20); // channel mask: front centre
		Buffer.from('0300000000001000800000aa00389b71', 'hex').copy(extensible, 24); // KSDATAFORMAT_SUBTYPE_IEEE_FLOAT
		const part = (value: number) => {
			const samples = Buffer.alloc(2400 * 4);
			for (let i = 0; i < samples.length; i += 4) samples.writeFloatLE(value, i);
			return riff(chunk('fmt ', extensible), chunk('data', samples));
		};
		expect(parsePcmWav(part(0.5))?.format).toEqual({ formatTag: 3, channels: 1, sampleRate: 24_000, blockAlign: 4, bitsPerSample: 32 });

		const { data, ext } = await joinAudio([part(0.5), part(-0.25)], { pauseMs: 50 });
		expect(ext).toBe('wav');
		const chunks = chunksOf(data);
		expect(chunks.map((c) => c.id)).toEqual(['fmt ', 'fact', 'data']);
		expect(chunks[0]!.body).toEqual(extensible);
		expect(chunks[1]!.body.readUInt32LE(0)).toBe(2400 + 1200 + 2400);
		const body = chunks[2]!.body;
		expect([body.readFloatLE(0), body.readFloatLE(2400 * 4), body.readFloatLE(3600 * 4)]).toEqual([0.5, 0, -0.25]);
		expect(wavDurationSeconds(data)).toBeCloseTo(0.25, 6);
	});

	it('does not take compressed or broken WAVs for PCM', () => {
		const adpcm = riff(chunk('fmt ', fmtBody({ tag: 2, bits: 4 })), chunk('data', Buffer.alloc(100)));
		expect(parsePcmWav(adpcm)).toBeUndefined();
		expect(parsePcmWav(riff(chunk('data', Buffer.alloc(100))))).toBeUndefined(); // no fmt before data
		expect(parsePcmWav(Buffer.from('OggS not a wav at all'))).toBeUndefined();
		const badAlign = fmtBody({});
		badAlign.writeUInt16LE(3, 12);
		expect(parsePcmWav(riff(chunk('fmt ', badAlign), chunk('data', Buffer.alloc(100))))).toBeUndefined();
	});
});

describe('errors', () => {
	it('refuses no parts and a bad pause', async () => {
		await expect(joinAudio([], {})).rejects.toMatchObject({ name: 'AudioJoinError', kind: 'no-parts' });
		await expect(joinAudio([constantWav(0.1, 1)], { pauseMs: -1 })).rejects.toThrow(RangeError);
		await expect(joinAudio([constantWav(0.1, 1)], { pauseMs: Number.NaN })).rejects.toThrow(RangeError);
	});

	it('needs ffmpeg for mixed formats, and says so with a typed error', async () => {
		const mixed = [constantWav(0.1, 1, { sampleRate: 16_000 }), constantWav(0.1, 1, { sampleRate: 24_000 })];
		const error = await joinAudio(mixed, {}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(AudioJoinError);
		expect(error).toMatchObject({ kind: 'needs-ffmpeg' });
		await expect(joinAudio([constantWav(0.1, 1), Buffer.from('ID3 mp3 bytes')], { ffmpegPath: undefined })).rejects.toMatchObject({ kind: 'needs-ffmpeg' });
	});

	it('reports an ffmpeg that does not run as ffmpeg-failed, and cleans up', async () => {
		const before = await joinTempDirs();
		const mixed = [constantWav(0.1, 1, { sampleRate: 16_000 }), constantWav(0.1, 1, { sampleRate: 24_000 })];
		await expect(joinAudio(mixed, { ffmpegPath: '/nonexistent/ffmpeg' })).rejects.toMatchObject({ name: 'AudioJoinError', kind: 'ffmpeg-failed' });
		expect(await joinTempDirs()).toEqual(before);
	});
});

async function joinTempDirs(): Promise<string[]> {
	return (await readdir(tmpdir())).filter((name) => name.startsWith('xtts-join-')).sort();
}

/** A 16-bit mono sine WAV at `amplitude` of full scale. */
function toneWav(seconds: number, amplitude: number, opts: { sampleRate?: number; channels?: number; hz?: number } = {}): Buffer {
	const { sampleRate = 16_000, channels = 1, hz = 440 } = opts;
	const frames = Math.round(seconds * sampleRate);
	const data = Buffer.alloc(frames * channels * 2);
	for (let i = 0; i < frames; i++) {
		const value = Math.round(Math.sin((2 * Math.PI * hz * i) / sampleRate) * amplitude * 32767);
		for (let c = 0; c < channels; c++) data.writeInt16LE(value, (i * channels + c) * 2);
	}
	return riff(chunk('fmt ', fmtBody({ sampleRate, channels })), chunk('data', data));
}

/** RMS (0–1) of 8 kHz mono 16-bit PCM between two times. */
function rms(pcm: Buffer, from: number, to: number): number {
	let sum = 0;
	let n = 0;
	for (let i = Math.round(from * 8000); i < Math.round(to * 8000); i++, n++) sum += (pcm.readInt16LE(i * 2) / 32768) ** 2;
	return Math.sqrt(sum / n);
}

describe.skipIf(!ffmpeg)('other formats, with ffmpeg', () => {
	it('joins mixed parts in order into Ogg/Opus 48 kHz mono, and cleans up', async () => {
		const before = await joinTempDirs();
		const opus = await transcodeToOpus(ffmpeg!, toneWav(0.4, 0.2, { hz: 330 }), Number.POSITIVE_INFINITY);
		const parts = [
			constantWav(0.5, 0), // silence, 16 kHz mono WAV
			toneWav(0.5, 0.8, { sampleRate: 24_000, channels: 2 }), // loud, 24 kHz stereo WAV
			opus!, // quiet, Ogg/Opus
		];
		const { data, ext } = await joinAudio(parts, { ffmpegPath: ffmpeg! });
		expect(ext).toBe('ogg');
		expect(data.subarray(0, 4).toString('latin1')).toBe('OggS');
		const head = data.indexOf('OpusHead');
		expect(head).toBeGreaterThan(0);
		expect(data[head + 9]).toBe(1); // channel count
		expect(data.readUInt32LE(head + 12)).toBe(48_000); // input sample rate
		expect(await joinTempDirs()).toEqual(before);

		const pcm = await runFfmpeg(ffmpeg!, ['-i', 'pipe:0', '-f', 's16le', '-ac', '1', '-ar', '8000', 'pipe:1'], { input: data });
		const seconds = pcm.length / 2 / 8000;
		expect(seconds).toBeGreaterThan(0.5 + 0.35 + 0.5 + 0.35 + 0.4 - 0.05);
		expect(seconds).toBeLessThan(0.5 + 0.35 + 0.5 + 0.35 + 0.4 + 0.05);
		// silence 0–0.5 · pause –0.85 · loud tone –1.35 · pause –1.7 · quiet tone –2.1
		expect(rms(pcm, 0.05, 0.45)).toBeLessThan(0.01);
		expect(rms(pcm, 0.55, 0.8)).toBeLessThan(0.01);
		const loud = rms(pcm, 0.95, 1.25);
		expect(loud).toBeGreaterThan(0.4);
		expect(rms(pcm, 1.4, 1.65)).toBeLessThan(0.01);
		const quiet = rms(pcm, 1.8, 2.0);
		expect(quiet).toBeGreaterThan(0.08);
		expect(quiet).toBeLessThan(loud / 2);
	});

	it('reports a part that is not audio as ffmpeg-failed, and cleans up', async () => {
		const before = await joinTempDirs();
		await expect(joinAudio([constantWav(0.2, 1), Buffer.from('this is not audio at all')], { ffmpegPath: ffmpeg! })).rejects.toMatchObject({
			kind: 'ffmpeg-failed',
		});
		expect(await joinTempDirs()).toEqual(before);
	});

	it('still joins same-format WAVs in JS when ffmpeg is there', async () => {
		const { ext } = await joinAudio([makeWav(), makeWav()], { ffmpegPath: ffmpeg! });
		expect(ext).toBe('wav');
	});
});
