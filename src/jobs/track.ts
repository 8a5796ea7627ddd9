import { linkedSignal } from '../util/abort.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { XttsClient } from '../xtts/client.js';
import { FINAL_STATUSES, XttsError, type JobStatus } from '../xtts/contract.js';
import { JobFailed } from './failure.js';
import { currentText, partOf, toCompleted, toPartDone, toStatus, type JobIn, type JobRecord } from './lifecycle.js';
import type { PollTiming } from './poll-timing.js';
import type { JobReporter } from './ports.js';

/**
 * Following a request at the API until it is final: polls on a cadence, or callbacks (webhooks) with slow polls
 * as a safety net. A callback wakes the waiting poll loop and is taken in place of the next poll.
 */

/** Where callbacks for one job land. */
export interface Inbox {
	/** A status delivered by callback, used instead of one more poll. */
	callback?: JobStatus;
	/** Callbacks that arrived before their request id was known (a fast API), by request id. */
	early?: Map<string, JobStatus>;
	/** Wakes a sleeping poll loop. */
	wake?: () => void;
}

/** Puts a callback's status in the job's inbox, or says why it is not for the request being tracked. */
export function receiveCallback(inbox: Inbox, job: JobRecord, status: JobStatus): 'taken' | 'other-request' | 'stale-part' {
	const earlierPart = job.parts?.some((part, index) => index !== job.partIndex && part.requestId === status.requestId);
	if (!status.requestId || earlierPart) return 'stale-part';
	if (job.state !== 'submitted') {
		// The API answered the callback before the 202 was recorded: keep it for when it is.
		inbox.early ??= new Map();
		inbox.early.set(status.requestId, status);
		return 'taken';
	}
	if (status.requestId !== job.xtts.requestId) return 'other-request';
	// A pending final status is never replaced by an older one.
	if (!(inbox.callback && FINAL_STATUSES.has(inbox.callback.status))) inbox.callback = status;
	inbox.wake?.();
	return 'taken';
}

export interface TrackContext {
	xtts: XttsClient;
	clock: Clock;
	reporter: Pick<JobReporter, 'progress'>;
	save<T extends JobRecord>(job: T): Promise<T>;
	inbox: Inbox;
	/** The cadence: XTTS_POLL_INTERVAL_MS, or the slow safety-net cadence with webhooks. */
	intervalMs: number;
	/**
	 * What the API's job times were: learned from every completion; `schedule`: the first poll is timed by it (only
	 * for a request this run has just sent: one taken over may have been polled already by another process).
	 */
	timing?: { learner: Pick<PollTiming, 'expectedMs' | 'learn'>; schedule: boolean } | undefined;
	/** Told of each request's own time at the API (its created_at → completed_at), for metrics. */
	onApiDone?: ((requestId: string, apiMs: number) => void) | undefined;
	jobTimeoutMs: number;
	log: Logger;
}

export type Tracked = { job: JobIn<'part-done' | 'completed'>; final: JobStatus };

