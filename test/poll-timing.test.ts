/**
 * Polls timed to the job's expected end (jobs/poll-timing.ts, jobs/track.ts), on a hand-driven clock: the first poll
 * near the learned end, spacing never below the cadence, never more polls than the fixed grid, the grid while there
 * is too little history, and what was learned kept across a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { describe, expect, it } from 'vitest';
import { createPollTiming, fitLine, MIN_SAMPLES, type PollTiming } from '../src/jobs/poll-timing.js';
import { track } from '../src/jobs/track.js';
import type { JobIn } from '../src/jobs/lifecycle.js';
import { silentLogger } from '../src/util/logger.js';
import type { XttsClient } from '../src/xtts/client.js';
import type { JobStatus } from '../src/xtts/contract.js';
import { virtualClock } from './helpers/harness.js';
import { jobRecord } from './helpers/jobs.js';

const CADENCE = 5_000;

/** An API whose job takes `durationMs` from the moment it was sent; every poll is recorded with its time. */
function apiTaking(durationMs: number, clock: ReturnType<typeof virtualClock>, sentAt: number) {
	const polls: number[] = [];
	const xtts = {
		async getStatus(requestId: string): Promise<JobStatus> {
			polls.push(clock.now() - sentAt);
			const done = clock.now() - sentAt >= durationMs;
			return {
				requestId,
				status: done ? 'COMPLETED' : 'QUEUED',
				error: null,
				mediaUrls: done ? ['https://cdn.example/out.wav'] : [],
				mediaType: undefined,
				// The API's own clock: created when sent, completed after its job time.
				createdAt: sentAt,
				...(done ? { completedAt: sentAt + durationMs } : {}),
			};
		},
	} as unknown as XttsClient;
	return { xtts, polls };
}

/** Tracks one job of `text` that the API finishes after `durationMs`; returns when each poll was asked. */
async function pollsFor(durationMs: number, timing: PollTiming | undefined, text = 'x'.repeat(100), { schedule = true } = {}): Promise<number[]> {
	const sentAt = 1_000_000;
	const clock = virtualClock(sentAt, 'manual');
	const base = jobRecord({ state: 'submitted', createdAt: sentAt }) as JobIn<'submitted'>;
	const job: JobIn<'submitted'> = { ...base, request: { ...base.request, text } };
	const { xtts, polls } = apiTaking(durationMs, clock, sentAt);
	const run = track(
		job,
		{
			xtts,
			clock,
			reporter: { progress: async () => undefined },
			save: async (saved) => saved,
			inbox: {},
			intervalMs: CADENCE,
			jobTimeoutMs: 600_000,
			log: silentLogger,
			timing: timing ? { learner: timing, schedule } : undefined,
		},
		new AbortController().signal,
	);
	let done = false;
	void run.finally(() => (done = true));
	// Step the clock 50 ms at a time, as real time would pass, until the job is tracked to its end.
	for (let step = 0; step < 20_000 && !done; step++) {
		await new Promise((resolve) => setImmediate(resolve));
		if (!done) clock.advance(50);
	}
	await run;
	return polls;
}

const gridPolls = (durationMs: number) => Math.ceil(durationMs / CADENCE);

function memoryTiming(): PollTiming {
	return createPollTiming({ store: new Keyv(), logger: silentLogger });
}

