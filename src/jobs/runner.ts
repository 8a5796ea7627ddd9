import type { Logger } from '../util/logger.js';
import { setMaxListeners } from 'node:events';
import { linkedSignal } from '../util/abort.js';
import type { AudioPreparer } from './prepare-audio.js';
import type { Clock } from '../util/clock.js';
import { UndeliverableError, type Delivery, type OutgoingMessage } from '../discord/delivery.js';
import { resultButtons } from '../discord/components/job-buttons.js';
import { UNFINISHED_STATES, type JobRecord, type JobState, type JobStore } from '../store/job-store.js';
import type { Ownership } from '../store/ownership.js';
import type { Limits } from '../store/settings.js';
import { cancelledMessage, failureMessage, partLinks, progressMessage, queuedMessage, resultMessage, type Failure } from '../discord/presenter.js';
import { FINAL_STATUSES, parseStatusBody, XttsError, type JobStatus, type XttsClient } from '../xtts/client.js';

/**
 * A job's life: durable record → (wait for a slot) → submit → track (poll, or webhook + slow poll) → deliver,
 * and resuming unfinished jobs after a restart.
 *
 * Order matters for money: the record is written before the generate request, and the state `submitting`
 * is written just before it goes out. A record found in `submitting` after a crash may have been charged:
 * it is reported to the member as failed, never sent again. A record still in `recorded` never reached
 * the API, so it is safe to submit after a restart.
 */

export interface JobRunnerOptions {
	xtts: XttsClient;
	jobs: JobStore;
	delivery: Delivery;
	audio: AudioPreparer;
	clock: Clock;
	logger: Logger;
	pollIntervalMs: number;
	jobTimeoutMs: number;
	/** Jobs at the API at once; the rest wait in line, in order. */
	maxInFlight?: number;
	/** When set, jobs are submitted with a callback URL and polled only slowly, as a safety net. */
	webhook?: { urlFor(jobId: string): string; safetyPollIntervalMs: number };
	/** After a 402, how long new jobs are refused without asking the API. */
	balancePauseMs?: number;
	/** Which jobs are this process's when several share the store. */
	ownership: Ownership;
}

export type Admission =
	| { ok: true }
	| { ok: false; reason: 'member-busy' | 'server-busy' | 'balance' | 'stopping' }
	| { ok: false; reason: 'cooldown'; retryAfterMs: number };

export interface JobRunner {
	/** Whether a request from this member in this server may start now (answered before anything is spent). */
	admit(request: { guildId: string | null; requesterId: string }, limits: Limits): Admission;
	/**
	 * Records the job, then runs it in the background (or puts it in line). Resolves once the record is stored.
	 * With limits, admission is checked again first (the member may have started another job meanwhile):
	 * throws a RefusedError when refused.
	 */
	start(job: JobRecord, limits?: Limits): Promise<void>;
	/** Picks up the unfinished jobs in the store that no live process runs; returns how many. */
	resume(): Promise<number>;
	/** Stops a job for its member: 'cancelled', or 'unknown' when this process isn't running it. */
	cancel(jobId: string): Promise<'cancelled' | 'unknown'>;
	/** The live record of a job this process runs. */
	running(jobId: string): JobRecord | undefined;
	/**
	 * A callback from the API: 'taken'; 'invalid' for a body that is no status; 'unknown' for no such job;
	 * 'elsewhere' for an unfinished job this process isn't running (another process sharing the store, or not
	 * resumed yet).
	 */
	notify(jobId: string, body: unknown): Promise<'taken' | 'unknown' | 'elsewhere' | 'invalid'>;
	/**
	 * Stops tracking (jobs stay in the store for the next start) and waits for the runs to settle; a generate
	 * request still on the wire gets `graceMs` to come back (it may be charged) before it is abandoned.
	 */
	stop(graceMs?: number): Promise<void>;
	readonly inFlight: number;
	readonly queued: number;
	/** Resolves when the job's current run has settled (for tests and shutdown). */
	settled(jobId: string): Promise<void>;
}

export class RefusedError extends Error {
	override name = 'RefusedError';
	constructor(readonly admission: Exclude<Admission, { ok: true }>) {
		super(`refused: ${admission.reason}`);
	}
}

class JobFailed extends Error {
	constructor(readonly failure: Failure) {
		super(failure.kind);
	}
}

