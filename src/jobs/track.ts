import { linkedSignal } from '../util/abort.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { XttsClient } from '../xtts/client.js';
import { FINAL_STATUSES, XttsError, type JobStatus, type XttsStatus } from '../xtts/contract.js';
import type { LanguageCode } from '../xtts/languages.js';
import { JobFailed, type PartRef } from './failure.js';
import { partPhase, toCompleted, toStatus, type JobIn, type JobRecord } from './lifecycle.js';
import type { PollTiming } from './poll-timing.js';
import type { JobReporter } from './ports.js';

/**
 * Following a request at the API until it is final: polls on a cadence, or callbacks (webhooks) with slow polls
 * as a safety net. A callback wakes the waiting poll loop and is taken in place of the next poll. A short text has
 * one request; a long text's parts (jobs/parts.ts) are each followed on their own.
 */

/** Where callbacks for one job land, by request id (a long text has several requests at the API at once). */
export interface Inbox {
	/** Statuses delivered by callback, each used instead of one more poll of its request (or kept for it, when its 202 is still on the way). */
	statuses?: Map<string, JobStatus>;
	/** Wakes a sleeping poll loop, by request id. */
	wakes?: Map<string, () => void>;
}

/** Puts a callback's status in the job's inbox, or says why it is not for a request being followed. */
export function receiveCallback(inbox: Inbox, job: JobRecord, status: JobStatus): 'taken' | 'other-request' | 'stale-part' {
	const id = status.requestId;
	if (!id) return 'stale-part';
	if (job.state === 'parts') {
		const part = job.parts.find((candidate) => candidate.requestId === id);
		if (part && partPhase(part) === 'done') return 'stale-part';
		// An unknown id is kept only while a part's 202 is still on the way: it may be that part's.
		if (!part && !job.parts.some((candidate) => partPhase(candidate) === 'sending')) return 'other-request';
	} else if (job.state === 'submitted' && id !== job.xtts.requestId) return 'other-request';
	// Any other state: the API answered the callback before the 202 was recorded; kept for when it is.
	inbox.statuses ??= new Map();
	// A pending final status is never replaced by an older one.
	const pending = inbox.statuses.get(id);
	if (!(pending && FINAL_STATUSES.has(pending.status))) inbox.statuses.set(id, status);
	inbox.wakes?.get(id)?.();
	return 'taken';
}

/** A request at the API, as it was last recorded. */
export interface Followed {
	requestId: string;
	pollingUrl?: string | undefined;
	submittedAt: number;
	status: XttsStatus;
	/** What it speaks, for the learned job times. */
	language: LanguageCode;
	chars: number;
	/** A long text's part: named in a failure. */
	part?: PartRef | undefined;
}

