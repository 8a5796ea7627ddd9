import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { wavDurationSeconds } from '../src/audio/formats.js';
import { DEFAULT_PAUSE_MS, parsePcmWav } from '../src/audio/join.js';
import { partLinks } from '../src/discord/presenter.js';
import { normalizeText, splitText } from '../src/xtts/text-split.js';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, type Harness } from './helpers/harness.js';

/** Long text end to end: split at sentences, one request per part in order, one joined file. */

let h: Harness;
afterEach(async () => {
	await h?.close();
});

const isFinal = (content: string) => !content.startsWith('🎙️');

const SENTENCE = 'The quick brown fox jumps over the lazy dog near the riverbank at dawn. ';
const LONG_TEXT = SENTENCE.repeat(17).trim(); // ~1200 characters

it('a 1200-character text becomes parts spoken in order and joined into one audio file', async () => {
	h = await startHarness();
	// Each part speaks for a different time, so that the joined samples show the order.
	const partMedia = (index: number) => makeWav({ seconds: 0.1 * (index + 1), sampleRate: 24_000 });
	h.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'], media: partMedia };
	expect(LONG_TEXT.length).toBeGreaterThan(1_100);

	const run = h.clone({ file: makeWav({ seconds: 4 }), text: LONG_TEXT });
	const final = await run.edit(isFinal, 10_000);

	const expectedParts = splitText(LONG_TEXT, 'en');
	expect(expectedParts.length).toBeGreaterThan(1);
	const sent = h.xtts.generateRequests().map((request) => (request.body as { text: string }).text);
	expect(sent).toEqual(expectedParts);
	expect(sent.every((part) => part.length <= 250)).toBe(true);
	expect(sent.join(' ')).toBe(normalizeText(LONG_TEXT));

	expect(final.files).toHaveLength(1);
	expect(final.files[0]?.filename).toBe('clone.wav');
	const parts = expectedParts.map((_, index) => parsePcmWav(partMedia(index))!.data);
	const pause = Buffer.alloc(Math.round((DEFAULT_PAUSE_MS / 1000) * 24_000) * 2);
	const expectedSamples = Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [pause, part])));
	expect(Buffer.compare(parsePcmWav(final.files[0]!.data)!.data, expectedSamples)).toBe(0);
	expect(wavDurationSeconds(final.files[0]!.data)).toBeCloseTo(expectedSamples.length / 48_000, 3);
	expect(contentOf(final)).toContain('Cloned voice for');
	// Progress names the part being spoken.
	const progress = run
		.webhookRequests()
		.map(contentOf)
		.filter((content) => content.startsWith('🎙️'));
	expect(progress.some((content) => content.includes(` · part 2/${expectedParts.length}`))).toBe(true);
	expect(progress.some((content) => content.includes(` · part ${expectedParts.length}/${expectedParts.length}`))).toBe(true);
});

it('PARTS_IN_PARALLEL=1: parts one after another; when one fails, the member is told which, and no later part is sent', async () => {
	h = await startHarness({ env: { PARTS_IN_PARALLEL: '1' } });
	h.xtts.nextJob = { script: ['COMPLETED'] };
	const run = h.clone({ file: makeWav({ seconds: 4 }), text: LONG_TEXT });
	await h.xtts.waitForRequest((request) => request.method === 'POST');
	h.xtts.nextJob = { script: ['FAILED'], error: 'Speaker audio could not be decoded' };
	const final = await run.edit(isFinal, 10_000);
	expect(contentOf(final)).toContain('could not clone this: Speaker audio could not be decoded');
	expect(contentOf(final)).toMatch(/Part 2\/\d+ of the text could not be made/);
	expect(h.xtts.generateRequests()).toHaveLength(2);
});

it('a part that outlives the deadline is named too, not only a FAILED one', async () => {
	h = await startHarness({ env: { XTTS_JOB_TIMEOUT_MS: '10000', PARTS_IN_PARALLEL: '1' } });
	h.xtts.nextJob = { script: ['COMPLETED'] };
	const run = h.clone({ file: makeWav({ seconds: 4 }), text: LONG_TEXT });
	await h.xtts.waitForRequest((request) => request.method === 'POST');
	h.xtts.nextJob = { script: ['QUEUED'] };
	const final = await run.edit(isFinal, 10_000);
	expect(contentOf(final)).toContain('took too long');
	expect(contentOf(final)).toMatch(/Part 2\/\d+ of the text could not be made/);
});

