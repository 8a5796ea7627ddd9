import { randomBytes } from 'node:crypto';
import type { SharedLine } from '../store/shared-line.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { isUnfinished, betweenParts, type JobRecord } from './lifecycle.js';
import { LINE_REFRESH_MS } from './line.js';
import type { JobPhase, JobReporter } from './ports.js';
import type { JobRecords } from './records.js';

/**
 * The shared line's upkeep, done by every process of a deployment (store/shared-line.ts is atomic, so doing it
 * twice is harmless): starting whoever may start when a limit frees by time alone (a cooldown), telling the waiting
 * their places (one process at a time, at most every few seconds, only when a place changed), and reconciling the
 * line with BullMQ and the records after a crash: a slot whose job BullMQ lost is handed over again, a slot whose
 * job has ended is freed, and an unfinished job that no process holds and no line has is taken up.
 */

export interface ReconcileContext {
	isRunningHere(jobId: string): boolean;
	/** BullMQ's state of the job: 'unknown' when it has none. */
	stateOf(jobId: string): Promise<string>;
	/** A job BullMQ gave up on (too many stalls): run again. */
	retry(jobId: string): Promise<void>;
	/** An orphan that never reached the API: into its line (or started). */
	enter(job: JobRecord): Promise<void>;
	stopping: AbortSignal;
}

export interface SharedLineKeeper {
	start(): void;
	/** A wait in line ends by time alone in `ms` (-1: none): its job is started then. */
	wakeFor(ms: number): void;
	/** Tells a member their place, remembered so that the next refresh edits only when it changed. */
	shown(job: JobRecord, phase: Extract<JobPhase, { kind: 'waiting' }>): void;
	/** Returns how many orphaned jobs it took up. */
	reconcile(context: ReconcileContext): Promise<number>;
	/** Requests waiting in every line, as last counted. */
	readonly waiting: number;
	stop(): void;
}

/** BullMQ states in which a job will be (or is being) run. */
const LIVE_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
/** A slot taken this long ago whose job BullMQ doesn't know: the hand-over was lost (a crash right after taking it). */
const HANDOVER_GRACE_MS = 30_000;
/** An unfinished record untouched this long, held by no process and no line, is an orphan. */
const ORPHAN_AFTER_MS = 60_000;

const shownKey = (phase: Extract<JobPhase, { kind: 'waiting' }>) => `${phase.position}:${phase.reason}:${Math.ceil((phase.startsInMs ?? 0) / 5000)}`;

