import type { ConsentBasis } from '../store/audit.js';
import type { ConsentPolicy } from '../store/guild-settings.js';
import type { VoiceChoice } from '../store/people.js';
import { linkedSignal } from '../util/abort.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { toAllowed, toDenied, toExpired, type JobIn } from './lifecycle.js';
import type { JobRecords } from './records.js';

/**
 * Whose voice may be cloned: the server's policy, the owner's own choice, and the asks for permission. A voice
 * is used only as both allow; nothing reaches the API before they do.
 */

/** Where the voice comes from. */
export interface VoiceSource {
	/** Whose voice it is: a message's author, or the member who uploaded the file. */
	ownerId: string;
	/** Posted by a bot or a webhook (this bot's own results included). */
	ownerIsBot: boolean;
	/** A file the requester gave /clone themselves: they answer for it. */
	uploaded: boolean;
}

export type ConsentRefusal = 'blocked' | 'own-voice-only' | 'owner-never' | 'bot-audio';

export type ConsentDecision = { kind: 'allowed'; basis: ConsentBasis } | { kind: 'ask'; ownerId: string } | { kind: 'refused'; reason: ConsentRefusal };

export interface ConsentQuestion {
	policy: ConsentPolicy;
	requesterId: string;
	requesterBlocked: boolean;
	source: VoiceSource;
	/** The owner's own choice; read only when it matters (another human member's voice). */
	ownerChoice: () => Promise<VoiceChoice>;
}

/**
 * The rules, in order: a blocked member may not clone; an upload or one's own voice is fine; bots' audio only
 * under `anyone` (re-cloning a result would bypass its owner's choice); `never` beats every policy; `own-voice`
 * refuses everyone else's; `anyone` and an owner's `allow` need no ask; else the owner is asked.
 */
export async function decideConsent({ policy, requesterId, requesterBlocked, source, ownerChoice }: ConsentQuestion): Promise<ConsentDecision> {
	if (requesterBlocked) return { kind: 'refused', reason: 'blocked' };
	if (source.uploaded && source.ownerId === requesterId) return { kind: 'allowed', basis: 'uploaded' };
	if (source.ownerIsBot) return policy === 'anyone' ? { kind: 'allowed', basis: 'anyone' } : { kind: 'refused', reason: 'bot-audio' };
	if (source.ownerId === requesterId) return { kind: 'allowed', basis: 'own' };
	const choice = await ownerChoice();
	if (choice === 'never') return { kind: 'refused', reason: 'owner-never' };
	if (policy === 'own-voice') return { kind: 'refused', reason: 'own-voice-only' };
	if (policy === 'anyone') return { kind: 'allowed', basis: 'anyone' };
	if (choice === 'allow') return { kind: 'allowed', basis: 'owner-allows' };
	return { kind: 'ask', ownerId: source.ownerId };
}

/** How long an owner has to answer. Within the requester's 15-minute interaction token, so they can be told. */
export const CONSENT_WINDOW_MS = 10 * 60 * 1000;

export interface ConsentReporter {
	/** Edits the ask to say what happened and tells the requester privately. */
	ended(job: JobIn<'denied' | 'expired'>): Promise<void>;
}

export type ConsentAnswer =
	| { kind: 'allowed'; job: JobIn<'recorded'> }
	| { kind: 'denied'; job: JobIn<'denied'> }
	/** Someone other than the owner pressed. */
	| { kind: 'not-owner'; ownerId: string }
	/** Answered already, expired, or gone. */
	| { kind: 'closed' };

export interface ConsentDesk {
	/** Keeps a job waiting for its owner's answer, until CONSENT_WINDOW_MS after it was asked. */
	hold(job: JobIn<'awaiting-consent'>): Promise<void>;
	/** Records the ask's message once it is posted (the job is held before, so that no answer can come first). */
	attachAsk(jobId: string, messageId: string): Promise<void>;
	answer(jobId: string, by: string, allow: boolean): Promise<ConsentAnswer>;
	/** After a restart: the asks still open wait again (or expire at once, when their time is up). */
	resume(): Promise<number>;
	/** Withdraws the member's open asks, as theirs or as the voice's owner (their data deleted): how many. */
	withdraw(memberId: string): Promise<number>;
	/** The open asks this member is part of. */
	pending(memberId: string): Promise<JobIn<'awaiting-consent'>[]>;
	stop(): void;
}

