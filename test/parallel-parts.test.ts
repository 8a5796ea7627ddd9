import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PAUSE_MS, parsePcmWav } from '../src/audio/join.js';
import type { JobRecord } from '../src/jobs/lifecycle.js';
import { createJobRecords } from '../src/jobs/records.js';
import { LINE_PREFIX } from '../src/store/shared-line.js';
import { splitText } from '../src/xtts/text-split.js';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, virtualClock, type Harness } from './helpers/harness.js';
import { ENGINES, storePerTest } from './helpers/engines.js';

/**
 * A long text's parts, several at the API at once (PARTS_IN_PARALLEL), on both engines: the joined audio keeps the
 * text's order whatever order the parts finish in, every part counts against MAX_JOBS_IN_FLIGHT, a failing part is
 * named, Cancel stops them all, and a crash while a part was being sent fails the job without sending it again.
 */

let h: Harness;
afterEach(async () => {
	await h?.close();
});

const isFinal = (content: string) => !content.startsWith('🎙️');
const wav = () => makeWav({ seconds: 4 });
const finalUploads = () =>
	h.discord.requests.filter(
		(request) => (request.method === 'PATCH' || request.method === 'POST') && request.files.some((file) => file.filename.startsWith('clone.')),
	);
// About 1200 characters, every sentence its own, so that every part's text is.
const LONG_TEXT = Array.from({ length: 17 }, (_, n) => `Sentence ${n + 1} tells of the quick brown fox near the riverbank at dawn.`).join(' ');
const PARTS = splitText(LONG_TEXT, 'en');
const partOf = (text: string) => PARTS.indexOf(text);
/** Each part speaks for its own time, so that the joined samples show the order. */
const partMedia = (index: number) => makeWav({ seconds: 0.05 * (index + 1), sampleRate: 24_000 });

