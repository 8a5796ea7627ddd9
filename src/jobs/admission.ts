import type { Limits } from '../store/guild-settings.js';
import type { Clock } from '../util/clock.js';

/**
 * Whether a request is accepted: answered before anything is spent. Limits that free themselves (the member's and
 * the server's clones in progress, the cooldown, the slots at the API) don't refuse: the request waits in line
 * (jobs/line.ts). What refuses is what waiting can't mend: a full line, the pause after a 402, a shutdown.
 */

export type Refusal = { reason: 'balance' | 'stopping' } | { reason: 'member-line-full' | 'server-line-full' | 'member-busy'; limit: number };
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

/** Where the request would stand: whether it must wait, and how many wait already. */
export interface LineStanding {
	mustWait: boolean;
	waiting: { member: number; server: number };
}

export interface Admissions {
	check(limits: Limits, standing: LineStanding): Admission;
	/** After a 402, new jobs are refused for a while (`ms`, by default balancePauseMs) without asking the API. */
	pauseForBalance(ms?: number): void;
	readonly balancePaused: boolean;
	readonly balancePauseMs: number;
	/** Stopping: every request is refused. */
	stop(): void;
}

export function createAdmissions({ clock, balancePauseMs = 10 * 60 * 1000 }: { clock: Clock; balancePauseMs?: number | undefined }): Admissions {
	let balancePausedUntil = 0;
	let stopping = false;

	return {
		check(limits, { mustWait, waiting }) {
			if (stopping) return { ok: false, reason: 'stopping' };
			if (clock.now() < balancePausedUntil) return { ok: false, reason: 'balance' };
			if (!mustWait) return { ok: true };
			if (waiting.member >= limits.memberWaiting) return { ok: false, reason: 'member-line-full', limit: limits.memberWaiting };
			if (waiting.server >= limits.serverWaiting) return { ok: false, reason: 'server-line-full', limit: limits.serverWaiting };
			return { ok: true };
		},
		pauseForBalance(ms = balancePauseMs) {
			balancePausedUntil = Math.max(balancePausedUntil, clock.now() + ms);
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
