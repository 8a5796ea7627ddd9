import type { Logger } from '../logger.js';
import { outputFileName } from './audio.js';
import type { Clock } from './clock.js';
import { UndeliverableError, type Delivery } from './delivery.js';
import type { JobRecord, JobState, JobStore } from './job-store.js';
import { failureMessage, progressMessage, resultMessage, type Failure } from './messages.js';
import { FINAL_STATUSES, XttsError, type JobStatus, type XttsClient } from './xtts-client.js';

/**
 * A job's life: durable record → submit → track (poll) → deliver, and resuming unfinished ones after a restart.
 * Order matters for money: the record is written before the generate request, and a record found in
 * `submitting` after a crash is reported as failed, never sent again (a double submit is a double charge).
 */

export interface JobRunnerOptions {
	xtts: XttsClient;
	jobs: JobStore;
	delivery: Delivery;
	clock: Clock;
	logger: Logger;
	pollIntervalMs: number;
	jobTimeoutMs: number;
}

export interface JobRunner {
	/** Records the job, then runs it in the background. Resolves once the record is stored. */
	start(job: JobRecord): Promise<void>;
	/** Picks up every unfinished job from the store; returns how many. */
	resume(): Promise<number>;
	/** Stops tracking (jobs stay in the store for the next start) and waits for the runs to settle. */
	stop(): Promise<void>;
	readonly inFlight: number;
	/** Resolves when the job's current run has settled (for tests and shutdown). */
	settled(jobId: string): Promise<void>;
}

class JobFailed extends Error {
	constructor(readonly failure: Failure) {
		super(failure.kind);
	}
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
	const { xtts, jobs, delivery, clock, pollIntervalMs, jobTimeoutMs } = options;
	const log = options.logger.child({ component: 'job-runner' });
	const running = new Map<string, Promise<void>>();
	const shutdown = new AbortController();

	async function transition(job: JobRecord, state: JobState, changes: Partial<JobRecord> = {}): Promise<JobRecord> {
		const next: JobRecord = { ...job, ...changes, state, updatedAt: clock.now() };
		await jobs.save(next);
		return next;
	}

	function launch(job: JobRecord, fresh: boolean): void {
		if (running.has(job.id)) return;
		const run = execute(job, fresh)
			.catch((error: unknown) => {
				if (shutdown.signal.aborted) return;
				log.error({ jobId: job.id, err: error }, 'job run crashed');
			})
			.finally(() => running.delete(job.id));
		running.set(job.id, run);
	}

	async function execute(initial: JobRecord, fresh: boolean): Promise<void> {
		let job = initial;
		const jobLog = log.child({ jobId: job.id, guildId: job.guildId, channelId: job.channelId });
		try {
			if (job.state === 'submitting' || (job.state === 'recorded' && !fresh && job.xtts)) {
				// We crashed while the generate request was in flight: it may have been charged. Don't resend.
				throw new JobFailed({ kind: 'interrupted' });
			}
			let mediaUrl: string | undefined;
			if (job.state === 'recorded') job = await submit(job, jobLog);
			if (job.state === 'submitted') ({ job, mediaUrl } = await track(job, jobLog));
			if (job.state === 'delivering') job = await deliverResult(job, mediaUrl, jobLog);
		} catch (error) {
			if (shutdown.signal.aborted) {
				jobLog.info({ state: job.state }, 'job paused for shutdown; it resumes on the next start');
				return;
			}
			await fail(job, error, jobLog);
		}
	}

	async function submit(job: JobRecord, jobLog: Logger): Promise<JobRecord> {
		job = await transition(job, 'submitting');
		await delivery.progress(job, progressMessage(job, 'starting'));
		const submitted = await xtts.submit(
			{ speaker: job.request.speakerUrl, text: job.request.text, language: job.request.language, cleanupVoice: job.request.cleanupVoice },
			{ signal: shutdown.signal },
		);
		jobLog.info({ requestId: submitted.requestId }, 'job submitted');
		job = await transition(job, 'submitted', {
			xtts: { requestId: submitted.requestId, status: submitted.status, ...(submitted.pollingUrl ? { pollingUrl: submitted.pollingUrl } : {}) },
		});
		await delivery.progress(job, progressMessage(job, submitted.status));
		return job;
	}