describe.each(ENGINES)('a long text’s parts in parallel ($engine)', ({ shared }) => {
	const store = storePerTest(shared);
	const start = (env: Record<string, string> = {}) => startHarness({ ...store(), env: { XTTS_POLL_INTERVAL_MS: '1000', ...env } });

	it('parts finishing out of order are joined in the text’s order; three at the API at once; progress counts the parts done', async () => {
		h = await start();
		expect(PARTS.length).toBeGreaterThanOrEqual(5);
		// The first part takes longest, the last the shortest: they finish in reverse.
		h.xtts.nextJob = {
			byText: (text) => {
				const index = partOf(text);
				return { script: [...Array(PARTS.length - index).fill('QUEUED'), 'COMPLETED'], media: partMedia(index) };
			},
		};
		const run = h.clone({ file: wav(), text: LONG_TEXT });
		const final = await run.edit(isFinal, 20_000);

		const sent = h.xtts.generateRequests().map((request) => (request.body as { text: string }).text);
		expect([...sent].sort()).toEqual([...PARTS].sort());
		expect(h.xtts.peakAtApi()).toBe(3);
		const finishOrder = [...h.xtts.jobs.values()].sort((a, b) => (a.finalSeq ?? 0) - (b.finalSeq ?? 0)).map((job) => partOf(job.text));
		expect(finishOrder).not.toEqual([...finishOrder].sort((a, b) => a - b));

		const pause = Buffer.alloc(Math.round((DEFAULT_PAUSE_MS / 1000) * 24_000) * 2);
		const samples = PARTS.map((_, index) => parsePcmWav(partMedia(index))?.data as Buffer);
		const expected = Buffer.concat(samples.flatMap((part, index) => (index === 0 ? [part] : [pause, part])));
		expect(Buffer.compare(parsePcmWav(final.files[0]?.data as Buffer)?.data as Buffer, expected)).toBe(0);
		// Each part's media was seen done in this run: none is asked about again to be joined.
		for (const job of h.xtts.jobs.values()) expect(h.xtts.mediaRequests().filter((request) => request.path.includes(job.id))).toHaveLength(1);
		const progress = run
			.webhookRequests()
			.map(contentOf)
			.filter((content) => content.startsWith('🎙️'));
		expect(progress.some((content) => content.includes(` · part 1/${PARTS.length}`))).toBe(true);
		expect(progress.some((content) => content.includes(` · part ${PARTS.length}/${PARTS.length}`))).toBe(true);
		// Counting the parts done, the part shown never goes back.
		const shownParts = progress.flatMap((content) => (/ · part (\d+)\//.exec(content)?.[1] ? [Number(/ · part (\d+)\//.exec(content)?.[1])] : []));
		expect(shownParts).toEqual([...shownParts].sort((a, b) => a - b));
	});

	it('each part counts against MAX_JOBS_IN_FLIGHT; a request in line goes before the long text’s next part', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ ...store(), clock, env: { MAX_JOBS_IN_FLIGHT: '2' } });
		h.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'] };
		const long = h.clone({ file: wav(), text: LONG_TEXT });
		await expect.poll(() => h.xtts.generateRequests().length).toBe(2);
		// Another member's request, while the long text's parts hold both slots: it waits in line, and goes as soon
		// as one part is done, before the long text's next part.
		const short = h.clone({ file: wav(), text: 'A short one.' });
		await short.edit((content) => content.includes('for a free slot at the voice service'));
		await expect
			.poll(
				() => {
					clock.advance(1_000);
					return finalUploads().length;
				},
				{ timeout: 15_000, interval: 5 },
			)
			.toBe(2);
		expect(isFinal(contentOf(await long.edit(isFinal)))).toBe(true);
		expect(h.xtts.peakAtApi()).toBe(2);
		const sent = h.xtts.generateRequests().map((request) => (request.body as { text: string }).text);
		expect(sent).toHaveLength(PARTS.length + 1);
		// Every slot, the parts' too, is free again: in this process, and in the shared line.
		await expect.poll(() => h.bot.runner.atApi).toBe(0);
		if (shared) {
			const redis = new Redis(h.storeUrl);
			await expect.poll(() => redis.hlen(`${LINE_PREFIX}run`)).toBe(0);
			expect(await redis.keys(`${LINE_PREFIX}xtra:*`)).toEqual([]);
			redis.disconnect();
		}
		// As soon as the first part is done (BullMQ takes the short one up a moment later, so a part on the long text's own
		// slot may reach the API just before it), and before the long text's remaining parts.
		expect(sent.indexOf('A short one.')).toBeLessThanOrEqual(shared ? 3 : 2);
	});

	it('the server’s cap counts every part too', async () => {
		h = await start();
		await h.bot.settings.setLimits('1180000000000000100', { perServer: 2 }, '1');
		h.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'] };
		await h.clone({ file: wav(), text: LONG_TEXT }).edit(isFinal, 20_000);
		expect(h.xtts.peakAtApi()).toBe(2);
		expect(h.xtts.generateRequests()).toHaveLength(PARTS.length);
	});

	it('a failing part is named, and the others are followed no more', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ ...store(), clock });
		h.xtts.nextJob = {
			byText: (text) => (partOf(text) === 1 ? { script: ['FAILED'], error: 'Speaker audio could not be decoded' } : { script: ['QUEUED'] }),
		};
		const run = h.clone({ file: wav(), text: LONG_TEXT });
		// The three sent at once, each waiting for its first poll: one cadence on, part 2 is found FAILED.
		await expect.poll(() => h.xtts.generateRequests().length).toBe(3);
		await expect.poll(() => clock.sleepers()).toBeGreaterThanOrEqual(3);
		clock.advance(5_000);
		const final = await run.edit(isFinal);
		expect(contentOf(final)).toContain('could not clone this: Speaker audio could not be decoded');
		expect(contentOf(final)).toContain(`Part 2/${PARTS.length} of the text could not be made.`);
		// The reference names the failed part's own request, for the host to look up.
		const failedRequest = [...h.xtts.jobs.values()].find((job) => partOf(job.text) === 1)?.id;
		expect(contentOf(final)).toContain(`request \`${failedRequest}\``);
		await expect.poll(() => h.bot.runner.active).toBe(0);
		// The other two, still QUEUED, are asked about no more (nothing waits on the clock to poll them), and no other
		// part is sent.
		expect(clock.sleepers()).toBe(0);
		const asked = h.xtts.statusRequests().length;
		for (let minute = 0; minute < 5; minute++) clock.advance(60_000);
		expect(h.xtts.statusRequests()).toHaveLength(asked);
		expect(h.xtts.generateRequests()).toHaveLength(3);
	});

	it('Cancel stops every part: none is sent after it, none is asked about, and the message says they may be billed', async () => {
		h = await startHarness({ ...store(), clock: virtualClock(Date.now(), 'manual') });
		h.xtts.nextJob = { script: ['QUEUED'] };
		const run = h.clone({ file: wav(), text: LONG_TEXT });
		await expect.poll(() => h.xtts.generateRequests().length).toBe(3);
		const progress = await run.edit((content) => content.includes('**Queued**'));
		const jobId = String(progress.json?.components?.[0]?.components?.[0]?.custom_id).split(':')[2] as string;
		await expect
			.poll(
				async () =>
					((await createJobRecords(h.bot.stores).get(jobId)) as JobRecord & { parts: { requestId?: string }[] })?.parts.filter((part) => part.requestId).length,
			)
			.toBe(3);
		expect(await h.bot.runner.cancel(jobId)).toBe('cancelled');
		const cancelled = await run.edit((content) => content.includes('Cancelled'));
		expect(contentOf(cancelled)).toContain('may still be billed');
		await expect.poll(() => h.bot.runner.active).toBe(0);
		// Nothing waits on the clock to poll a part or send the next one: the requests below could not come later.
		expect(h.clock.sleepers()).toBe(0);
		h.clock.advance(60_000);
		expect(h.xtts.generateRequests()).toHaveLength(3);
		expect(h.xtts.statusRequests()).toHaveLength(0);
		expect((await createJobRecords(h.bot.stores).get(jobId))?.state).toBe('cancelled');
	});

	it('a restart while a part waits out a 429 sends it later: nothing was on the wire, so nothing is interrupted', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ ...store(), clock });
		h.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'] };
		// The third part sent is refused once, to come back in a minute: it is waiting between attempts when the bot stops.
		const taken = { kind: 'delay' as const, until: Promise.resolve() };
		h.xtts.failNextGenerate(taken, taken, { kind: 'status', status: 429, headers: { 'retry-after': '60' } });
		const run = h.clone({ file: wav(), text: LONG_TEXT });
		const phases = async () => {
			const [job] = await createJobRecords(h.bot.stores).unfinished();
			return (job?.parts ?? []).map((part) => (part.requestId ? 'at-api' : part.sending ? 'sending' : 'pending'));
		};
		await expect.poll(async () => (await phases()).sort()).toEqual(['at-api', 'at-api', 'sending', ...Array(PARTS.length - 3).fill('pending')].sort());
		// Had the waiting part stayed `sending`, the restarted bot would fail the text as interrupted.
		await h.restart();
		await expect
			.poll(
				() => {
					h.clock.advance(1_000);
					return finalUploads().length;
				},
				{ timeout: 15_000, interval: 5 },
			)
			.toBe(1);
		expect(contentOf(await run.edit(isFinal))).toContain('Cloned voice for');
		// Every part once, and the refused attempt.
		expect(h.xtts.generateRequests()).toHaveLength(PARTS.length + 1);
		expect(new Set(h.xtts.generateRequests().map((request) => (request.body as { text: string }).text)).size).toBe(PARTS.length);
	});

	it('a restart while a part was being sent fails the job as interrupted, naming the part; parts at the API are not sent again', async () => {
		h = await startHarness({ ...store(), clock: virtualClock(Date.now(), 'manual') });
		h.xtts.nextJob = { script: ['QUEUED'] };
		// The first two are taken, the third hangs on the wire.
		h.xtts.failNextGenerate({ kind: 'delay', until: Promise.resolve() }, { kind: 'delay', until: Promise.resolve() }, { kind: 'hang' });
		const run = h.clone({ file: wav(), text: LONG_TEXT });
		await expect.poll(() => h.xtts.generateRequests().length).toBe(3);
		await h.restart();
		const final = await run.edit(isFinal, 20_000);
		expect(contentOf(final)).toContain('The bot restarted while sending this request');
		expect(contentOf(final)).toMatch(/Part \d\/\d+ of the text could not be made/);
		expect(h.xtts.generateRequests()).toHaveLength(3);
	});
});
