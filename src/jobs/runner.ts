import { setMaxListeners } from 'node:events';
import { DEFAULT_LIMITS, type Limits } from '../store/guild-settings.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { XttsClient } from '../xtts/client.js';
import { parseStatusBody } from '../xtts/contract.js';
import { createAdmissions, RefusedError, type Admission, type AdmissionRequest } from './admission.js';
import type { JobRunner } from './engine.js';
import { isUnfinished, betweenParts, toCancelled, toWaiting, type JobIn, type JobRecord } from './lifecycle.js';
import { createLine } from './line.js';
import type { PartSlots } from './parts.js';
import type { JobReporter } from './ports.js';
import type { AudioPreparer } from './prepare-audio.js';
import type { JobRecords } from './records.js';
import { adoptUnfinished } from './resume.js';
import { runJob, settledWithin, type RunDeps, type RunEntry } from './run-job.js';
import { settleCancelled } from './settle.js';
import { receiveCallback } from './track.js';

/**
 * Orders a job's steps: admission → the line → submit → track (polls, or callbacks) → finish, and the endings
 * (cancelled, failed, undeliverable). Each step is a module of its own; this one holds what they share: the jobs
 * this process runs, their cancel switches and callback inboxes, and the shutdown signals.
 */

export interface JobRunnerOptions {
	xtts: XttsClient;
	jobs: JobRecords;
	reporter: JobReporter;
	audio: AudioPreparer;
	clock: Clock;
	logger: Logger;
	pollIntervalMs: number;
	jobTimeoutMs: number;
	/** Jobs at the API at once (MAX_JOBS_IN_FLIGHT); the rest wait in line, in order. */
	maxAtApi?: number;
	/** When set, jobs are submitted with a callback URL and polled only slowly, as a safety net. */
	webhook?: { urlFor(jobId: string): string; safetyPollIntervalMs: number };
	/** After a 402, how long new jobs are refused without asking the API. */
	balancePauseMs?: number;
	/** A server's limits, for the jobs a restart puts back in line (new ones bring theirs). */
	limitsFor?: (guildId: string | null) => Promise<Limits>;
	/** The API's job times, learned (see run-job.ts). */
	timing?: RunDeps['timing'];
	onApiDone?: RunDeps['onApiDone'];
	/** PARTS_IN_PARALLEL. */
	partsInParallel?: number;
}

type Entry = RunEntry;

/** States that hold a slot at the API when a run starts; a resumed `completed` job only delivers. */
const NEEDS_SLOT: ReadonlySet<JobRecord['state']> = new Set(['recorded', 'waiting', 'parts', 'submitting', 'submitted']);

