import Keyv from 'keyv';
import { Agent } from 'undici';
import { createAuditLog } from '../src/store/audit.js';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { silentLogger } from '../src/util/logger.js';
import { abortableSleep } from '../src/util/clock.js';
import type { Delivery, OutgoingMessage } from '../src/discord/delivery.js';
import { createJobReporter } from '../src/discord/job-reporter.js';
import type { JobIn, JobRecord } from '../src/jobs/lifecycle.js';
import type { JobRecords } from '../src/jobs/records.js';
import { createJobRunner } from '../src/jobs/runner.js';
import { SENDING_NOTICE_MS } from '../src/jobs/submit.js';
import { createAudioPreparer } from '../src/jobs/prepare-audio.js';
import { createXttsClient } from '../src/xtts/client.js';
import { startFakeXtts, type FakeXtts } from './fakes/xtts-api.js';
import { jobRecord } from './helpers/jobs.js';

/** Polling cadence and the deadline, on the real timer functions driven by vitest's fake timers. */

const KEY = 'cadence-test-key-abcdef';
let fake: FakeXtts;
let agent: Agent;

beforeEach(async () => {
	fake = await startFakeXtts({ apiKey: KEY });
	agent = new Agent();
});

afterEach(async () => {
	vi.useRealTimers();
	await agent.close();
	await fake.close();
});

function memoryJobs(): JobRecords & { records: Map<string, JobRecord> } {
	const records = new Map<string, JobRecord>();
	return {
		records,
		get: async (id) => records.get(id),
		save: async (job) => void records.set(job.id, structuredClone(job)),
		unfinished: async () => [...records.values()],
		forget: async (id) => records.delete(id),
	};
}

function recordingDelivery(): Delivery & { finished: OutgoingMessage[] } {
	const finished: OutgoingMessage[] = [];
	return {
		finished,
		progress: async () => undefined,
		postVoiceMessage: async () => 'https://discord.com/channels/@me/1/2',
		tellPrivately: async () => true,
		finish: async (_job, message) => {
			finished.push(message);
			return { via: 'reply' };
		},
	};
}

const newJob = (now: number) => jobRecord({ id: 'cadence-job-1', createdAt: now }) as JobIn<'recorded'>;

function runner(pollIntervalMs: number, jobTimeoutMs: number, jobs = memoryJobs(), delivery = recordingDelivery(), maxAtApi = 20) {
	const xtts = createXttsClient({ apiUrl: fake.origin, apiKey: KEY, dispatcher: agent, logger: silentLogger });
	// The real timer-based sleep, counted so the test knows when the runner is waiting to poll (the wait before
	// a "Sending" notice is not a poll).
	const sleeps: number[] = [];
	const sleep = (ms: number, signal?: AbortSignal) => {
		if (ms !== SENDING_NOTICE_MS) sleeps.push(ms);
		return abortableSleep(ms, signal);
	};
	return {
		jobs,
		delivery,
		sleeping: (count: number) => vi.waitFor(() => expect(sleeps).toHaveLength(count), { interval: 1 }),
		runner: createJobRunner({
			xtts,
			jobs,
			reporter: createJobReporter(delivery, { audit: createAuditLog({ store: new Keyv(), retentionDays: 30 }), logger: silentLogger }),
			audio: createAudioPreparer({ xtts, ffmpegPath: undefined, logger: silentLogger }),
			clock: { now: Date.now, sleep },
			logger: silentLogger,
			pollIntervalMs,
			jobTimeoutMs,
			maxAtApi,
		}),
	};
}

it('polls at the configured cadence: nothing before the interval, one request per interval', async () => {
	fake.nextJob = { script: ['QUEUED', 'PROCESSING', 'COMPLETED'] };
	vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
	const { runner: jobs, delivery, sleeping } = runner(5_000, 600_000);
	await jobs.start(newJob(Date.now()));
	await sleeping(1);

	await vi.advanceTimersByTimeAsync(4_999);
	expect(fake.statusRequests()).toHaveLength(0);
	await vi.advanceTimersByTimeAsync(1);
	await sleeping(2);
	expect(fake.statusRequests()).toHaveLength(1);
	await vi.advanceTimersByTimeAsync(5_000);
	await sleeping(3);
	expect(fake.statusRequests()).toHaveLength(2);
	await vi.advanceTimersByTimeAsync(5_000);
	await vi.waitFor(() => expect(delivery.finished).toHaveLength(1));
	expect(fake.statusRequests()).toHaveLength(3);
	expect(delivery.finished[0]?.file?.name).toBe('clone.wav');
});

it('gives up at the deadline with a timeout message, and stops polling', async () => {
	fake.nextJob = { script: ['QUEUED'] };
	vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
	const { runner: jobs, delivery, jobs: store, sleeping } = runner(5_000, 20_000);
	await jobs.start(newJob(Date.now()));

	for (let poll = 1; poll <= 3; poll++) {
		await sleeping(poll);
		await vi.advanceTimersByTimeAsync(5_000);
		await vi.waitFor(() => expect(fake.statusRequests()).toHaveLength(poll), { interval: 1 });
	}
	await sleeping(4);
	await vi.advanceTimersByTimeAsync(5_000);
	await vi.waitFor(() => expect(delivery.finished).toHaveLength(1));
	expect(delivery.finished[0]?.content).toContain('took too long');
	// Polls at 5, 10 and 15 s, and one last look at the deadline (20 s); then no more.
	expect(fake.statusRequests()).toHaveLength(4);
	expect(store.records.get('cadence-job-1')?.state).toBe('failed');
	await vi.advanceTimersByTimeAsync(60_000);
	expect(fake.statusRequests()).toHaveLength(4);
});

it('a job resumed after the bot was down past its deadline is looked at once, and delivered if ready', async () => {
	const { runner: jobs, delivery, jobs: store } = runner(5_000, 20_000);
	const submitted = await createXttsClient({ apiUrl: fake.origin, apiKey: KEY, dispatcher: agent, logger: silentLogger }).submit({
		speaker: 'https://cdn.example/v.wav',
		text: 'hi',
		language: 'en',
	});
	await fake.setStatus(submitted.requestId, 'COMPLETED');
	const longAgo = Date.now() - 60 * 60 * 1000;
	const job = newJob(longAgo);
	await store.save({ ...job, state: 'submitted', xtts: { requestId: submitted.requestId, status: 'QUEUED', submittedAt: longAgo } });

	expect(await jobs.resume()).toBe(1);
	await vi.waitFor(() => expect(delivery.finished).toHaveLength(1));
	expect(delivery.finished[0]?.file?.name).toBe('clone.wav');
	expect(fake.statusRequests(submitted.requestId)).toHaveLength(1);
});

it('a job accepted into the line stays accepted, and runs, when recording that it waits fails', async () => {
	fake.nextJob = { script: ['COMPLETED'] };
	const jobs = memoryJobs();
	const save = jobs.save;
	jobs.save = async (job) => {
		if (job.state === 'waiting') throw new Error('disk full');
		return save(job);
	};
	const { runner: engine, delivery } = runner(5, 600_000, jobs, recordingDelivery(), 1);
	await engine.start(jobRecord({ id: 'first' }) as JobIn<'recorded'>);
	// Another member: it waits for the one slot at the API only.
	await expect(engine.start({ ...jobRecord({ id: 'second' }), requesterId: '6' } as JobIn<'recorded'>)).resolves.toBeUndefined();
	await vi.waitFor(() => expect(delivery.finished).toHaveLength(2), { timeout: 5_000 });
	expect(fake.generateRequests()).toHaveLength(2);
	expect(jobs.records.get('second')?.state).toBe('delivered');
});
