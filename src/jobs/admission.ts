import type { Limits } from '../store/guild-settings.js';
import type { Clock } from '../util/clock.js';

/**
 * Whether a request may start now: the member's and the server's jobs in progress, the member's cooldown, and
 * the pause after the API said the balance is used up. Answered before anything is spent.
 */

export type Refusal = { reason: 'member-busy' | 'server-busy' | 'balance' | 'stopping' } | { reason: 'cooldown'; retryAfterMs: number };
export type Admission = { ok: true } | ({ ok: false } & Refusal);

export class RefusedError extends Error {
	override name = 'RefusedError';
	constructor(readonly admission: Exclude<Admission, { ok: true }>) {
		super(`refused: ${admission.reason}`);
	}
}

export interface AdmissionRequest {
	guildId: string | null;
	requesterId: string;
}

export interface Admissions {
	/** `active`: the jobs this process runs or has in line. */
	check(request: AdmissionRequest, limits: Limits, active: Iterable<AdmissionRequest>): Admission;
	/** The member's cooldown starts now. */
	started(requesterId: string): void;
	/** After a 402, new jobs are refused for a while without asking the API. */
	pauseForBalance(): void;
	readonly balancePaused: boolean;
	readonly balancePauseMs: number;
	/** Stopping: every request is refused. */
	stop(): void;
}

/** Members whose last request time is kept for cooldowns; the oldest is forgotten past this. */
const COOLDOWNS_KEPT = 10_000;

export function createAdmissions({ clock, balancePauseMs = 10 * 60 * 1000 }: { clock: Clock; balancePauseMs?: number | undefined }): Admissions {
	const lastRequestAt = new Map<string, number>();
	let balancePausedUntil = 0;
	let stopping = false;

	const count = (active: Iterable<AdmissionRequest>, predicate: (job: AdmissionRequest) => boolean) => {
		let total = 0;
		for (const job of active) if (predicate(job)) total++;
		return total;
	};

	return {
		check({ guildId, requesterId }, limits, active) {
			if (stopping) return { ok: false, reason: 'stopping' };
			if (clock.now() < balancePausedUntil) return { ok: false, reason: 'balance' };
			if (count(active, (job) => job.requesterId === requesterId) >= limits.perMember) return { ok: false, reason: 'member-busy' };
			const last = lastRequestAt.get(requesterId);
			const cooldownMs = limits.cooldownSeconds * 1000;
			if (last !== undefined && clock.now() - last < cooldownMs) return { ok: false, reason: 'cooldown', retryAfterMs: cooldownMs - (clock.now() - last) };
			if (guildId && count(active, (job) => job.guildId === guildId) >= limits.perServer) return { ok: false, reason: 'server-busy' };
			return { ok: true };
		},
		started(requesterId) {
			lastRequestAt.delete(requesterId);
			lastRequestAt.set(requesterId, clock.now());
			const oldest = lastRequestAt.keys().next();
			if (lastRequestAt.size > COOLDOWNS_KEPT && !oldest.done) lastRequestAt.delete(oldest.value);
		},
		pauseForBalance() {
			balancePausedUntil = clock.now() + balancePauseMs;
		},
		get balancePaused() {
			return clock.now() < balancePausedUntil;
		},
		balancePauseMs,
		stop() {
			stopping = true;
		},
	};
}
