import { describe, expect, it } from 'vitest';
import { detectFfmpeg } from '../src/audio/ffmpeg.js';
import { computeWaveform, toVoiceMessage, VoiceMessageError, waveformPoints } from '../src/audio/voice-message.js';
import { makeWav } from './fakes/xtts-api.js';

const ffmpeg = await detectFfmpeg();
if (!ffmpeg) {
	if (process.env.REQUIRE_FFMPEG === '1') throw new Error('REQUIRE_FFMPEG=1 but ffmpeg (with libopus) is not on the PATH');
	console.warn('⚠️  ffmpeg is not on the PATH: the voice message tests with ffmpeg are SKIPPED (apt-get install ffmpeg to run them)');
}

/** 16 kHz mono 16-bit WAV of `segments` played one after the other: a sine at `amplitude`, 0 for silence. */
function wav(...segments: { seconds: number; amplitude: number }[]): Buffer {
	const sampleRate = 16_000;
	const values: number[] = [];
	for (const { seconds, amplitude } of segments) {
		for (let i = 0; i < Math.round(seconds * sampleRate); i++) values.push(Math.round(Math.sin((2 * Math.PI * 440 * i) / sampleRate) * amplitude * 32767));
	}
	const out = Buffer.alloc(44 + values.length * 2);
	out.write('RIFF', 0, 'latin1');
	out.writeUInt32LE(36 + values.length * 2, 4);
	out.write('WAVEfmt ', 8, 'latin1');
	out.writeUInt32LE(16, 16);
	out.writeUInt16LE(1, 20);
	out.writeUInt16LE(1, 22);
	out.writeUInt32LE(sampleRate, 24);
	out.writeUInt32LE(sampleRate * 2, 28);
	out.writeUInt16LE(2, 32);
	out.writeUInt16LE(16, 34);
	out.write('data', 36, 'latin1');
	out.writeUInt32LE(values.length * 2, 40);
	values.forEach((value, i) => {
		out.writeInt16LE(value, 44 + i * 2);
	});
	return out;
}

function pcm(values: number[]): Buffer {
	const out = Buffer.alloc(values.length * 2);
	values.forEach((value, i) => {
		out.writeInt16LE(value, i * 2);
	});
	return out;
}

describe('waveformPoints', () => {
	it('is a point per 100 ms, at least 1 and at most 256', () => {
		expect(waveformPoints(0)).toBe(1);
		expect(waveformPoints(0.05)).toBe(1);
		expect(waveformPoints(2)).toBe(20);
		expect(waveformPoints(2.01)).toBe(21);
		expect(waveformPoints(25.6)).toBe(256);
		expect(waveformPoints(600)).toBe(256);
	});
});

describe('computeWaveform', () => {
	it('gives 0 for silence and 255 for full scale', () => {
		expect([...computeWaveform(pcm(Array(800).fill(0)), 8)]).toEqual(Array(8).fill(0));
		expect([
			...computeWaveform(
				pcm(
					Array(800)
						.fill(0)
						.map((_, i) => (i % 2 ? 32767 : -32768)),
				),
				4,
			),
		]).toEqual(Array(4).fill(255));
	});

	it('shares the samples out over the buckets in order', () => {
		const quarter = (value: number) =>
			Array(100)
				.fill(0)
				.map((_, i) => (i % 2 ? value : -value));
		const points = [...computeWaveform(pcm([...quarter(0), ...quarter(8192), ...quarter(32767), ...quarter(0)]), 4)];
		expect(points[0]).toBe(0);
		expect(points[1]).toBe(Math.round(Math.sqrt((8192 / 32768) * Math.SQRT2) * 255)); // 151
		expect(points[2]).toBe(255);
		expect(points[3]).toBe(0);
	});

	it('never makes more than 256 points, nor more points than samples, nor none', () => {
		expect(computeWaveform(pcm(Array(10_000).fill(100)), 1000)).toHaveLength(256);
		expect(computeWaveform(pcm([1, 2, 3]), 256)).toHaveLength(3);
		expect(computeWaveform(Buffer.alloc(0), 10)).toHaveLength(1);
	});
});

