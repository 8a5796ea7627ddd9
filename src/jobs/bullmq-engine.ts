import { setMaxListeners } from 'node:events';
import { WaitingError, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_LIMITS, type Limits } from '../store/guild-settings.js';
import type { JobSignals } from '../store/job-signals.js';
import type { SharedLine } from '../store/shared-line.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { parseStatusBody } from '../xtts/contract.js';
import { createCloneQueue, type CloneJob } from './bullmq-queue.js';
import { RefusedError, type Admission } from './admission.js';
import { createSharedBalance } from './shared-balance.js';
import type { JobRunner } from './engine.js';
import { isUnfinished, toCancelled, toWaiting, type JobRecord } from './lifecycle.js';
import type { JobRecords } from './records.js';
import { NotOurs, runJob, settledWithin, type RunDeps, type RunEntry } from './run-job.js';
import { createSharedLineKeeper } from './shared-line-keeper.js';
import { createSharedPartSlots } from './shared-part-slots.js';
import { receiveCallback } from './track.js';

/**
 * The engine of a deployment whose processes share one Redis. Jobs run on BullMQ: any process picks up any job, a
 * process that dies (kill -9) has its jobs taken over by another once BullMQ finds them stalled, and one that stops
 * (SIGTERM) hands its jobs back at once. Every limit is the shared line's (store/shared-line.ts): a job is given
 * to BullMQ only when its turn has come, so BullMQ's own global concurrency (set to the same MAX_JOBS_IN_FLIGHT) is
 * a second fence, never the one that decides. A job's progress is its record: a takeover carries on from its state,
 * so no generate request is sent twice and a result is delivered once (see run-job.ts).
 */

export interface SharedEngineOptions {
	deps: Omit<RunDeps, 'admissions'>;
	jobs: JobRecords;
	logger: Logger;
	clock: Clock;
	line: SharedLine;
	signals: JobSignals;
	/** For the queue and the line's scripts; `workerConnection` must have maxRetriesPerRequest: null (BullMQ). */
	connection: Redis;
	workerConnection: Redis;
	maxAtApi: number;
	limitsFor?: (guildId: string | null) => Promise<Limits>;
	balancePauseMs?: number;
	/** How long a job's BullMQ lock lasts unrenewed: a killed process's jobs are taken over after about this. */
	lockMs?: number;
}

type Entry = RunEntry & { run?: Promise<void>; bullId?: string; lost: AbortController };
const ignore = () => undefined; // waiting for a run needs only that it settled: its outcome is handled where it runs