it('joined audio over the upload limit (no ffmpeg): the link of every part, in order, not only the last', async () => {
	h = await startHarness();
	h.xtts.nextJob = { script: ['COMPLETED'], media: makeWav({ seconds: 1, sampleRate: 24_000 }) };
	const run = h.clone({ file: makeWav({ seconds: 4 }), text: LONG_TEXT, extra: { attachmentSizeLimit: 100 * 1024 } });
	const final = await run.edit(isFinal, 10_000);
	const parts = splitText(LONG_TEXT, 'en').length;
	expect(final.files).toHaveLength(0);
	expect(contentOf(final)).toContain(`so here are its ${parts} parts, in order:`);
	const links = (final.json?.embeds ?? []).map((embed: { description: string }) => embed.description).join(' · ');
	const jobs = [...h.xtts.jobs.keys()];
	expect(jobs).toHaveLength(parts);
	expect(links).toBe(jobs.map((id, index) => `[${index + 1}](${h.xtts.origin}/media/${id}/output.ext)`).join(' · '));
});

/** Parts the API returned as Ogg/Opus: only ffmpeg joins them. */
const OGG_OPUS = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(24), Buffer.from('OpusHead'), Buffer.alloc(600)]);

it('parts that are not WAV, with no ffmpeg on the host: the member is told what the host lacks, logged as a warning', async () => {
	h = await startHarness({ ffmpegPath: null });
	h.xtts.nextJob = { script: ['COMPLETED'], media: OGG_OPUS };
	const final = await h.clone({ file: makeWav({ seconds: 4 }), text: LONG_TEXT }).edit(isFinal, 10_000);
	// Every part was made: the message names no part, only what the host lacks, and the reference.
	expect(contentOf(final)).toMatch(
		/^❌ Long texts in this audio format need ffmpeg on the bot's host to join their parts\. Please tell the bot's host, or try a shorter text\.\nReference: `[\w-]+`( · request `[^`]+`)?$/,
	);
	const failed = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'job failed');
	expect(failed).toEqual([expect.objectContaining({ level: 'warn', kind: 'needs-ffmpeg' })]);
	expect(h.logs.some((line) => (JSON.parse(line) as { level: string }).level === 'error')).toBe(false);
});

it('Cancel stops an ffmpeg join that is under way', async () => {
	// An "ffmpeg" that never finishes, and says who it is: the join must be stopped, not waited for.
	const dir = await mkdtemp(path.join(tmpdir(), 'slow-ffmpeg-'));
	const pidFile = path.join(dir, 'pid');
	const ffmpeg = path.join(dir, 'ffmpeg');
	await writeFile(ffmpeg, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 60\n`, { mode: 0o755 });
	try {
		h = await startHarness({ ffmpegPath: ffmpeg });
		h.xtts.nextJob = { script: ['COMPLETED'], media: OGG_OPUS };
		const run = h.clone({ file: makeWav({ seconds: 4 }), text: LONG_TEXT });
		const progress = await run.edit((content) => content.includes('**Queued**'));
		const jobId = String(progress.json?.components?.[0]?.components?.[0]?.custom_id ?? '').split(':')[2] ?? '';
		await expect.poll(() => existsSync(pidFile), { timeout: 10_000 }).toBe(true);
		const pid = Number((await readFile(pidFile, 'utf8')).trim());
		expect(() => process.kill(pid, 0)).not.toThrow();

		expect(await h.bot.runner.cancel(jobId)).toBe('cancelled');
		const final = await run.edit((content) => content.startsWith('🚫 Cancelled'));
		expect(contentOf(final)).toContain('may still be billed');
		await expect
			.poll(() => {
				try {
					process.kill(pid, 0);
					return 'running';
				} catch {
					return 'stopped';
				}
			})
			.toBe('stopped');
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
});

it('part links stay within Discord’s embed limits, numbered without a gap', () => {
	const urls = Array.from(
		{ length: 80 },
		(_, index) => `https://pub-0123456789abcdef.r2.dev/v1/xtts-v2-api_019d0000-0000-0000-0000-${String(index).padStart(12, '0')}/output.wav`,
	);
	const embeds = partLinks(urls);
	const descriptions = embeds.map((embed) => embed.description ?? '');
	expect(descriptions.every((description) => description.length <= 4_096)).toBe(true);
	expect(descriptions.join('').length).toBeLessThanOrEqual(6_000);
	const numbers = descriptions
		.join(' · ')
		.match(/\[(\d+)\]/g)!
		.map((label) => Number(label.slice(1, -1)));
	expect(numbers).toEqual(numbers.map((_, index) => index + 1));
	expect(descriptions[0]).toContain(`[1](${urls[0]})`);
});