describe.skipIf(!ffmpeg)('toVoiceMessage', () => {
	it('turns a 2 s WAV into Ogg/Opus 48 kHz mono with its duration and waveform', async () => {
		const message = await toVoiceMessage(makeWav({ seconds: 2, sampleRate: 24_000 }), ffmpeg!);
		expect(message.data.subarray(0, 4).toString('latin1')).toBe('OggS');
		const head = message.data.indexOf('OpusHead');
		expect(head).toBeGreaterThan(0);
		expect(message.data[head + 9]).toBe(1); // channels
		expect(message.data.readUInt32LE(head + 12)).toBe(48_000);

		expect(Math.abs(message.durationSecs - 2)).toBeLessThanOrEqual(0.05);
		const waveform = Buffer.from(message.waveform, 'base64');
		expect(message.waveform).toMatch(/^[A-Za-z0-9+/]+=*$/);
		expect(waveform.length).toBeLessThanOrEqual(256);
		expect(waveform.length).toBe(20);
		// makeWav's tone is at a quarter of full scale: √0.25 × 255 ≈ 128 in the middle of the clip.
		for (const point of waveform.subarray(2, -2)) expect(Math.abs(point - 128)).toBeLessThanOrEqual(10);
	});

	it('draws silence as near-zero points and a loud tone as high ones, in order', async () => {
		const silent = Buffer.from((await toVoiceMessage(wav({ seconds: 1, amplitude: 0 }), ffmpeg!)).waveform, 'base64');
		expect(silent.length).toBe(10);
		for (const point of silent) expect(point).toBeLessThanOrEqual(3);

		const loud = Buffer.from((await toVoiceMessage(wav({ seconds: 1, amplitude: 0.9 }), ffmpeg!)).waveform, 'base64');
		for (const point of loud.subarray(1, -1)) expect(point).toBeGreaterThanOrEqual(220);

		const message = await toVoiceMessage(wav({ seconds: 1, amplitude: 0.9 }, { seconds: 1, amplitude: 0 }, { seconds: 1, amplitude: 0.9 }), ffmpeg!);
		expect(Math.abs(message.durationSecs - 3)).toBeLessThanOrEqual(0.05);
		const points = [...Buffer.from(message.waveform, 'base64')];
		expect(points).toHaveLength(30);
		const high = (p: number) => p >= 200;
		const low = (p: number) => p <= 10;
		expect(points.slice(1, 9).every(high)).toBe(true);
		expect(points.slice(11, 19).every(low)).toBe(true);
		expect(points.slice(21, 29).every(high)).toBe(true);
	});

	it('caps the waveform at 256 points for a long clip', async () => {
		const message = await toVoiceMessage(makeWav({ seconds: 40, sampleRate: 8000 }), ffmpeg!);
		expect(Math.abs(message.durationSecs - 40)).toBeLessThanOrEqual(0.05);
		expect(Buffer.from(message.waveform, 'base64')).toHaveLength(256);
	});

	it('fails with a typed error for input that is not audio, or output over maxBytes', async () => {
		const notAudio = await toVoiceMessage(Buffer.from('definitely not audio'), ffmpeg!).catch((e: unknown) => e);
		expect(notAudio).toBeInstanceOf(VoiceMessageError);
		expect(notAudio).toMatchObject({ kind: 'ffmpeg-failed' });
		await expect(toVoiceMessage(makeWav({ seconds: 2 }), ffmpeg!, { maxBytes: 100 })).rejects.toMatchObject({ kind: 'too-large' });
	});
});

it('reports an ffmpeg that does not run as ffmpeg-failed', async () => {
	await expect(toVoiceMessage(makeWav(), '/nonexistent/ffmpeg')).rejects.toMatchObject({ name: 'VoiceMessageError', kind: 'ffmpeg-failed' });
});