export function createConsentDesk({
	jobs,
	clock,
	reporter,
	logger,
}: {
	jobs: JobRecords;
	clock: Clock;
	reporter: ConsentReporter;
	logger: Logger;
}): ConsentDesk {
	const log = logger.child({ component: 'consent' });
	const timers = new Map<string, AbortController>();
	const stopping = new AbortController();
	// One change at a time to a job's ask in this process: an answer, the expiry, the ask's message id.
	const locks = new Map<string, Promise<unknown>>();
	function locked<T>(jobId: string, change: () => Promise<T>): Promise<T> {
		const next = (locks.get(jobId) ?? Promise.resolve()).catch(() => undefined).then(change);
		locks.set(jobId, next);
		void next
			.finally(() => {
				if (locks.get(jobId) === next) locks.delete(jobId);
			})
			.catch(() => undefined);
		return next;
	}

	/** The record as the store has it: another process may have answered. */
	async function stillAwaiting(jobId: string): Promise<JobIn<'awaiting-consent'> | undefined> {
		const job = await jobs.get(jobId);
		return job?.state === 'awaiting-consent' ? job : undefined;
	}

	function arm(job: JobIn<'awaiting-consent'>): void {
		timers.get(job.id)?.abort();
		const timer = new AbortController();
		timers.set(job.id, timer);
		const wait = linkedSignal(timer.signal, stopping.signal);
		void clock
			.sleep(Math.max(0, job.consent.expiresAt - clock.now()), wait.signal)
			.then(
				() => expire(job.id),
				() => undefined,
			)
			.catch((error: unknown) => log.error({ err: error, jobId: job.id }, 'could not expire a consent ask'))
			.finally(() => {
				wait.dispose();
				if (timers.get(job.id) === timer) timers.delete(job.id);
			});
	}

	async function expire(jobId: string): Promise<void> {
		const expired = await locked(jobId, async () => {
			const job = await stillAwaiting(jobId);
			if (!job) return undefined;
			const moved = toExpired(job, clock.now());
			await jobs.save(moved);
			return moved;
		});
		if (!expired) return;
		const job = expired;
		log.info({ jobId, ownerId: job.consent.ownerId }, 'consent ask expired');
		await reporter.ended(expired).catch((error: unknown) => log.warn({ err: error, jobId }, 'could not tell the requester the ask expired'));
	}

	async function openAsks(): Promise<JobIn<'awaiting-consent'>[]> {
		return (await jobs.unfinished()).filter((job): job is JobIn<'awaiting-consent'> => job.state === 'awaiting-consent');
	}

	return {
		async hold(job) {
			await jobs.save(job);
			arm(job);
		},

		async attachAsk(jobId, messageId) {
			await locked(jobId, async () => {
				const job = await stillAwaiting(jobId);
				if (job) await jobs.save({ ...job, consent: { ...job.consent, messageId } });
			});
		},

		async answer(jobId, by, allow) {
			const answered = await locked(jobId, async (): Promise<ConsentAnswer | 'lapsed'> => {
				const job = await stillAwaiting(jobId);
				if (!job) return { kind: 'closed' };
				if (by !== job.consent.ownerId) return { kind: 'not-owner', ownerId: job.consent.ownerId };
				if (clock.now() >= job.consent.expiresAt) return 'lapsed';
				timers.get(jobId)?.abort();
				log.info({ jobId, ownerId: by, allowed: allow }, 'consent ask answered');
				if (!allow) {
					const denied = toDenied(job, clock.now());
					await jobs.save(denied);
					return { kind: 'denied', job: denied };
				}
				// `recorded` again: the runner saves it as it starts the job (a crash before then leaves the ask to lapse).
				const allowed = toAllowed(job, clock.now());
				await jobs.save(allowed);
				return { kind: 'allowed', job: allowed };
			});
			if (answered !== 'lapsed') return answered;
			await expire(jobId);
			return { kind: 'closed' };
		},

		async resume() {
			const open = await openAsks();
			for (const job of open) arm(job);
			return open.length;
		},

		async withdraw(memberId) {
			let withdrawn = 0;
			for (const job of await openAsks()) {
				if (job.requesterId !== memberId && job.consent.ownerId !== memberId) continue;
				timers.get(job.id)?.abort();
				const denied = toDenied(job, clock.now());
				await jobs.save(denied);
				await reporter.ended(denied).catch((error: unknown) => log.warn({ err: error, jobId: job.id }, 'could not close a withdrawn ask'));
				withdrawn++;
			}
			return withdrawn;
		},

		async pending(memberId) {
			return (await openAsks()).filter((job) => job.requesterId === memberId || job.consent.ownerId === memberId);
		},

		stop() {
			stopping.abort();
		},
	};
}