export interface FollowContext {
	xtts: XttsClient;
	clock: Clock;
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

/** Follows one request until it is COMPLETED (its status returned), telling `moved` of each status change. */
export async function follow(request: Followed, context: FollowContext, moved: (status: XttsStatus) => Promise<void>, signal: AbortSignal): Promise<JobStatus> {
	const { xtts, clock, inbox, log } = context;
	const { requestId } = request;
	let current = request.status;
	// Measured from when this request reached the API: time spent in line, or while the bot was down, doesn't count.
	const deadline = request.submittedAt + context.jobTimeoutMs;
	let lookedAtDeadline = false;
	let firstWait = firstWaitOf(request, context);
	// Out of time because the API kept refusing us (429) is "busy", not "took too long".
	let lastRefusal: XttsError | undefined;
	const part = request.part ? { part: request.part } : {};
	const outOfTime = () => new JobFailed({ kind: lastRefusal?.kind === 'rate-limited' ? 'busy' : 'timeout', ...part });
	const takeCallback = () => {
		const status = inbox.statuses?.get(requestId);
		if (status) inbox.statuses?.delete(requestId);
		return status;
	};
	for (;;) {
		let status = takeCallback();
		if (!status) {
			const remaining = deadline - clock.now();
			const wait = firstWait ?? context.intervalMs;
			firstWait = undefined;
			if (remaining > 0) await sleepUnlessWoken(inbox, requestId, clock, Math.min(wait, remaining), signal);
			else if (lookedAtDeadline) throw outOfTime();
			// At (or, after a restart, past) the deadline: one last look before giving up, the audio may be ready.
			if (deadline - clock.now() <= 0) lookedAtDeadline = true;
			status = takeCallback();
		}
		if (!status) {
			try {
				status = await xtts.getStatus(requestId, { ...(request.pollingUrl ? { pollingUrl: request.pollingUrl } : {}), signal });
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

		if (status.status !== current) log.info({ from: current, to: status.status, ...part }, 'job status changed');
		if (status.status === 'FAILED') throw new JobFailed({ kind: 'failed', ...(status.error ? { apiError: status.error } : {}), ...part });
		if (status.status === 'ERROR') throw new JobFailed({ kind: 'provider-error', ...part });
		if (status.status === 'COMPLETED') {
			if (status.mediaUrls.length === 0) throw new XttsError('bad-response', 'COMPLETED without a media_url');
			if (status.createdAt !== undefined && status.completedAt !== undefined) {
				context.timing?.learner.learn(request.language, request.chars, status.completedAt - status.createdAt);
				context.onApiDone?.(requestId, status.completedAt - status.createdAt);
			}
			return status;
		}
		if (status.status !== current) {
			current = status.status;
			await moved(current);
		}
		if (lookedAtDeadline) throw outOfTime();
	}
}

export interface TrackContext extends FollowContext {
	reporter: Pick<JobReporter, 'progress'>;
	save<T extends JobRecord>(job: T): Promise<T>;
}

export type Tracked = { job: JobIn<'completed'>; final: JobStatus };

/** A short text's request, followed until it is done: each status change recorded and shown. */
export async function track(submitted: JobIn<'submitted'>, context: TrackContext, signal: AbortSignal): Promise<Tracked> {
	let job = submitted;
	const request = { ...job.xtts, language: job.request.language, chars: job.request.text.length };
	const final = await follow(
		request,
		context,
		async (status) => {
			job = await context.save(toStatus(job, status, context.clock.now()));
			await context.reporter.progress(job, { kind: status === 'PROCESSING' ? 'processing' : 'queued' });
		},
		signal,
	);
	return { job: await context.save(toCompleted(job, context.clock.now())), final };
}

/**
 * The first poll of a request: just after the API is expected to be done with it, when enough jobs have taught
 * that, but never sooner than one cadence after it was sent (so never more polls than the fixed grid, never two
 * closer than the cadence). Undefined: on the cadence, as the fixed grid does.
 */
function firstWaitOf(request: Followed, context: FollowContext): number | undefined {
	if (!context.timing?.schedule) return undefined;
	const expected = context.timing.learner.expectedMs(request.language, request.chars);
	const sinceSent = context.clock.now() - request.submittedAt;
	// A job resumed after a restart, or asked about already: the cadence.
	if (expected === undefined || !Number.isFinite(expected) || sinceSent >= Math.max(context.intervalMs, expected)) return undefined;
	// At most a few cadences: a backlog that taught long times may have cleared, and the grid would notice sooner.
	return Math.min(Math.max(context.intervalMs, expected), FIRST_WAIT_CADENCES * context.intervalMs) - sinceSent;
}

const FIRST_WAIT_CADENCES = 6;

export const pollingUrlOf = (job: { xtts: { pollingUrl?: string } }) => (job.xtts.pollingUrl ? { pollingUrl: job.xtts.pollingUrl } : {});

function sleepUnlessWoken(inbox: Inbox, requestId: string, clock: Clock, ms: number, jobSignal: AbortSignal): Promise<void> {
	const sleep = linkedSignal(jobSignal);
	inbox.wakes ??= new Map();
	const wake = () => sleep.abort();
	inbox.wakes.set(requestId, wake);
	return clock
		.sleep(ms, sleep.signal)
		.catch((error: unknown) => {
			if (jobSignal.aborted) throw error;
		})
		.finally(() => {
			sleep.dispose();
			if (inbox.wakes?.get(requestId) === wake) inbox.wakes.delete(requestId);
		});
}