export function createSharedEngine(options: SharedEngineOptions): JobRunner {
	const { jobs, clock, line, signals, connection, maxAtApi } = options;
	const log = options.logger.child({ component: 'job-engine' });
	const lockMs = options.lockMs ?? 30_000;
	const limitsFor = options.limitsFor ?? (async () => DEFAULT_LIMITS);
	const admissions = createSharedBalance({ redis: connection, clock, balancePauseMs: options.balancePauseMs });
	const deps: RunDeps = { ...options.deps, admissions };
	const queue = createCloneQueue({ connection, logger: log });
	let worker: Worker | undefined;
	const entries = new Map<string, Entry>();
	const shutdown = new AbortController();
	const hardStop = new AbortController();
	setMaxListeners(0, shutdown.signal, hardStop.signal);
	const dispatch = (jobIds: readonly string[]) => queue.add(jobIds);
	const keeper = createSharedLineKeeper({ line, jobs, clock, logger: log, maxAtApi, dispatch, reporter: options.deps.reporter });
	const partSlots = createSharedPartSlots({ line, clock, maxAtApi, limitsFor, dispatch, wakeFor: keeper.wakeFor, log });

	async function release(jobId: string): Promise<void> {
		const pumped = await line.release(jobId, maxAtApi, clock.now());
		await dispatch(pumped.started);
		keeper.wakeFor(pumped.soonestMs);
	}

	async function processJob(bullJob: CloneJob, token?: string): Promise<void> {
		const { jobId } = bullJob.data;
		// Handed to this process again while an older run of it goes on here (its lock lapsed while this process was
		// too busy to renew it): the older run holds a dead lock, so it stops, and this one carries on from the record.
		const older = entries.get(jobId);
		if (older) {
			older.lost.abort(new NotOurs('the job was handed over again'));
			await older.run;
		}
		if (shutdown.signal.aborted && token) {
			await bullJob.moveToWait(token);
			throw new WaitingError();
		}
		const found = await jobs.get(jobId);
		if (!found || !isUnfinished(found) || found.state === 'awaiting-consent') {
			// Finished meanwhile (a duplicate hand-over, or a run that ended just before a crash): its slot frees.
			await release(jobId);
			return;
		}
		const jobLog = log.child({ jobId, guildId: found.guildId, channelId: found.channelId });
		// A state past `waiting` means another process had it: a takeover after a crash, or a hand-back.
		jobLog.info({ state: found.state, takeover: found.state !== 'waiting' && found.state !== 'recorded' }, 'job run started');
		const entry: Entry = { job: found, inbox: {}, cancel: new AbortController(), bullId: bullJob.id ?? '', lost: new AbortController() };
		entries.set(jobId, entry);
		try {
			for (const body of await signals.kept(jobId)) {
				const status = parseStatusBody(body, '');
				if (status) receiveCallback(entry.inbox, entry.job, status);
			}
			if (await signals.cancelled(jobId)) entry.cancel?.abort(new Error('cancelled by the member'));
			// Another process got a 402: this one doesn't send either, until the pause is over.
			await admissions.pausedAnywhere();
			// Every write first makes sure the job is still this process's (its lock, renewed on the way): a run that lost
			// it (Redis unreachable for longer than the lock) must not overwrite what the new owner records.
			const stillOurs = async () => !entry.lost.signal.aborted && (!token || (await bullJob.extendLock(token, lockMs)) === 1);
			const save = async <T extends JobRecord>(job: T): Promise<T> => {
				if (!(await stillOurs())) throw new NotOurs('the job is no longer this process’s');
				await jobs.save(job);
				entry.job = job;
				return job;
			};
			const control = { entry, save, log: jobLog, shutdown: shutdown.signal, hardStop: hardStop.signal, stillOurs, lost: entry.lost.signal };
			// The run is the entry's from here, its part slots' setting up included (Cancel and stop wait for it).
			const run = (async () => runJob(deps, found.parts ? { ...control, partSlots: await partSlots.forJob(found) } : control))();
			entry.run = run.then(ignore, ignore);
			const outcome = await run;
			if (outcome === 'paused') {
				if (shutdown.signal.aborted && token) {
					// Handed back at once: another process takes it without waiting for stall detection.
					await bullJob.moveToWait(token);
					jobLog.info({ state: entry.job.state }, 'job handed back for another process to take over');
					throw new WaitingError();
				}
				// The lock is another's now: that process runs it and releases its slot.
				return;
			}
			if (await stillOurs()) await release(jobId);
		} finally {
			// A newer run of the same job may have taken the place meanwhile.
			if (entries.get(jobId) === entry) entries.delete(jobId);
		}
	}

	async function admit(request: { guildId: string | null; requesterId: string }, limits: Limits): Promise<Admission> {
		if (shutdown.signal.aborted) return { ok: false, reason: 'stopping' };
		if (await admissions.pausedAnywhere()) return { ok: false, reason: 'balance' };
		const standing = await line.check({ jobId: '', ...request }, limits, maxAtApi, clock.now());
		return standing.kind === 'full'
			? { ok: false, reason: standing.reason, limit: standing.reason === 'member-line-full' ? limits.memberWaiting : limits.serverWaiting }
			: { ok: true };
	}

	/** Into the shared line (or straight to BullMQ): the record says `waiting` first, whoever starts it. */
	async function enter(job: JobRecord, limits: Limits, bounded: boolean, startsCooldown: boolean): Promise<void> {
		const joined = await line.join({ jobId: job.id, requesterId: job.requesterId, guildId: job.guildId }, limits, {
			maxAtApi,
			now: clock.now(),
			bounded,
			startsCooldown,
		});
		if (joined.kind === 'start') return dispatch([job.id]);
		if (joined.kind === 'already') return;
		if (joined.kind === 'full') {
			await jobs.save(toCancelled(job, clock.now())).catch(() => undefined);
			const limit = joined.reason === 'member-line-full' ? limits.memberWaiting : limits.serverWaiting;
			throw new RefusedError({ ok: false, reason: joined.reason, limit });
		}
		keeper.shown(job, {
			kind: 'waiting',
			position: joined.position,
			reason: joined.reason,
			...(joined.startsInMs > 0 ? { startsInMs: joined.startsInMs } : {}),
		});
		if (joined.reason === 'cooldown') keeper.wakeFor(joined.startsInMs);
	}

	return {
		admit,

		async start(recorded, given) {
			const limits = given ?? (await limitsFor(recorded.guildId));
			if (given) {
				const admission = await admit(recorded, limits);
				if (!admission.ok) throw new RefusedError(admission);
			}
			// Recorded as waiting before it joins: another process may start it the moment it is in line.
			// A new job's first record carries the time it was made (metrics count it as recorded too).
			const at = recorded.updatedAt === recorded.createdAt ? recorded.createdAt : clock.now();
			const job = recorded.state === 'recorded' ? toWaiting(recorded, at) : recorded;
			await jobs.save(job);
			if (shutdown.signal.aborted) return;
			try {
				await enter(job, limits, Boolean(given), true);
			} catch (error) {
				// Not in line (Redis failed us): the member is told it failed, so it must never run later either.
				if (!(error instanceof RefusedError)) await jobs.save(toCancelled(job, clock.now())).catch(() => undefined);
				throw error;
			}
		},

		startCooldown(requesterId) {
			void line.startCooldown(requesterId, clock.now()).catch((error: unknown) => log.warn({ err: error }, 'could not start the cooldown'));
		},

		async resume() {
			if (!worker && !shutdown.signal.aborted) {
				worker = await queue.work(processJob, { concurrency: maxAtApi, lockMs, connection: options.workerConnection });
				worker.on('lockRenewalFailed', (bullIds) => {
					for (const entry of entries.values())
						if (entry.bullId && bullIds.includes(entry.bullId)) entry.lost.abort(new NotOurs('its lock could not be renewed'));
				});
				await signals.listen((signal) => {
					const entry = entries.get(signal.jobId);
					if (!entry) return;
					if (signal.kind === 'cancel') entry.cancel?.abort(new Error('cancelled by the member'));
					else {
						const status = parseStatusBody(signal.body, '');
						if (status) receiveCallback(entry.inbox, entry.job, status);
					}
				});
				keeper.start();
			}
			return keeper.reconcile({
				isRunningHere: (jobId) => entries.has(jobId),
				stateOf: queue.stateOf,
				retry: queue.retry,
				enter: async (job) => enter(job, await limitsFor(job.guildId), false, false),
				stopping: shutdown.signal,
			});
		},

		async cancel(jobId) {
			const entry = entries.get(jobId);
			if (entry) {
				entry.cancel?.abort(new Error('cancelled by the member'));
				await entry.run;
				return 'cancelled';
			}
			const job = await jobs.get(jobId);
			if (!job || !isUnfinished(job)) return 'unknown';
			// Recorded first, for every process: one that runs it stops (and says so in the message), one that takes it
			// over or out of line later finds it cancelled.
			await signals.cancel(jobId);
			if ((await line.leave(jobId)) === 'left') {
				// Never sent: it just leaves the line, and nothing is spent. Saved before shown, so that no process can
				// take the record for a job still waiting meanwhile.
				const cancelled = toCancelled(job, clock.now());
				await jobs.save(cancelled);
				log.info({ jobId, state: job.state }, 'job cancelled by the member');
				await options.deps.reporter.cancelled(cancelled).catch((error: unknown) => log.warn({ err: error, jobId }, 'could not show the cancellation'));
			}
			return 'cancelled';
		},

		running(jobId) {
			return entries.get(jobId)?.job;
		},

		async notify(jobId, body) {
			const status = parseStatusBody(body, '');
			if (!status) return 'invalid';
			const entry = entries.get(jobId);
			if (entry) {
				receiveCallback(entry.inbox, entry.job, status);
				return 'taken';
			}
			const job = await jobs.get(jobId);
			if (!job) return 'unknown';
			// Whichever process runs it gets it; one that takes it over later finds it kept.
			if (isUnfinished(job)) await signals.forward(jobId, body);
			return 'taken';
		},

		async stop(graceMs = 5_000) {
			shutdown.abort(new Error('shutting down'));
			admissions.stop();
			keeper.stop();
			// No new job is fetched; the running ones hand themselves back as they stop.
			await worker?.pause(true);
			await settledWithin(
				[...entries.values()].map((entry) => entry.run),
				graceMs,
			);
			hardStop.abort(new Error('shutting down'));
			await worker?.close();
			await signals.close();
			await queue.close();
		},

		get active() {
			return entries.size;
		},
		get atApi() {
			return entries.size + partSlots.held;
		},
		get waiting() {
			return keeper.waiting;
		},
		maxAtApi,
		get balancePaused() {
			return admissions.balancePaused;
		},

		async settled(jobId) {
			await entries.get(jobId)?.run;
		},
	};
}