export function createJobRunner(options: JobRunnerOptions): JobRunner {
	const { xtts, jobs, reporter, audio, clock, webhook } = options;
	const maxAtApi = options.maxAtApi ?? 20;
	const log = options.logger.child({ component: 'job-runner' });
	const admissions = createAdmissions({ clock, balancePauseMs: options.balancePauseMs });
	const deps: RunDeps = {
		xtts,
		reporter,
		audio,
		clock,
		admissions,
		pollIntervalMs: options.pollIntervalMs,
		jobTimeoutMs: options.jobTimeoutMs,
		webhook,
		timing: options.timing,
		onApiDone: options.onApiDone,
		partsInParallel: options.partsInParallel,
	};
	const line = createLine({ maxAtApi, reporter, clock });
	const limitsFor = options.limitsFor ?? (async () => DEFAULT_LIMITS);
	// A wait that ends by time alone (a cooldown) starts its job then.
	line.onTimeout(() => pump());

	const runs = new Map<string, Promise<void>>();
	const entries = new Map<string, Entry>();
	const shutdown = new AbortController();
	/** Aborts even a generate request on the wire, once shutdown's grace is over. */
	const hardStop = new AbortController();
	// Every running job listens to both (and lets go when it ends): thousands at once are expected, not a leak.
	setMaxListeners(0, shutdown.signal, hardStop.signal);

	/** Writes a move and makes it the job's live record. */
	async function save<T extends JobRecord>(job: T): Promise<T> {
		await jobs.save(job);
		const entry = entries.get(job.id);
		if (entry) entry.job = job;
		return job;
	}

	function launch(job: JobRecord): void {
		if (runs.has(job.id)) return;
		const entry = entries.get(job.id) ?? { job, inbox: {} };
		entries.set(job.id, entry);
		const run = execute(entry)
			.catch((error: unknown) => {
				if (!shutdown.signal.aborted) log.error({ jobId: job.id, err: error }, 'job run crashed');
			})
			.finally(() => {
				runs.delete(job.id);
				entries.delete(job.id);
				if (!shutdown.signal.aborted) pump();
			});
		runs.set(job.id, run);
	}

	/** Moves jobs from the line to the API while there is room. */
	function pump(): void {
		for (let next = line.next(); next; next = line.next()) launch(next);
	}

	/** Into the line: a job that never reached the API (or is between parts) waits for a slot. */
	async function enqueue(job: JobIn<'recorded' | 'waiting' | 'parts'>, limits: Limits): Promise<void> {
		const waiting = job.state === 'recorded' ? toWaiting(job, clock.now()) : job;
		entries.set(job.id, { job: waiting, inbox: {} });
		line.join(waiting, limits);
		// It may be able to start at once after all (a limit freed meanwhile): the line decides, in its order.
		pump();
		if (waiting === job) return;
		// The job is accepted and in line whatever this write does: a record left `recorded` is just
		// as safe (nothing on the wire), and a restart puts it in line again.
		await save(waiting).catch((error: unknown) => log.warn({ jobId: job.id, err: error }, 'could not record that the job is waiting; it waits all the same'));
	}

	async function execute(entry: Entry): Promise<void> {
		const job = entry.job;
		const jobLog = log.child({ jobId: job.id, guildId: job.guildId, channelId: job.channelId });
		const holdsSlot = NEEDS_SLOT.has(job.state);
		if (holdsSlot) line.takeSlot();
		// The member's and the server's clones in progress, and the member's cooldown, count from here.
		line.started(job, job.state === 'recorded' || job.state === 'waiting');
		// A long text's other parts at the API each take a slot of their own, after those waiting in line.
		const partSlots: PartSlots = {
			take: async (force) => {
				const limits = await limitsFor(job.guildId);
				pump();
				return line.takeExtra(job, limits, force);
			},
			release: async () => {
				line.releaseExtra(job);
				if (!shutdown.signal.aborted) pump();
			},
		};
		try {
			await runJob(deps, { entry, save, log: jobLog, shutdown: shutdown.signal, hardStop: hardStop.signal, partSlots });
		} finally {
			if (holdsSlot) line.releaseSlot();
			line.ended(entry.job);
			// At once, so that no newcomer takes the freed place ahead of those waiting for it.
			if (!shutdown.signal.aborted) pump();
		}
	}

	function admitNow(request: AdmissionRequest, limits: Limits): Admission {
		return admissions.check(limits, { mustWait: !line.mayStartNow(request, limits), waiting: line.waiting(request) });
	}

	return {
		admit: async (request, limits) => admitNow(request, limits),

		async start(recorded, given) {
			const job = recorded;
			const limits = given ?? (await limitsFor(job.guildId));
			if (given) {
				const admission = admitNow(job, limits);
				if (!admission.ok) throw new RefusedError(admission);
			}
			entries.set(job.id, { job, inbox: {} });
			try {
				await jobs.save(job);
			} catch (error) {
				entries.delete(job.id);
				throw error;
			}
			if (shutdown.signal.aborted) {
				// Stopping meanwhile: the job is recorded and never sent, so the next start sends it.
				entries.delete(job.id);
				return;
			}
			if (line.mayStartNow(job, limits)) {
				launch(job);
				return;
			}
			// Requests that arrived together all passed the first check: the line's bounds are checked again, here,
			// where joining it can't be interleaved with another request's.
			const standing = given ? admitNow(job, limits) : { ok: true as const };
			if (!standing.ok) {
				entries.delete(job.id);
				await jobs.save(toCancelled(job, clock.now())).catch(() => undefined);
				throw new RefusedError(standing);
			}
			await enqueue(job, limits);
		},

		startCooldown(requesterId) {
			line.startCooldown(requesterId);
		},

		async resume() {
			const adopted = await adoptUnfinished({ jobs, isRunningHere: (id) => entries.has(id), stopping: shutdown.signal });
			for (const job of adopted) {
				// Jobs already at the API are tracked at once; ones that never reached it (or a long text stopped between
				// parts) wait for a slot, in order.
				if (job.state === 'recorded' || job.state === 'waiting' || (job.state === 'parts' && betweenParts(job)))
					await enqueue(job, await limitsFor(job.guildId));
				else launch(job);
			}
			// A job that joined the line while every run ended is picked up here.
			pump();
			if (adopted.length > 0) log.info({ count: adopted.length }, 'resuming unfinished jobs');
			return adopted.length;
		},

		async cancel(jobId) {
			const entry = entries.get(jobId);
			if (!entry) return 'unknown';
			const waiting = line.leave(jobId);
			if (waiting) {
				// Never sent (or between parts): it just leaves the line, and whoever it held back may go.
				entries.delete(jobId);
				pump();
				await settleCancelled(entry.job, { reporter, save, clock, log: log.child({ jobId }) });
				return 'cancelled';
			}
			if (!entry.cancel) return 'unknown';
			entry.cancel.abort(new Error('cancelled by the member'));
			await runs.get(jobId);
			return 'cancelled';
		},

		running(jobId) {
			return entries.get(jobId)?.job;
		},

		async notify(jobId, body) {
			// Not a status body at all (no documented status): nothing to act on, and the sender should know.
			const status = parseStatusBody(body, '');
			if (!status) return 'invalid';
			const entry = entries.get(jobId);
			if (!entry) {
				const job = await jobs.get(jobId);
				if (!job) return 'unknown';
				return isUnfinished(job) ? 'elsewhere' : 'taken';
			}
			const taken = receiveCallback(entry.inbox, entry.job, status);
			if (taken === 'stale-part') log.debug({ jobId }, 'callback is not about the current request of this job; ignored');
			else if (taken === 'other-request') log.warn({ jobId }, 'callback for another request of this job; ignored');
			else log.debug({ jobId, status: status.status }, 'callback received');
			return 'taken';
		},

		async stop(graceMs = 5_000) {
			shutdown.abort(new Error('shutting down'));
			admissions.stop();
			line.stop();
			await settledWithin(runs.values(), graceMs);
			hardStop.abort(new Error('shutting down'));
			await Promise.allSettled(runs.values());
		},

		get active() {
			return entries.size;
		},
		get atApi() {
			return line.atApi;
		},
		get waiting() {
			return line.length;
		},
		maxAtApi,
		get balancePaused() {
			return admissions.balancePaused;
		},

		async settled(jobId) {
			await runs.get(jobId);
		},
	};
}
