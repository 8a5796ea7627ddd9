import { afterEach, describe, expect, it } from 'vitest';
import { wavDurationSeconds } from '../src/audio/formats.js';
import { detectFfmpeg } from '../src/audio/ffmpeg.js';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, type Harness } from './helpers/harness.js';

/** Outputs over the channel's upload limit: Ogg/Opus with ffmpeg, the link without. */

const ffmpeg = await detectFfmpeg();
if (!ffmpeg) {
	if (process.env.REQUIRE_FFMPEG === '1') throw new Error('REQUIRE_FFMPEG=1 but ffmpeg (with libopus) is not on the PATH');
	console.warn('⚠️  ffmpeg is not on the PATH: the transcoding tests are SKIPPED (apt-get install ffmpeg to run them)');
}

let h: Harness;
afterEach(async () => {
	await h?.close();
});

const isFinal = (content: string) => !content.startsWith('🎙️');

describe.skipIf(!ffmpeg)('with ffmpeg', () => {
	it('sends an oversized WAV as Ogg/Opus that fits the limit', async () => {
		h = await startHarness({ ffmpegPath: ffmpeg! });
		const output = makeWav({ seconds: 6, sampleRate: 24_000 }); // ~281 KiB
		expect(wavDurationSeconds(output)).toBeCloseTo(6, 2);
		h.xtts.nextJob = { script: ['COMPLETED'], media: output };
		const final = await h.clone({ file: makeWav({ seconds: 4 }), extra: { attachmentSizeLimit: 100 * 1024 } }).edit(isFinal, 20_000);

		const [file] = final.files;
		expect(file?.filename).toBe('clone.ogg');
		expect(file!.data.length).toBeLessThanOrEqual(100 * 1024);
		expect(file!.data.subarray(0, 4).toString()).toBe('OggS');
		expect(file!.data.includes(Buffer.from('OpusHead'))).toBe(true);
		expect(contentOf(final)).not.toContain('link instead');
	});

	it('falls back to the link when even Ogg/Opus does not fit', async () => {
		h = await startHarness({ ffmpegPath: ffmpeg! });
		h.xtts.nextJob = { script: ['COMPLETED'], media: makeWav({ seconds: 6, sampleRate: 24_000 }) };
		const final = await h.clone({ file: makeWav({ seconds: 4 }), extra: { attachmentSizeLimit: 1024 } }).edit(isFinal, 20_000);
		expect(final.files).toHaveLength(0);
		expect(contentOf(final)).toContain('so here is the link instead');
	});
});

it('without ffmpeg, posts the link', async () => {
	h = await startHarness({ ffmpegPath: null });
	h.xtts.nextJob = { script: ['COMPLETED'], media: makeWav({ seconds: 6, sampleRate: 24_000 }) };
	const final = await h.clone({ file: makeWav({ seconds: 4 }), extra: { attachmentSizeLimit: 100 * 1024 } }).edit(isFinal);
	expect(final.files).toHaveLength(0);
	expect(contentOf(final)).toContain(`${h.xtts.origin}/media/`);
});