describe('learned poll timing', () => {
	it('fits job time against text length, undisturbed by a few outliers', () => {
		const samples: [number, number][] = [100, 200, 300, 400, 500, 600, 700, 800].map((chars) => [chars, 2_000 + 20 * chars]);
		samples.push([300, 90_000], [500, 100]);
		const line = fitLine(samples);
		expect(line.slope).toBeCloseTo(20, 0);
		expect(line.intercept).toBeGreaterThan(1_500);
		expect(line.intercept).toBeLessThan(2_500);
	});

	it('with no history, polls on the fixed grid', async () => {
		expect(await pollsFor(12_000, memoryTiming())).toEqual([5_000, 10_000, 15_000]);
		expect(await pollsFor(12_000, undefined)).toEqual([5_000, 10_000, 15_000]);
	});

	it('after enough jobs, asks just after the expected end: one poll instead of three, 250 ms late instead of 3 s', async () => {
		const timing = memoryTiming();
		for (let i = 0; i < MIN_SAMPLES - 1; i++) timing.learn('en', 100, 12_000);
		// One job short of enough history: still the grid.
		expect(timing.expectedMs('en', 100)).toBeUndefined();
		expect(await pollsFor(12_000, timing)).toEqual([5_000, 10_000, 15_000]);
		// That job taught the last sample (the API's created_at → completed_at).
		const polls = await pollsFor(12_000, timing);
		expect(polls).toHaveLength(1);
		expect(polls[0]).toBeGreaterThanOrEqual(12_000);
		expect(polls[0]).toBeLessThanOrEqual(12_300);
		// Longer texts are expected to take longer, per the fitted line.
		for (const chars of [400, 400, 400, 400]) timing.learn('en', chars, 30_000);
		expect(timing.expectedMs('en', 400)).toBeGreaterThan(timing.expectedMs('en', 100) ?? Number.POSITIVE_INFINITY);
		// Another language has its own history.
		expect(timing.expectedMs('de', 100)).toBeUndefined();
	});

	it('whatever it learned, never asks sooner than the cadence after sending or closer together, nor more often than the grid', async () => {
		for (const learned of [1_000, 12_000, 20_000, 38_000]) {
			const timing = memoryTiming();
			for (let i = 0; i < MIN_SAMPLES; i++) timing.learn('en', 100, learned);
			for (const actual of [800, 4_000, 9_000, 12_000, 19_500, 26_000, 41_000]) {
				const polls = await pollsFor(actual, timing);
				expect(polls[0], `learned ${learned}, took ${actual}`).toBeGreaterThanOrEqual(CADENCE);
				for (let i = 1; i < polls.length; i++) expect((polls[i] as number) - (polls[i - 1] as number)).toBeGreaterThanOrEqual(CADENCE);
				expect(polls.length, `learned ${learned}, took ${actual}: ${polls.join(',')}`).toBeLessThanOrEqual(gridPolls(actual));
			}
		}
	});

	it('waits at most six cadences for a first poll, whatever it learned (a backlog may have cleared)', async () => {
		const timing = memoryTiming();
		for (let i = 0; i < MIN_SAMPLES; i++) timing.learn('en', 100, 90_000);
		expect(await pollsFor(8_000, timing)).toEqual([30_000]);
	});

	it('a request it did not just send (taken over, or resumed) is polled on the cadence', async () => {
		const timing = memoryTiming();
		for (let i = 0; i < MIN_SAMPLES; i++) timing.learn('en', 100, 12_000);
		expect(await pollsFor(12_000, timing, 'x'.repeat(100), { schedule: false })).toEqual([5_000, 10_000, 15_000]);
	});

	it('a restart keeps what was learned (in the store)', async () => {
		const dir = await mkdtemp(path.join(tmpdir(), 'xtts-poll-timing-'));
		const open = () => new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${path.join(dir, 'bot.sqlite')}` }), namespace: 'meta' });
		try {
			const before = open();
			const first = createPollTiming({ store: before, logger: silentLogger });
			for (let i = 0; i < MIN_SAMPLES; i++) first.learn('fr', 200, 9_000 + i * 10);
			await first.flush();
			await before.disconnect();

			const after = open();
			const second = createPollTiming({ store: after, logger: silentLogger });
			expect(second.expectedMs('fr', 200)).toBeUndefined();
			await second.load();
			expect(second.expectedMs('fr', 200)).toBe(first.expectedMs('fr', 200));
			await after.disconnect();
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});

describe('the bot learns from its jobs', () => {
	it('keeps each completed job’s API time in the store', async () => {
		const { startHarness } = await import('./helpers/harness.js');
		const { makeWav } = await import('./fakes/xtts-api.js');
		const h = await startHarness();
		try {
			h.xtts.nextJob = { script: ['COMPLETED'] };
			await h.clone({ file: makeWav({ seconds: 4 }), text: 'Twelve characters.' }).edit((content) => !content.startsWith('🎙️'));
			// Written at stop (and every ten jobs), read back by the next start.
			await h.restart();
			const stored = (await h.bot.stores.meta.get('poll-timing:v1')) as Record<string, [number, number][]> | undefined;
			expect(stored?.en).toHaveLength(1);
			expect(stored?.en?.[0]?.[0]).toBe('Twelve characters.'.length);
			expect(stored?.en?.[0]?.[1]).toBeGreaterThanOrEqual(0);
		} finally {
			await h.close();
		}
	});
});