	async function track(job: JobRecord, jobLog: Logger): Promise<{ job: JobRecord; mediaUrl: string }> {
		const xttsJob = job.xtts!;
		const deadline = job.createdAt + jobTimeoutMs;
		for (;;) {
			const wait = Math.min(pollIntervalMs, deadline - clock.now());
			if (wait <= 0) throw new JobFailed({ kind: 'timeout' });
			await clock.sleep(wait, shutdown.signal);
			if (clock.now() >= deadline) throw new JobFailed({ kind: 'timeout' });

			let status: JobStatus;
			try {
				status = await xtts.getStatus(xttsJob.requestId, { pollingUrl: xttsJob.pollingUrl, signal: shutdown.signal });
			} catch (error) {
				// A flaky API must not lose the job: keep polling until the deadline, unless it can never succeed.
				if (error instanceof XttsError && error.transient) {
					jobLog.warn({ kind: error.kind, status: error.status }, 'status request failed; polling continues');
					continue;
				}
				throw error;
			}

			if (status.status !== job.xtts!.status) {
				jobLog.info({ from: job.xtts!.status, to: status.status }, 'job status changed');
				job = await transition(job, FINAL_STATUSES.has(status.status) ? 'delivering' : 'submitted', {
					xtts: { ...job.xtts!, status: status.status },
				});
				if (!FINAL_STATUSES.has(status.status)) await delivery.progress(job, progressMessage(job, status.status));
			}
			if (status.status === 'FAILED') throw new JobFailed({ kind: 'failed', apiError: status.error ?? undefined });
			if (status.status === 'ERROR') throw new JobFailed({ kind: 'provider-error' });
			if (status.status === 'COMPLETED') {
				if (status.mediaUrls.length === 0) throw new XttsError('bad-response', 'COMPLETED without a media_url');
				if (job.state !== 'delivering') job = await transition(job, 'delivering');
				return { job, mediaUrl: status.mediaUrls[0]! };
			}
		}
	}

	async function deliverResult(job: JobRecord, mediaUrl: string | undefined, jobLog: Logger): Promise<JobRecord> {
		if (!mediaUrl) {
			// Resumed in `delivering`: ask the API for the media URL again (it is not stored: it may be signed).
			const status = await xtts.getStatus(job.xtts!.requestId, { pollingUrl: job.xtts!.pollingUrl, signal: shutdown.signal });
			if (status.status === 'FAILED') throw new JobFailed({ kind: 'failed', apiError: status.error ?? undefined });
			if (status.status === 'ERROR') throw new JobFailed({ kind: 'provider-error' });
			mediaUrl = status.mediaUrls[0];
			if (!mediaUrl) throw new XttsError('bad-response', 'COMPLETED without a media_url');
		}

		let message;
		try {
			const audio = await xtts.downloadMedia(mediaUrl, { maxBytes: job.uploadLimit, signal: shutdown.signal });
			message = { content: resultMessage(job), file: { name: await outputFileName(audio.subarray(0, 4100)), data: audio } };
		} catch (error) {
			if (!(error instanceof XttsError && error.kind === 'too-large')) throw error;
			jobLog.info({ limit: job.uploadLimit }, 'output over the upload limit; posting its link');
			message = { content: resultMessage(job, { tooLarge: { url: mediaUrl, limit: job.uploadLimit, ...(error.bytes === undefined ? {} : { bytes: error.bytes }) } }) };
		}
		const delivered = await delivery.finish(job, message);
		jobLog.info({ via: delivered.via, messageId: delivered.messageId, ms: clock.now() - job.createdAt }, 'job delivered');
		return transition(job, 'delivered', {
			outcome: { kind: 'delivered', via: delivered.via, ...(delivered.messageId ? { messageId: delivered.messageId } : {}) },
		});
	}

	async function fail(job: JobRecord, error: unknown, jobLog: Logger): Promise<void> {
		const failure = toFailure(error);
		if (failure.kind === 'internal') jobLog.error({ err: error, state: job.state }, 'job failed');
		else jobLog.warn({ kind: failure.kind, apiError: failure.apiError, err: error instanceof JobFailed ? undefined : error }, 'job failed');
		let delivered = false;
		try {
			await delivery.finish(job, { content: failureMessage(failure, { jobId: job.id, requestId: job.xtts?.requestId }) });
			delivered = true;
		} catch (deliveryError) {
			jobLog.error({ err: deliveryError instanceof UndeliverableError ? deliveryError.message : deliveryError }, 'could not tell the member that the job failed');
		}
		await transition(job, 'failed', { outcome: { kind: 'failed', reason: failure.kind, delivered } }).catch((storeError: unknown) =>
			jobLog.error({ err: storeError }, 'could not record the failure'),
		);
	}

	return {
		async start(job) {
			await jobs.save(job);
			launch(job, true);
		},

		async resume() {
			const unfinished = await jobs.unfinished();
			for (const job of unfinished) launch(job, false);
			if (unfinished.length > 0) log.info({ count: unfinished.length }, 'resuming unfinished jobs');
			return unfinished.length;
		},

		async stop() {
			shutdown.abort(new Error('shutting down'));
			await Promise.allSettled(running.values());
		},

		get inFlight() {
			return running.size;
		},

		async settled(jobId) {
			await running.get(jobId);
		},
	};
}

/** Turns whatever ended a job into the kind of message the member gets. */
export function toFailure(error: unknown): Failure {
	if (error instanceof JobFailed) return error.failure;
	if (error instanceof XttsError) {
		switch (error.kind) {
			case 'balance':
				return { kind: 'balance' };
			case 'auth':
				return { kind: 'auth' };
			case 'bad-request':
			case 'not-found':
				return { kind: 'unavailable' };
			case 'rate-limited':
				return { kind: 'busy' };
			case 'network':
				return { kind: 'network' };
			case 'server':
				return { kind: 'unavailable' };
			case 'download':
			case 'too-large':
				return { kind: 'download' };
			case 'bad-response':
				return { kind: 'internal' };
		}
	}
	return { kind: 'internal' };
}
