import type { ConsentBasis } from '../store/audit.js';
import type { ConsentPolicy } from '../store/guild-settings.js';
import type { VoiceChoice } from '../store/people.js';
import { linkedSignal } from '../util/abort.js';
import { createKeyedLock } from '../util/keyed-lock.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { toAllowed, toCancelled, toDenied, toExpired, type ConsentAsk, type JobIn } from './lifecycle.js';
import type { JobRecords } from './records.js';

/**
 * Whose voice may be cloned: the server's policy, the owner's own choice, and the asks for permission. A voice
 * is used only as both allow; nothing reaches the API before they do.
 */

/** Where the voice comes from. */
export interface VoiceSource {
	/** Whose voice it is: a message's author, or the member who uploaded the file. */
	ownerId: string;
	/** Posted by a bot or a webhook. */
	ownerIsBot: boolean;
	/**
	 * One of this bot's own results: never cloned again, whatever the policy. Whose voice it speaks in is another
	 * member's, whose own choice (even `never`) a re-clone would get around.
	 */
	ownResult?: boolean;
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
 * The rules, in order: a blocked member may not clone; this bot's own results never (a re-clone would bypass the
 * original voice owner's choice); an upload or one's own voice is fine; other bots' and webhooks' audio only under
 * `anyone`; `never` beats every policy; `own-voice`
 * refuses everyone else's; `anyone` and an owner's `allow` need no ask; else the owner is asked.
 */
export async function decideConsent({ policy, requesterId, requesterBlocked, source, ownerChoice }: ConsentQuestion): Promise<ConsentDecision> {
	if (requesterBlocked) return { kind: 'refused', reason: 'blocked' };
	if (source.ownResult) return { kind: 'refused', reason: 'bot-audio' };
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
	/** A member deleted their data: the ask says it was withdrawn. */
	withdrawn(job: JobIn<'cancelled'>, ask: ConsentAsk): Promise<void>;
}

export type ConsentAnswer =
	| { kind: 'allowed'; job: JobIn<'recorded'> }
	/** Allowed, but the request may not start now (a limit, a block, a policy changed meanwhile): it ends here. */
	| { kind: 'refused'; job: JobIn<'cancelled'>; reason: unknown }
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
	/**
	 * The owner's answer. On Allow, `start` runs the request (it throws to refuse it: the ask then ends as cancelled,
	 * and nothing was spent); the job stays an open ask until `start` has recorded it, so no other step can take it.
	 */
	answer(jobId: string, by: string, allow: boolean, start: (job: JobIn<'recorded'>) => Promise<void>): Promise<ConsentAnswer>;
	/** The ask could not be posted: it ends here, cancelled. */
	cancel(jobId: string): Promise<void>;
	/** Open asks of this requester held by this process (they count as requests in progress). */
	openFor(requesterId: string): number;
	/** The open asks in the store not yet waited for here (after a restart, or those of a process that died). */
	resume(): Promise<number>;
	/** Withdraws the member's open asks, as theirs or as the voice's owner (their data deleted): the jobs' ids. */
	withdraw(memberId: string): Promise<string[]>;
	/** The open asks this member is part of. */
	pending(memberId: string): Promise<JobIn<'awaiting-consent'>[]>;
	stop(): void;
}

export function createConsentDesk({
	jobs,
	clock,
	reporter,
	logger,
	claimOnce = async () => true,
}: {
	jobs: JobRecords;
	clock: Clock;
	reporter: ConsentReporter;
	logger: Logger;
	/** True for exactly one process sharing the store (a Redis compare-and-set); always true on SQLite. */
	claimOnce?: (key: string) => Promise<boolean>;
}): ConsentDesk {
	const log = logger.child({ component: 'consent' });
	const timers = new Map<string, AbortController>();
	/** Requester of each ask this process waits for. */
	const requesters = new Map<string, string>();
	const stopping = new AbortController();
	// One change at a time to a job's ask in this process: an answer, the expiry, the ask's message id, a withdrawal.
	const locked = createKeyedLock();

	/** The record as the store has it: another process may have answered. */
	async function stillAwaiting(jobId: string): Promise<JobIn<'awaiting-consent'> | undefined> {
		const job = await jobs.get(jobId);
		return job?.state === 'awaiting-consent' ? job : undefined;
	}

	function arm(job: JobIn<'awaiting-consent'>): void {
		timers.get(job.id)?.abort();
		const timer = new AbortController();
		timers.set(job.id, timer);
		requesters.set(job.id, job.requesterId);
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
				if (timers.get(job.id) !== timer) return;
				timers.delete(job.id);
				requesters.delete(job.id);
			});
	}

	function disarm(jobId: string): void {
		timers.get(jobId)?.abort();
		timers.delete(jobId);
		requesters.delete(jobId);
	}

	async function expire(jobId: string): Promise<void> {
		const expired = await locked(jobId, async () => {
			const job = await stillAwaiting(jobId);
			// Every process sharing the store waits for every ask: one of them ends it.
			if (!job || !(await claimOnce(`consent-expiry:${jobId}`))) return undefined;
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

		async answer(jobId, by, allow, start) {
			const answered = await locked(jobId, async (): Promise<ConsentAnswer | 'lapsed'> => {
				const job = await stillAwaiting(jobId);
				if (!job) return { kind: 'closed' };
				if (by !== job.consent.ownerId) return { kind: 'not-owner', ownerId: job.consent.ownerId };
				if (clock.now() >= job.consent.expiresAt) return 'lapsed';
				log.info({ jobId, ownerId: by, allowed: allow }, 'consent ask answered');
				if (!allow) {
					disarm(jobId);
					const denied = toDenied(job, clock.now());
					await jobs.save(denied);
					return { kind: 'denied', job: denied };
				}
				const allowed = toAllowed(job, clock.now());
				try {
					// The runner records it (`recorded`, then on) before anything is spent; until then the store still
					// says `awaiting-consent`, which nothing but this desk acts on.
					await start(allowed);
				} catch (reason) {
					disarm(jobId);
					const cancelled = toCancelled(job, clock.now());
					await jobs.save(cancelled);
					return { kind: 'refused', job: cancelled, reason };
				}
				disarm(jobId);
				return { kind: 'allowed', job: allowed };
			});
			if (answered !== 'lapsed') return answered;
			await expire(jobId);
			return { kind: 'closed' };
		},

		async cancel(jobId) {
			await locked(jobId, async () => {
				disarm(jobId);
				const job = await stillAwaiting(jobId);
				if (job) await jobs.save(toCancelled(job, clock.now()));
			});
		},

		openFor(requesterId) {
			let open = 0;
			for (const requester of requesters.values()) if (requester === requesterId) open++;
			return open;
		},

		async resume() {
			const open = (await openAsks()).filter((job) => !timers.has(job.id));
			for (const job of open) arm(job);
			return open.length;
		},

		async withdraw(memberId) {
			const withdrawn: string[] = [];
			for (const listed of await openAsks()) {
				if (listed.requesterId !== memberId && listed.consent.ownerId !== memberId) continue;
				const cancelled = await locked(listed.id, async () => {
					const job = await stillAwaiting(listed.id);
					if (!job) return undefined;
					disarm(job.id);
					const moved = toCancelled(job, clock.now());
					await jobs.save(moved);
					return { moved, ask: job.consent };
				});
				if (!cancelled) continue;
				await reporter
					.withdrawn(cancelled.moved, cancelled.ask)
					.catch((error: unknown) => log.warn({ err: error, jobId: listed.id }, 'could not close a withdrawn ask'));
				withdrawn.push(listed.id);
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
