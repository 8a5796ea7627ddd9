import type { Clock } from '../util/clock.js';
import { linkedSignal } from '../util/abort.js';
import type { Logger } from '../util/logger.js';
import type { XttsClient } from '../xtts/client.js';
import type { Admissions } from './admission.js';
import { JobFailed } from './failure.js';
import { finish } from './finish.js';
import type { JobRecord } from './lifecycle.js';
import { runParts, type PartSlots } from './parts.js';
import type { JobReporter } from './ports.js';
import type { PollTiming } from './poll-timing.js';
import type { AudioPreparer } from './prepare-audio.js';
import { settleCancelled, settleFailure } from './settle.js';
import { submit } from './submit.js';
import { track, type Inbox } from './track.js';

/**
 * One run of one job, whichever engine gives it its turn: submit → track (polls, or callbacks) → finish, and the
 * endings (cancelled, failed, undeliverable). The embedded engine (jobs/runner.ts) and the shared one
 * (jobs/bullmq-engine.ts) differ only in how a job gets here and what happens to it after a shutdown.
 */

/** What every run of an engine shares. */
export interface RunDeps {
	xtts: XttsClient;
	reporter: JobReporter;
	audio: AudioPreparer;
	clock: Clock;
	admissions: Pick<Admissions, 'balancePaused' | 'pauseForBalance' | 'balancePauseMs'>;
	pollIntervalMs: number;
	jobTimeoutMs: number;
	/** When set, jobs are submitted with a callback URL and polled only slowly, as a safety net. */
	webhook?: { urlFor(jobId: string): string; safetyPollIntervalMs: number } | undefined;
	/** The API's job times, learned; with polling (no webhooks) they time each request's first poll. */
	timing?: PollTiming | undefined;
	/** Told of each request's own time at the API, for metrics. */
	onApiDone?: ((requestId: string, apiMs: number) => void) | undefined;
	/** PARTS_IN_PARALLEL: a long text's parts at the API at once (default 3), each on a slot of its own. */
	partsInParallel?: number | undefined;
}

/** One job being run by this process. */
export interface RunEntry {
	/** The live record, replaced on every save. */
	job: JobRecord;
	/** The member's Cancel; set once the job runs (a job in line just leaves it). */
	cancel?: AbortController;
	inbox: Inbox;
}

export interface RunControl {
	entry: RunEntry;
	/** Writes a move and makes it the entry's live record. */
	save<T extends JobRecord>(job: T): Promise<T>;
	log: Logger;
	/** Stopping: a job not sent yet stays as it is, one at the API is left to the next start. */
	shutdown: AbortSignal;
	/** Aborts even a generate request on the wire, once shutdown's grace is over. */
	hardStop: AbortSignal;
	/**
	 * Asked before each step that costs or shows something (a generate request, the delivery): false when the job
	 * is no longer this process's to run (a shared engine's lock was lost). The run then stops without a word.
	 */
	stillOurs?: () => Promise<boolean>;
	/** Aborted when the engine learns the job is no longer this process's: the run stops where it is, silently. */
	lost?: AbortSignal;
	/** More slots at the API for a long text's parts; without them its parts go one at a time. */
	partSlots?: PartSlots;
}

/** Waits for runs to settle, for at most `graceMs` (a stop's grace for a generate request on the wire). */
export async function settledWithin(runs: Iterable<Promise<unknown> | undefined>, graceMs: number): Promise<void> {
	let graceTimer: ReturnType<typeof setTimeout> | undefined;
	const graceOver = new Promise<void>((resolve) => {
		graceTimer = setTimeout(resolve, graceMs);
	});
	await Promise.race([Promise.allSettled(runs), graceOver]);
	clearTimeout(graceTimer);
}

export const DEFAULT_PARTS_IN_PARALLEL = 3;

/** 'paused': stopped for a shutdown (or a lost lock), to be taken up again; 'ended': it has its final state. */
export type RunOutcome = 'ended' | 'paused';

/** Thrown (by an engine's save, or here) when the job is no longer this process's to run. */
export class NotOurs extends Error {
	override name = 'NotOurs';
}