interface Tracked {
	job: JobRecord;
	/** Aborted by shutdown or by the member's Cancel. */
	cancel?: AbortController;
	/** Wakes a sleeping poll loop when a callback arrived. */
	wake?: () => void;
	/** A status delivered by callback, used instead of one more poll. */
	callback?: JobStatus;
	/** Callbacks that arrived before their request id was known (a fast API), by request id. */
	early?: Map<string, JobStatus>;
}

const QUEUE_REFRESH_MS = 5_000;
/** How long a generate request may take before the reply says it is being sent. */
export const SENDING_NOTICE_MS = 2_000;

export function createJobRunner(options: JobRunnerOptions): JobRunner {
	const { xtts, jobs, delivery, audio, clock, pollIntervalMs, jobTimeoutMs, webhook, ownership } = options;
	const maxInFlight = options.maxInFlight ?? 20;
	const balancePauseMs = options.balancePauseMs ?? 10 * 60 * 1000;
	const log = options.logger.child({ component: 'job-runner' });

	const running = new Map<string, Promise<void>>();
	const tracked = new Map<string, Tracked>();
	const waiting: JobRecord[] = [];
	const shownPosition = new Map<string, number>();
	const lastRequestAt = new Map<string, number>();
	const shutdown = new AbortController();
	/** Aborts even a generate request on the wire, once shutdown's grace is over. */
	const hardStop = new AbortController();
	// Every running job listens to both (and lets go when it ends): thousands at once are expected, not a leak.
	setMaxListeners(0, shutdown.signal, hardStop.signal);
	let atApi = 0;
	let balancePausedUntil = 0;
	let refreshTimer: ReturnType<typeof setTimeout> | undefined;

	async function transition(job: JobRecord, state: JobState, changes: Partial<JobRecord> = {}): Promise<JobRecord> {
		const next: JobRecord = { ...job, ...changes, state, updatedAt: clock.now() };
		await jobs.save(next);
		const entry = tracked.get(job.id);
		if (entry) entry.job = next;
		return next;
	}

	function launch(job: JobRecord): void {
		if (running.has(job.id)) return;
		tracked.set(job.id, { job });
		const run = execute(job)
			.catch((error: unknown) => {
				if (!shutdown.signal.aborted) log.error({ jobId: job.id, err: error }, 'job run crashed');
			})
			.finally(() => {
				running.delete(job.id);
				tracked.delete(job.id);
				if (!shutdown.signal.aborted) pump();
			});
		running.set(job.id, run);
	}

	/** Moves jobs from the line to the API while there is room. */
	function pump(): void {
		while (waiting.length > 0 && atApi < maxInFlight && !shutdown.signal.aborted) {
			const next = waiting.shift()!;
			shownPosition.delete(next.id);
			launch(next);
		}
		scheduleQueueRefresh();
	}

	function enqueue(job: JobRecord): void {
		waiting.push(job);
		tracked.set(job.id, { job });
		// A newcomer learns its place at once; the others hear about their progress at a calmer pace.
		shownPosition.set(job.id, waiting.length);
		void delivery.progress(job, queuedMessage(job, waiting.length));
	}

	/** Tells waiting members their new place in line, at most every few seconds and only when it changed. */
	function scheduleQueueRefresh(): void {
		if (refreshTimer || waiting.length === 0 || shutdown.signal.aborted) return;
		refreshTimer = setTimeout(() => {
			refreshTimer = undefined;
			waiting.forEach((job, index) => {
				const position = index + 1;
				if (shownPosition.get(job.id) === position) return;
				// Far back in a long line, only round positions are worth an edit.
				if (position > 20 && position % 10 !== 0) return;
				shownPosition.set(job.id, position);
				void delivery.progress(job, queuedMessage(job, position));
			});
		}, QUEUE_REFRESH_MS);
		refreshTimer.unref();
	}

	async function execute(initial: JobRecord): Promise<void> {
		let job = initial;
		const jobLog = log.child({ jobId: job.id, guildId: job.guildId, channelId: job.channelId });
		const cancel = new AbortController();
		tracked.get(job.id)!.cancel = cancel;
		const linked = linkedSignal(shutdown.signal, cancel.signal);
		const { signal } = linked;
		// A job at the API (or about to be) counts against MAX_JOBS_IN_FLIGHT; one resumed while delivering a part
		// starts counting when it sends its next part.
		let holdsSlot = job.state === 'recorded' || job.state === 'submitting' || job.state === 'submitted';
		if (holdsSlot) atApi++;
		try {
			if (job.state === 'submitting') {
				// We stopped while the generate request was in flight: it may have been charged. Don't resend.
				throw new JobFailed({ kind: 'interrupted' });
			}
			let final: JobStatus | undefined;
			for (;;) {
				if (job.state === 'recorded') {
					// Stopping: a job not sent yet stays `recorded`, to be sent by the next start.
					if (shutdown.signal.aborted) throw shutdown.signal.reason;
					if (!holdsSlot) {
						holdsSlot = true;
						atApi++;
					}
					job = await submit(job, jobLog, cancel.signal);
				}
				if (shutdown.signal.aborted) throw shutdown.signal.reason;
				if (cancel.signal.aborted) throw cancel.signal.reason;
				if (job.state === 'submitted') ({ job, final } = await track(job, jobLog, signal));
				const next = (job.partIndex ?? 0) + 1;
				if (job.state !== 'delivering' || !job.parts || next >= job.parts.length) break;
				// A part is done: the next one has never been sent, so it starts from `recorded`.
				const { xtts: _done, ...rest } = job;
				job = await transition(rest, 'recorded', { partIndex: next });
			}
			if (job.state === 'delivering') job = await deliverResult(job, final, jobLog, signal);
		} catch (error) {
			if (shutdown.signal.aborted) {
				jobLog.info({ state: job.state }, 'job paused for shutdown; it resumes on the next start');
				return;
			}
			if (cancel.signal.aborted) {
				await cancelled(tracked.get(job.id)?.job ?? job, jobLog);
				return;
			}
			await fail(job, error, jobLog);
		} finally {
			linked.dispose();
			if (holdsSlot) atApi--;
		}
	}

	async function submit(job: JobRecord, jobLog: Logger, memberCancel: AbortSignal): Promise<JobRecord> {
		if (clock.now() < balancePausedUntil) throw new JobFailed({ kind: 'balance' });
		job = await transition(job, 'submitting');
		// "Sending" is worth an edit only when the API is slow to answer (429 retries, a slow gateway): usually its
		// 202 comes within a moment, and "Queued" right after "Sending" would be two edits for one change.
		const notice = linkedSignal(memberCancel);
		const sending = job;
		void clock.sleep(SENDING_NOTICE_MS, notice.signal).then(
			() => delivery.progress(sending, progressMessage(sending, 'starting')),
			() => undefined,
		);
		let submitted;
		try {
			submitted = await xtts.submit(
				{
					speaker: job.request.speakerUrl,
					text: job.parts ? job.parts[job.partIndex ?? 0]!.text : job.request.text,
					language: job.request.language,
					cleanupVoice: job.request.cleanupVoice,
					...(webhook ? { webhookUrl: webhook.urlFor(job.id) } : {}),
				},
				// A request on the wire may be charged: neither shutdown (until its grace is over) nor the member's
				// Cancel aborts it, so that its request id is recorded. Cancel ends the waits between attempts.
				{ signal: hardStop.signal, cancelWaits: memberCancel },
			);
		} catch (error) {
			if (error instanceof XttsError && error.kind === 'balance') {
				balancePausedUntil = clock.now() + balancePauseMs;
				jobLog.warn({ pauseMs: balancePauseMs }, 'XTTS balance is used up; new jobs are refused for a while');
			}
			// Only an error that certainly created no job lets us forget the attempt.
			throw error;
		} finally {
			notice.abort();
		}
		jobLog.info({ requestId: submitted.requestId, part: job.parts ? (job.partIndex ?? 0) + 1 : undefined }, 'job submitted');
		const xttsJob = {
			requestId: submitted.requestId,
			status: submitted.status,
			submittedAt: clock.now(),
			...(submitted.pollingUrl ? { pollingUrl: submitted.pollingUrl } : {}),
		};
		job = await transition(job, 'submitted', {
			xtts: xttsJob,
			...(job.parts
				? {
						parts: job.parts.map((part, index) =>
							index === (job.partIndex ?? 0)
								? { ...part, requestId: xttsJob.requestId, ...(xttsJob.pollingUrl ? { pollingUrl: xttsJob.pollingUrl } : {}) }
								: part,
						),
					}
				: {}),
		});
		// Cancelled while the request was on the wire: the runner says so next, not "Queued".
		if (!memberCancel.aborted) await delivery.progress(job, progressMessage(job, submitted.status));
		return job;
	}

	async function track(job: JobRecord, jobLog: Logger, signal: AbortSignal): Promise<{ job: JobRecord; final: JobStatus }> {
		// Measured from when this request reached the API: time spent in line, or while the bot was down, doesn't count.
		const deadline = (job.xtts!.submittedAt ?? job.createdAt) + jobTimeoutMs;
		const entry = tracked.get(job.id)!;
		const early = entry.early?.get(job.xtts!.requestId);
		if (early && !entry.callback) entry.callback = early;
		entry.early = undefined;
		const interval = webhook ? webhook.safetyPollIntervalMs : pollIntervalMs;
		let lookedAtDeadline = false;
		// Out of time because the API kept refusing us (429) is "busy", not "took too long".
		let lastRefusal: XttsError | undefined;
		const outOfTime = () => new JobFailed({ kind: lastRefusal?.kind === 'rate-limited' ? 'busy' : 'timeout' });
		for (;;) {
			if (!entry.callback) {
				const remaining = deadline - clock.now();
				if (remaining > 0) await sleepUnlessWoken(entry, Math.min(interval, remaining), signal);
				else if (lookedAtDeadline) throw outOfTime();
				// At (or, after a restart, past) the deadline: one last look before giving up, the audio may be ready.
				if (deadline - clock.now() <= 0) lookedAtDeadline = true;
			}

			let status: JobStatus;
			if (entry.callback) {
				status = entry.callback;
				entry.callback = undefined;
			} else {
				try {
					status = await xtts.getStatus(job.xtts!.requestId, { pollingUrl: job.xtts!.pollingUrl, signal });
				} catch (error) {
					if (signal.aborted) throw error;
					// A flaky API must not lose the job: keep polling until the deadline, unless it can never succeed.
					if (error instanceof XttsError && error.transient) {
						jobLog.warn({ kind: error.kind, status: error.status }, 'status request failed; polling continues');
						lastRefusal = error;
						if (lookedAtDeadline) throw outOfTime();
						continue;
					}
					throw error;
				}
				lastRefusal = undefined;
			}

			if (status.status !== job.xtts!.status) {
				jobLog.info({ from: job.xtts!.status, to: status.status }, 'job status changed');
				job = await transition(job, FINAL_STATUSES.has(status.status) ? 'delivering' : 'submitted', { xtts: { ...job.xtts!, status: status.status } });
				if (!FINAL_STATUSES.has(status.status)) await delivery.progress(job, progressMessage(job, status.status));
			}
			if (status.status === 'FAILED') throw new JobFailed({ kind: 'failed', apiError: status.error ?? undefined, ...partOf(job) });
			if (status.status === 'ERROR') throw new JobFailed({ kind: 'provider-error', ...partOf(job) });
			if (status.status === 'COMPLETED') {
				if (status.mediaUrls.length === 0) throw new XttsError('bad-response', 'COMPLETED without a media_url');
				if (job.state !== 'delivering') job = await transition(job, 'delivering');
				return { job, final: status };
			}
			if (lookedAtDeadline) throw outOfTime();
		}
	}

	function sleepUnlessWoken(entry: Tracked, ms: number, jobSignal: AbortSignal): Promise<void> {
		const sleep = linkedSignal(jobSignal);
		entry.wake = () => sleep.abort();
		return clock
			.sleep(ms, sleep.signal)
			.catch((error: unknown) => {
				if (jobSignal.aborted) throw error;
			})
			.finally(() => {
				sleep.dispose();
				entry.wake = undefined;
			});
	}

	async function deliverResult(job: JobRecord, final: JobStatus | undefined, jobLog: Logger, signal: AbortSignal): Promise<JobRecord> {
		if (!final) {
			// Resumed while delivering: ask the API for the media URL again (it is not stored: it may be signed).
			final = await xtts.getStatus(job.xtts!.requestId, { pollingUrl: job.xtts!.pollingUrl, signal });
			if (final.status === 'FAILED') throw new JobFailed({ kind: 'failed', apiError: final.error ?? undefined });
			if (final.status === 'ERROR') throw new JobFailed({ kind: 'provider-error' });
		}
		const mediaUrl = final.mediaUrls[0];
		if (!mediaUrl) throw new XttsError('bad-response', 'COMPLETED without a media_url');

		let prepared;
		// The earlier parts' media URLs are asked for again now: they are not stored (they may be signed).
		const urls: string[] = [];
		if (job.parts && job.parts.length > 1) {
			for (const [index, part] of job.parts.entries()) {
				if (index === job.parts.length - 1) {
					urls.push(mediaUrl);
					continue;
				}
				const status = await xtts.getStatus(part.requestId!, { ...(part.pollingUrl ? { pollingUrl: part.pollingUrl } : {}), signal });
				if (status.status !== 'COMPLETED' || !status.mediaUrls[0]) throw new JobFailed({ kind: 'download', part: { index, total: job.parts.length } });
				urls.push(status.mediaUrls[0]);
			}
			prepared = await audio.prepareJoined(urls, job.uploadLimit, signal);
		} else {
			prepared = await audio.prepare(mediaUrl, job.uploadLimit, signal);
		}
		const components = resultButtons(job.id, job.locale);
		let message: OutgoingMessage;
		if (prepared.kind === 'file') message = { content: resultMessage(job), file: prepared.file, components };
		else if (urls.length > 1) {
			// Too large once joined: each part's own link, in order (the last part's alone would be a fragment).
			message = {
				content: resultMessage(job, { partsTooLarge: { count: urls.length, bytes: prepared.bytes ?? 0, limit: job.uploadLimit } }),
				embeds: partLinks(urls),
				components,
			};
		} else {
			message = {
				content: resultMessage(job, {
					tooLarge: { url: mediaUrl, limit: job.uploadLimit, ...(prepared.bytes === undefined ? {} : { bytes: prepared.bytes }) },
				}),
				components,
			};
		}
		if (prepared.kind === 'link') jobLog.info({ limit: job.uploadLimit, bytes: prepared.bytes }, 'output over the upload limit; posting its link');
		let voiceUrl: string | undefined;
		if (job.request.voiceMessage && prepared.kind === 'file') {
			voiceUrl = await postAsVoiceMessage(job, prepared.file.data, jobLog, signal);
			if (voiceUrl) {
				// The reply points to the voice message instead of carrying the audio twice.
				message = { content: resultMessage(job, { voiceMessageUrl: voiceUrl }), components };
			}
		}
		const delivered = await delivery.finish(job, message);
		jobLog.info(
			{ via: delivered.via, messageId: delivered.messageId, transcoded: prepared.kind === 'file' && prepared.transcoded, ms: clock.now() - job.createdAt },
			'job delivered',
		);
		const outcome = {
			kind: 'delivered' as const,
			via: delivered.via,
			...(delivered.messageId ? { messageId: delivered.messageId } : {}),
			// So that Delete removes the voice message too.
			...(voiceUrl ? { voiceMessageId: voiceUrl.split('/').at(-1)! } : {}),
		};
		try {
			return await transition(job, 'delivered', { outcome });
		} catch (storeError) {
			// The member has the audio: a failure message now would replace it. The record stays `delivering`, and a
			// restart re-edits the reply with the same result (or, past the token's life, posts it in the channel).
			jobLog.error({ err: storeError }, 'delivered, but the delivery could not be recorded');
			return job;
		}
	}

	/** Discord doesn't let a deferred reply become a voice message: it is posted in the channel. Undefined on any refusal. */
	async function postAsVoiceMessage(job: JobRecord, audioData: Buffer, jobLog: Logger, signal: AbortSignal): Promise<string | undefined> {
		const voice = await audio.voiceMessage(audioData, job.uploadLimit, signal);
		if (!voice) return undefined;
		try {
			return await delivery.postVoiceMessage(job, voice);
		} catch (error) {
			jobLog.info({ err: error instanceof Error ? error.message : error }, 'voice message refused here; sending an audio file');
			return undefined;
		}
	}

	async function cancelled(job: JobRecord, jobLog: Logger): Promise<void> {
		// A long text waiting to send its next part has already had the earlier ones generated.
		const reachedApi = job.state !== 'recorded' || (job.partIndex ?? 0) > 0;
		jobLog.info({ state: job.state, requestId: job.xtts?.requestId }, 'job cancelled by the member');
		await delivery
			.finish(job, { content: cancelledMessage(job, reachedApi), components: [] })
			.catch((error: unknown) => jobLog.warn({ err: error }, 'could not show the cancellation'));
		await transition(job, 'failed', { outcome: { kind: 'failed', reason: 'cancelled', delivered: true } }).catch((storeError: unknown) =>
			jobLog.error({ err: storeError }, 'could not record the cancellation'),
		);
	}

	async function fail(job: JobRecord, error: unknown, jobLog: Logger): Promise<void> {
		if (error instanceof UndeliverableError) {
			// Neither the reply nor the channel takes our messages: a failure message would bounce too.
			jobLog.error({ err: error.message, requestId: job.xtts?.requestId }, 'job undeliverable: the bot may not post in this channel');
			await transition(job, 'failed', { outcome: { kind: 'failed', reason: 'undeliverable', delivered: false } }).catch((storeError: unknown) =>
				jobLog.error({ err: storeError }, 'could not record the failure'),
			);
			return;
		}
		// A long text's failure says which part failed, whatever ended it (a timeout, a refused request…).
		const failure = { ...partOf(job), ...toFailure(error) };
		if (failure.kind === 'internal') jobLog.error({ err: error, state: job.state }, 'job failed');
		else jobLog.warn({ kind: failure.kind, apiError: failure.apiError, err: error instanceof JobFailed ? undefined : error }, 'job failed');
		let delivered = false;
		try {
			await delivery.finish(job, { content: failureMessage(failure, { jobId: job.id, requestId: job.xtts?.requestId }, job.locale) });
			delivered = true;
		} catch (deliveryError) {
			jobLog.error(
				{ err: deliveryError instanceof UndeliverableError ? deliveryError.message : deliveryError },
				'could not tell the member that the job failed',
			);
		}
		await transition(job, 'failed', { outcome: { kind: 'failed', reason: failure.kind, delivered } }).catch((storeError: unknown) =>
			jobLog.error({ err: storeError }, 'could not record the failure'),
		);
	}

	function countActive(predicate: (job: JobRecord) => boolean): number {
		let count = 0;
		for (const { job } of tracked.values()) if (predicate(job)) count++;
		return count;
	}

	function admit({ guildId, requesterId }: { guildId: string | null; requesterId: string }, limits: Limits): Admission {
		if (shutdown.signal.aborted) return { ok: false, reason: 'stopping' };
		if (clock.now() < balancePausedUntil) return { ok: false, reason: 'balance' };
		if (countActive((job) => job.requesterId === requesterId) >= limits.perMember) return { ok: false, reason: 'member-busy' };
		const last = lastRequestAt.get(requesterId);
		const cooldownMs = limits.cooldownSeconds * 1000;
		if (last !== undefined && clock.now() - last < cooldownMs) return { ok: false, reason: 'cooldown', retryAfterMs: cooldownMs - (clock.now() - last) };
		if (guildId && countActive((job) => job.guildId === guildId) >= limits.perServer) return { ok: false, reason: 'server-busy' };
		return { ok: true };
	}

	return {
		admit,

		async start(job, limits) {
			job = { ...job, owner: ownership.id };
			if (limits) {
				const admission = admit(job, limits);
				if (!admission.ok) throw new RefusedError(admission);
			}
			// Counted from now on, so that a second request racing this one is refused.
			tracked.set(job.id, { job });
			lastRequestAt.set(job.requesterId, clock.now());
			if (lastRequestAt.size > 10_000) lastRequestAt.delete(lastRequestAt.keys().next().value!);
			try {
				await ownership.claim(job.id, undefined);
				await jobs.save(job);
			} catch (error) {
				tracked.delete(job.id);
				throw error;
			}
			if (shutdown.signal.aborted) {
				// Stopping meanwhile: the job is recorded and never sent, so the next start sends it.
				tracked.delete(job.id);
				return;
			}
			if (atApi < maxInFlight && waiting.length === 0) launch(job);
			else enqueue(job);
		},

		async resume() {
			let adopted = 0;
			for (const listed of await jobs.unfinished()) {
				if (shutdown.signal.aborted) break;
				if (tracked.has(listed.id)) continue;
				// The list is a snapshot: the job may have finished since (here or elsewhere).
				const found = await jobs.get(listed.id);
				if (!found || !UNFINISHED_STATES.has(found.state) || tracked.has(found.id) || (await ownership.ownedElsewhere(found.owner))) continue;
				if (!(await ownership.claim(found.id, found.owner))) continue;
				const job = found.owner === ownership.id ? found : { ...found, owner: ownership.id };
				if (job !== found) await jobs.save(job);
				adopted++;
				// Jobs already at the API are tracked at once; ones that never reached it wait for a slot, in order.
				if (job.state === 'recorded') enqueue(job);
				else launch(job);
			}
			pump();
			if (adopted > 0) log.info({ count: adopted }, 'resuming unfinished jobs');
			return adopted;
		},

		async cancel(jobId) {
			const entry = tracked.get(jobId);
			if (!entry) return 'unknown';
			const queuedAt = waiting.findIndex((job) => job.id === jobId);
			if (queuedAt >= 0) {
				// Never sent: just leave the line.
				waiting.splice(queuedAt, 1);
				shownPosition.delete(jobId);
				tracked.delete(jobId);
				await cancelled(entry.job, log.child({ jobId }));
				scheduleQueueRefresh();
				return 'cancelled';
			}
			if (!entry.cancel) return 'unknown';
			entry.cancel.abort(new Error('cancelled by the member'));
			await running.get(jobId);
			return 'cancelled';
		},

		running(jobId) {
			return tracked.get(jobId)?.job;
		},

		async notify(jobId, body) {
			// Not a status body at all (no documented status): nothing to act on, and the sender should know.
			const status = parseStatusBody(body, '');
			if (!status) return 'invalid';
			const entry = tracked.get(jobId);
			if (!entry) {
				const job = await jobs.get(jobId);
				if (!job) return 'unknown';
				return UNFINISHED_STATES.has(job.state) ? 'elsewhere' : 'taken';
			}
			const earlierPart = entry.job.parts?.some((part, index) => index !== (entry.job.partIndex ?? 0) && part.requestId === status.requestId);
			if (!status.requestId || earlierPart) {
				log.debug({ jobId }, 'callback is not about the current request of this job; ignored');
				return 'taken';
			}
			if (!entry.job.xtts || entry.job.state === 'submitting') {
				// The API answered the callback before the 202 was recorded: keep it for when it is.
				(entry.early ??= new Map()).set(status.requestId, status);
				return 'taken';
			}
			if (status.requestId !== entry.job.xtts.requestId) {
				log.warn({ jobId }, 'callback for another request of this job; ignored');
				return 'taken';
			}
			log.debug({ jobId, status: status.status }, 'callback received');
			// Taken in place of the next poll; a pending final status is never replaced by an older one.
			if (!(entry.callback && FINAL_STATUSES.has(entry.callback.status))) entry.callback = status;
			entry.wake?.();
			return 'taken';
		},

		async stop(graceMs = 5_000) {
			shutdown.abort(new Error('shutting down'));
			if (refreshTimer) clearTimeout(refreshTimer);
			let graceTimer: ReturnType<typeof setTimeout> | undefined;
			const graceOver = new Promise<void>((resolve) => {
				graceTimer = setTimeout(resolve, graceMs);
			});
			await Promise.race([Promise.allSettled(running.values()), graceOver]);
			clearTimeout(graceTimer);
			hardStop.abort(new Error('shutting down'));
			await Promise.allSettled(running.values());
		},

		get inFlight() {
			return running.size;
		},

		get queued() {
			return waiting.length;
		},

		async settled(jobId) {
			await running.get(jobId);
		},
	};
}

function partOf(job: JobRecord): Pick<Failure, 'part'> {
	return job.parts ? { part: { index: job.partIndex ?? 0, total: job.parts.length } } : {};
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
			case 'server':
				return { kind: 'unavailable' };
			case 'rate-limited':
				return { kind: 'busy' };
			case 'network':
				return { kind: 'network' };
			case 'download':
			case 'too-large':
				return { kind: 'download' };
			case 'bad-response':
				// The API answered, but not as documented: the service's fault, not the member's nor the bot's.
				return { kind: 'unavailable' };
		}
	}
	return { kind: 'internal' };
}