export async function track(submitted: JobIn<'submitted'>, context: TrackContext, signal: AbortSignal): Promise<Tracked> {
	const { xtts, clock, inbox, log } = context;
	let job = submitted;
	// Measured from when this request reached the API: time spent in line, or while the bot was down, doesn't count.
	const deadline = job.xtts.submittedAt + context.jobTimeoutMs;
	const early = inbox.early?.get(job.xtts.requestId);
	if (early && !inbox.callback) inbox.callback = early;
	inbox.early = undefined;
	let lookedAtDeadline = false;
	let firstWait = firstWaitOf(job, context);
	// Out of time because the API kept refusing us (429) is "busy", not "took too long".
	let lastRefusal: XttsError | undefined;
	const outOfTime = () => new JobFailed({ kind: lastRefusal?.kind === 'rate-limited' ? 'busy' : 'timeout', ...part(job) });
	for (;;) {
		if (!inbox.callback) {
			const remaining = deadline - clock.now();
			const wait = firstWait ?? context.intervalMs;
			firstWait = undefined;
			if (remaining > 0) await sleepUnlessWoken(inbox, clock, Math.min(wait, remaining), signal);
			else if (lookedAtDeadline) throw outOfTime();
			// At (or, after a restart, past) the deadline: one last look before giving up, the audio may be ready.
			if (deadline - clock.now() <= 0) lookedAtDeadline = true;
		}

		let status: JobStatus;
		if (inbox.callback) {
			status = inbox.callback;
			inbox.callback = undefined;
		} else {
			try {
				status = await xtts.getStatus(job.xtts.requestId, { ...pollingUrlOf(job), signal });
			} catch (error) {
				if (signal.aborted) throw error;
				// A flaky API must not lose the job: keep polling until the deadline, unless it can never succeed.
				if (error instanceof XttsError && error.transient) {
					log.warn({ kind: error.kind, status: error.status }, 'status request failed; polling continues');
					lastRefusal = error;
					if (lookedAtDeadline) throw outOfTime();
					continue;
				}
				throw error;
			}
			lastRefusal = undefined;
		}

		if (status.status !== job.xtts.status) log.info({ from: job.xtts.status, to: status.status }, 'job status changed');
		if (status.status === 'FAILED') throw new JobFailed({ kind: 'failed', ...(status.error ? { apiError: status.error } : {}), ...part(job) });
		if (status.status === 'ERROR') throw new JobFailed({ kind: 'provider-error', ...part(job) });
		if (status.status === 'COMPLETED') {
			if (status.mediaUrls.length === 0) throw new XttsError('bad-response', 'COMPLETED without a media_url');
			if (status.createdAt !== undefined && status.completedAt !== undefined) {
				context.timing?.learner.learn(job.request.language, currentText(job).length, status.completedAt - status.createdAt);
				context.onApiDone?.(job.xtts.requestId, status.completedAt - status.createdAt);
			}
			const last = !job.parts || job.partIndex >= job.parts.length - 1;
			return { job: await context.save(last ? toCompleted(job, clock.now()) : toPartDone(job, clock.now())), final: status };
		}
		if (status.status !== job.xtts.status) {
			job = await context.save(toStatus(job, status.status, clock.now()));
			await context.reporter.progress(job, { kind: status.status === 'PROCESSING' ? 'processing' : 'queued' });
		}
		if (lookedAtDeadline) throw outOfTime();
	}
}

/**
 * The first poll of a request: just after the API is expected to be done with it, when enough jobs have taught
 * that, but never sooner than one cadence after it was sent (so never more polls than the fixed grid, never two
 * closer than the cadence). Undefined: on the cadence, as the fixed grid does.
 */
function firstWaitOf(job: JobIn<'submitted'>, context: TrackContext): number | undefined {
	if (!context.timing?.schedule) return undefined;
	const expected = context.timing.learner.expectedMs(job.request.language, currentText(job).length);
	const sinceSent = context.clock.now() - job.xtts.submittedAt;
	// A job resumed after a restart, or asked about already: the cadence.
	if (expected === undefined || !Number.isFinite(expected) || sinceSent >= Math.max(context.intervalMs, expected)) return undefined;
	// At most a few cadences: a backlog that taught long times may have cleared, and the grid would notice sooner.
	return Math.min(Math.max(context.intervalMs, expected), FIRST_WAIT_CADENCES * context.intervalMs) - sinceSent;
}

const FIRST_WAIT_CADENCES = 6;

const part = (job: JobRecord) => {
	const ref = partOf(job);
	return ref ? { part: ref } : {};
};

export const pollingUrlOf = (job: { xtts: { pollingUrl?: string } }) => (job.xtts.pollingUrl ? { pollingUrl: job.xtts.pollingUrl } : {});

function sleepUnlessWoken(inbox: Inbox, clock: Clock, ms: number, jobSignal: AbortSignal): Promise<void> {
	const sleep = linkedSignal(jobSignal);
	inbox.wake = () => sleep.abort();
	return clock
		.sleep(ms, sleep.signal)
		.catch((error: unknown) => {
			if (jobSignal.aborted) throw error;
		})
		.finally(() => {
			sleep.dispose();
			inbox.wake = undefined;
		});
}