export function createSharedLineKeeper(options: {
	line: SharedLine;
	jobs: JobRecords;
	clock: Clock;
	logger: Logger;
	maxAtApi: number;
	dispatch(jobIds: readonly string[]): Promise<void>;
	reporter: Pick<JobReporter, 'progress'>;
}): SharedLineKeeper {
	const { line, jobs, clock, logger: log, maxAtApi, dispatch, reporter } = options;
	const holder = randomBytes(6).toString('base64url');
	let timer: ReturnType<typeof setInterval> | undefined;
	let wake: { at: number; stop: AbortController } | undefined;
	let waiting = 0;
	let stopped = false;

	async function pump(): Promise<void> {
		const pumped = await line.pump(maxAtApi, clock.now());
		await dispatch(pumped.started);
		wakeFor(pumped.soonestMs);
	}

	function wakeFor(ms: number): void {
		if (ms < 0 || stopped) return;
		const at = clock.now() + ms + 1;
		if (wake && wake.at <= at) return;
		wake?.stop.abort();
		const next = { at, stop: new AbortController() };
		wake = next;
		// On the clock's time, so that a test's clock drives it.
		void clock.sleep(ms + 1, next.stop.signal).then(
			() => {
				if (wake === next) wake = undefined;
				void pump().catch((error: unknown) => log.warn({ err: error }, 'could not start the requests whose wait ended'));
			},
			() => undefined,
		);
	}

	function shown(job: JobRecord, phase: Extract<JobPhase, { kind: 'waiting' }>): void {
		// Another process may have started it meanwhile: its "Queued" must not be overwritten by a stale place.
		void line
			.has(job.id)
			.then(async (waits) => {
				if (!waits) return;
				await line.markShown(job.id, shownKey(phase));
				await reporter.progress(job, phase);
			})
			.catch((error: unknown) => log.warn({ err: error, jobId: job.id }, 'could not show a place in line'));
	}

	/** One process at a time tells the waiting their places, when they changed. */
	async function refresh(): Promise<void> {
		if (!(await line.lead(holder, LINE_REFRESH_MS - 500))) return;
		const entries = await line.snapshot(maxAtApi, clock.now());
		waiting = entries.length;
		for (const entry of entries) {
			const phase = {
				kind: 'waiting' as const,
				position: entry.position,
				reason: entry.reason,
				...(entry.startsInMs > 0 ? { startsInMs: entry.startsInMs } : {}),
			};
			if (entry.shown === shownKey(phase)) continue;
			// Far back in a long line, only round positions are worth an edit.
			if (entry.shown && entry.position > 20 && entry.position % 10 !== 0) continue;
			const job = await jobs.get(entry.jobId);
			if (job && isUnfinished(job)) shown(job, phase);
		}
	}

	async function tick(): Promise<void> {
		await pump();
		await refresh();
		waiting = (await line.counts()).waiting;
	}

	return {
		start() {
			timer = setInterval(() => void tick().catch((error: unknown) => log.warn({ err: error }, 'line upkeep failed; retried shortly')), LINE_REFRESH_MS);
			timer.unref();
		},
		wakeFor,
		shown,

		async reconcile(context) {
			const now = clock.now();
			const running = await line.running();
			for (const [jobId, since] of running) {
				if (context.stopping.aborted) return 0;
				if (context.isRunningHere(jobId)) continue;
				const state = await context.stateOf(jobId);
				if (LIVE_STATES.has(state)) continue;
				const job = await jobs.get(jobId);
				if (!job || !isUnfinished(job)) {
					// Ended (a crash between its last write and freeing its slot): the slot frees now.
					const pumped = await line.release(jobId, maxAtApi, now);
					await dispatch(pumped.started);
				} else if (state === 'failed') {
					log.warn({ jobId }, 'the queue gave up on a job; running it again');
					await context.retry(jobId);
				} else if (now - since > HANDOVER_GRACE_MS) {
					log.warn({ jobId }, 'a job holding a slot was not in the queue; handing it over again');
					await dispatch([jobId]);
				}
			}
			let adopted = 0;
			for (const listed of await jobs.unfinished()) {
				if (context.stopping.aborted) break;
				if (running.has(listed.id) || context.isRunningHere(listed.id) || now - listed.updatedAt < ORPHAN_AFTER_MS) continue;
				const job = await jobs.get(listed.id);
				if (!job || !isUnfinished(job) || job.state === 'awaiting-consent' || now - job.updatedAt < ORPHAN_AFTER_MS || (await line.has(job.id))) continue;
				adopted++;
				if (job.state === 'recorded' || job.state === 'waiting' || (job.state === 'parts' && betweenParts(job))) await context.enter(job);
				else if (await line.force({ jobId: job.id, requesterId: job.requesterId, guildId: job.guildId }, now)) await dispatch([job.id]);
			}
			// Extra slots of long texts' parts whose job holds no slot any more (an older version's release) free too.
			await dispatch((await line.freeOrphanExtras(maxAtApi, now)).started);
			await pump();
			if (adopted > 0) log.info({ count: adopted }, 'took up unfinished jobs no process held');
			return adopted;
		},

		get waiting() {
			return waiting;
		},
		stop() {
			stopped = true;
			if (timer) clearInterval(timer);
			wake?.stop.abort();
		},
	};
}