export async function runJob(deps: RunDeps, control: RunControl): Promise<RunOutcome> {
	const { entry, shutdown, save } = control;
	let job = entry.job;
	// An engine may hand one in, so that a Cancel arriving before the run starts is not lost.
	const cancel = entry.cancel ?? new AbortController();
	entry.cancel = cancel;
	const linked = linkedSignal(shutdown, cancel.signal, ...(control.lost ? [control.lost] : []));
	const { signal } = linked;
	const context = { xtts: deps.xtts, clock: deps.clock, reporter: deps.reporter, save, log: control.log };
	const ensureOurs = async () => {
		if (control.stillOurs && !(await control.stillOurs())) throw new NotOurs('the job is no longer this process’s');
	};
	const sending = () => ({
		...context,
		admissions: deps.admissions,
		webhookUrl: deps.webhook?.urlFor(job.id),
		hardStop: control.hardStop,
		memberCancel: cancel.signal,
	});
	const following = {
		inbox: entry.inbox,
		intervalMs: deps.webhook ? deps.webhook.safetyPollIntervalMs : deps.pollIntervalMs,
		jobTimeoutMs: deps.jobTimeoutMs,
		onApiDone: deps.onApiDone,
	};
	try {
		// Stopped while the generate request was in flight: it may have been charged. Never sent again.
		if (job.state === 'submitting') throw new JobFailed({ kind: 'interrupted' });
		/** Media URLs seen done in this run, by part index (0 for a short text); the others are asked for again. */
		let mediaUrls = new Map<number, string>();
		const notSent = job.state === 'recorded' || job.state === 'waiting';
		if (notSent || job.state === 'parts') {
			if (cancel.signal.aborted) throw cancel.signal.reason;
			// Stopping: a job not sent yet stays as it is, to be sent by the next start.
			if (shutdown.aborted) throw shutdown.reason;
		}
		if (job.parts && (job.state === 'recorded' || job.state === 'waiting' || job.state === 'parts')) {
			const timing = deps.timing ? { learner: deps.timing, schedule: !deps.webhook } : undefined;
			const inParallel = deps.partsInParallel ?? DEFAULT_PARTS_IN_PARALLEL;
			const parts = { ...sending(), follow: following, timing, inParallel, slots: control.partSlots, shutdown, ensureOurs };
			({ job, mediaUrls } = await runParts(job, parts, signal));
		} else {
			let justSent = false;
			if (job.state === 'recorded' || job.state === 'waiting') {
				await ensureOurs();
				job = await submit(job, sending());
				justSent = true;
			}
			if (shutdown.aborted) throw shutdown.reason;
			if (cancel.signal.aborted) throw cancel.signal.reason;
			if (job.state === 'submitted') {
				const timing = deps.timing ? { learner: deps.timing, schedule: !deps.webhook && justSent } : undefined;
				const tracked = await track(job, { ...context, ...following, timing }, signal);
				job = tracked.job;
				const url = tracked.final.mediaUrls[0];
				if (url) mediaUrls = new Map([[0, url]]);
			}
		}
		if (job.state === 'completed') {
			await ensureOurs();
			job = await finish(job, mediaUrls, { ...context, audio: deps.audio }, signal);
		}
		return 'ended';
	} catch (error) {
		if (error instanceof NotOurs || control.lost?.aborted) {
			control.log.warn({ state: entry.job.state }, 'job taken over by another process; this run stops');
			return 'paused';
		}
		if (shutdown.aborted) {
			control.log.info({ state: entry.job.state }, 'job paused for shutdown; it resumes on the next start');
			return 'paused';
		}
		// An ending is shown to the member and recorded: only by the process whose job it still is.
		if (
			!(await ensureOurs().then(
				() => true,
				() => false,
			))
		) {
			control.log.warn({ state: entry.job.state }, 'job taken over by another process; this run stops');
			return 'paused';
		}
		if (cancel.signal.aborted) await settleCancelled(entry.job, context);
		else await settleFailure(entry.job, error, context);
		return 'ended';
	} finally {
		linked.dispose();
	}
}
