import { linkedSignal } from '../util/abort.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { XttsClient } from '../xtts/client.js';
import { XttsError } from '../xtts/contract.js';
import type { Admissions } from './admission.js';
import { JobFailed } from './failure.js';
import { toSubmitted, toSubmitting, type JobIn, type JobRecord, type XttsRequest } from './lifecycle.js';
import type { JobReporter } from './ports.js';

/** Sending a generate request (a short text's, or one part's), recorded first so that a crash never sends it twice. */

/** How long a generate request may take before the reply says it is being sent. */
export const SENDING_NOTICE_MS = 2_000;

export interface SubmitContext {
	xtts: XttsClient;
	clock: Clock;
	reporter: Pick<JobReporter, 'progress'>;
	save<T extends JobRecord>(job: T): Promise<T>;
	admissions: Pick<Admissions, 'balancePaused' | 'pauseForBalance' | 'balancePauseMs'>;
	/** Where the API should send callbacks for this job, when webhooks are on. */
	webhookUrl: string | undefined;
	/** Aborts even a request on the wire: shutdown, once its grace is over. */
	hardStop: AbortSignal;
	/** The member's Cancel: ends the waits between attempts, never a request on the wire. */
	memberCancel: AbortSignal;
	log: Logger;
}

export type Sendable = JobIn<'recorded' | 'waiting'>;

/**
 * One generate request, already recorded as being sent (`submitting`, or a part's `sending`): the API's request.
 * `notice`: the job whose reply says "Sending" when the API is slow to take it (a 429, a slow gateway).
 */
export async function sendRequest(job: JobRecord, text: string, context: SubmitContext, notice?: JobRecord): Promise<XttsRequest> {
	const { xtts, clock, reporter, log, memberCancel } = context;
	// "Sending" is worth an edit only when the API is slow to answer (429 retries, a slow gateway): usually its
	// 202 comes within a moment, and "Queued" right after "Sending" would be two edits for one change.
	const noticeTimer = linkedSignal(memberCancel);
	if (notice) {
		void clock.sleep(SENDING_NOTICE_MS, noticeTimer.signal).then(
			() => reporter.progress(notice, { kind: 'sending' }),
			() => undefined,
		);
	}
	try {
		const accepted = await xtts.submit(
			{
				speaker: job.request.speakerUrl,
				text,
				language: job.request.language,
				cleanupVoice: job.request.cleanupVoice,
				...(context.webhookUrl ? { webhookUrl: context.webhookUrl } : {}),
			},
			// A request on the wire may be charged: neither shutdown (until its grace is over) nor the member's
			// Cancel aborts it, so that its request id is recorded. Cancel ends the waits between attempts.
			{ signal: context.hardStop, cancelWaits: memberCancel },
		);
		return {
			requestId: accepted.requestId,
			status: accepted.status,
			submittedAt: clock.now(),
			...(accepted.pollingUrl ? { pollingUrl: accepted.pollingUrl } : {}),
		};
	} catch (error) {
		if (error instanceof XttsError && error.kind === 'balance') {
			context.admissions.pauseForBalance();
			log.warn({ pauseMs: context.admissions.balancePauseMs }, 'XTTS balance is used up; new jobs are refused for a while');
		}
		// Only an error that certainly created no job lets us forget the attempt.
		throw error;
	} finally {
		noticeTimer.abort();
	}
}

/** A short text's request: `submitting` recorded, sent, then `submitted` with its request id. */
export async function submit(ready: Sendable, context: SubmitContext): Promise<JobIn<'submitted'>> {
	const { clock, reporter, log, memberCancel } = context;
	if (context.admissions.balancePaused) throw new JobFailed({ kind: 'balance' });
	const job = await context.save(toSubmitting(ready, clock.now()));
	const accepted = await sendRequest(job, job.request.text, context, job);
	log.info({ requestId: accepted.requestId }, 'job submitted');
	// At the moment it reached the API, as recorded in its request: metrics count the move by it.
	const submitted = await context.save(toSubmitted(job, accepted, accepted.submittedAt));
	// Cancelled while the request was on the wire: the runner says so next, not "Queued".
	if (!memberCancel.aborted) await reporter.progress(submitted, { kind: accepted.status === 'PROCESSING' ? 'processing' : 'queued' });
	return submitted;
}
