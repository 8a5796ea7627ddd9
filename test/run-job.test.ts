/**
 * One run of one job (jobs/run-job.ts) when the engine learns mid-way that the job is no longer this process's
 * (a BullMQ lock that could not be renewed, the job handed to this process again): the run stops where it is,
 * tells the member nothing and writes nothing, so that the process that has the job now is the only one that does.
 */
import { describe, expect, it } from 'vitest';
import type { JobIn, JobRecord } from '../src/jobs/lifecycle.js';
import type { JobReporter } from '../src/jobs/ports.js';
import { NotOurs, runJob, type RunDeps } from '../src/jobs/run-job.js';
import { silentLogger } from '../src/util/logger.js';
import type { XttsClient } from '../src/xtts/client.js';
import { virtualClock } from './helpers/harness.js';
import { jobRecord } from './helpers/jobs.js';

describe('a run whose job was taken away', () => {
	it('stops at once, silently, without writing', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		const polls: string[] = [];
		const told: string[] = [];
		const xtts = {
			async getStatus(requestId: string) {
				polls.push(requestId);
				return { requestId, status: 'QUEUED', error: null, mediaUrls: [], mediaType: undefined };
			},
		} as unknown as XttsClient;
		const reporter = new Proxy({}, { get: (_target, name) => async () => void told.push(String(name)) }) as JobReporter;
		const deps = {
			xtts,
			reporter,
			audio: {},
			clock,
			admissions: { balancePaused: false, balancePauseMs: 0, pauseForBalance: () => undefined },
			pollIntervalMs: 5_000,
			jobTimeoutMs: 600_000,
		} as unknown as RunDeps;
		const saved: JobRecord[] = [];
		const lost = new AbortController();
		const entry = { job: jobRecord({ state: 'submitted' }) as JobIn<'submitted'>, inbox: {} };
		const run = runJob(deps, {
			entry,
			save: async (job) => {
				saved.push(job);
				return job;
			},
			log: silentLogger,
			shutdown: new AbortController().signal,
			hardStop: new AbortController().signal,
			lost: lost.signal,
		});
		await expect.poll(() => clock.sleepers()).toBe(1);
		clock.advance(5_000);
		await expect.poll(() => polls.length).toBe(1);
		await expect.poll(() => clock.sleepers()).toBe(1);
		lost.abort(new NotOurs('its lock could not be renewed'));
		expect(await run).toBe('paused');
		// No cancellation or failure shown, nothing recorded, no more polls.
		expect(told).toEqual([]);
		expect(saved).toEqual([]);
		clock.advance(60_000);
		expect(polls).toHaveLength(1);
	});
});
