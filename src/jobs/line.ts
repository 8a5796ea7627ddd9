import type { Limits } from '../store/guild-settings.js';
import type { Clock } from '../util/clock.js';
import type { JobRecord } from './lifecycle.js';
import type { JobPhase, JobReporter, WaitReason } from './ports.js';

/**
 * Limits that queue instead of refusing. A request over a limit that frees itself — the member's clones in
 * progress, the member's cooldown, the server's clones in progress, the MAX_JOBS_IN_FLIGHT slots at the API —
 * waits in its server's line and starts by itself when its turn comes. Within a server, first come first served
 * (a member held back by their own limit does not hold back the others); when the slots at the API are the
 * bottleneck, servers are served in turn, so that one with a hundred waiting doesn't starve one with a single
 * request. Members see their place and what they wait for, edited as it changes, at most every few seconds.
 */

export interface Line {
	/** Jobs holding a slot at the API (what MAX_JOBS_IN_FLIGHT caps). */
	readonly atApi: number;
	/** Jobs waiting in every server's line. */
	readonly length: number;
	takeSlot(): void;
	releaseSlot(): void;
	/** A job of this member and server runs from now on; a new one (not one resumed mid-way) starts the cooldown. */
	started(job: JobRecord, startsCooldown: boolean): void;
	/** It ended. */
	ended(job: JobRecord): void;
	/**
	 * One more slot for another part of a running long text: taken when a slot at the API is free and its server is
	 * under its cap (the part counts against both, not against the member's). Call it after pumping: a request in
	 * line that could use the slot has then had it. `force`: whatever the limits (a part already at the API).
	 */
	takeExtra(job: JobRecord, limits: Limits, force?: boolean): boolean;
	releaseExtra(job: JobRecord): void;
	/** An ask for permission counts as a request: the member's cooldown starts now. */
	startCooldown(requesterId: string): void;
	/**
	 * Whether a new job may start now: within every limit. Nobody who could start is ever left waiting (the line is
	 * pumped whenever a limit frees), so a job within its limits passes only those held back by limits of their own.
	 */
	mayStartNow(request: { requesterId: string; guildId: string | null }, limits: Limits): boolean;
	/** Joins its server's line and tells the member their place and what they wait for. */
	join(job: JobRecord, limits: Limits): void;
	/** Leaves the line (Cancel); the job, if it was there. */
	leave(jobId: string): JobRecord | undefined;
	/** Replaces a waiting job's record (its state moved to `waiting`). */
	update(job: JobRecord): void;
	/** The next job whose turn it is, if any may start now (the caller starts it). */
	next(): JobRecord | undefined;
	/** How many are waiting: this member's (everywhere), and this server's. */
	waiting(request: { requesterId: string; guildId: string | null }): { member: number; server: number };
	/** Calls `pump` when a wait ends by time alone (a cooldown). */
	onTimeout(pump: () => void): void;
	stop(): void;
}

export const LINE_REFRESH_MS = 5_000;

interface Waiting {
	job: JobRecord;
	limits: Limits;
}

const serverOf = (job: { guildId: string | null; requesterId: string }) => job.guildId ?? `dm:${job.requesterId}`;

export function createLine({ maxAtApi, reporter, clock }: { maxAtApi: number; reporter: Pick<JobReporter, 'progress'>; clock: Clock }): Line {
	/** Each server's line, in arrival order; servers in the order they are served in turn. */
	const lines = new Map<string, Waiting[]>();
	const runningByMember = new Map<string, number>();
	const runningByServer = new Map<string, number>();
	const lastStartAt = new Map<string, number>();
	const shown = new Map<string, string>();
	let atApi = 0;
	let stopped = false;
	let refreshTimer: ReturnType<typeof setTimeout> | undefined;
	let cooldownWake: AbortController | undefined;
	let onTimeout: () => void = () => undefined;

	const add = (counts: Map<string, number>, key: string, delta: number) => {
		const next = (counts.get(key) ?? 0) + delta;
		if (next > 0) counts.set(key, next);
		else counts.delete(key);
	};
	const cooldownLeft = (requesterId: string, limits: Limits) => {
		const last = lastStartAt.get(requesterId);
		return last === undefined ? 0 : Math.max(0, last + limits.cooldownSeconds * 1000 - clock.now());
	};

	/** What holds this job back, or undefined when it may start. */
	function holdingBack({ job, limits }: { job: { requesterId: string; guildId: string | null }; limits: Limits }): WaitReason | undefined {
		if ((runningByMember.get(job.requesterId) ?? 0) >= limits.perMember) return 'member';
		if (cooldownLeft(job.requesterId, limits) > 0) return 'cooldown';
		if (job.guildId && (runningByServer.get(serverOf(job)) ?? 0) >= limits.perServer) return 'server';
		if (atApi >= maxAtApi) return 'capacity';
		return undefined;
	}

	function phaseOf(entry: Waiting, position: number): Extract<JobPhase, { kind: 'waiting' }> {
		const reason = holdingBack(entry) ?? 'capacity';
		const left = reason === 'cooldown' ? cooldownLeft(entry.job.requesterId, entry.limits) : 0;
		return { kind: 'waiting', position, reason, ...(left > 0 ? { startsInMs: left } : {}) };
	}

	function show(entry: Waiting, position: number): void {
		const phase = phaseOf(entry, position);
		const key = `${phase.position}:${phase.reason}:${Math.ceil((phase.startsInMs ?? 0) / 5000)}`;
		if (shown.get(entry.job.id) === key) return;
		// Far back in a long line, only round positions are worth an edit.
		if (shown.has(entry.job.id) && position > 20 && position % 10 !== 0) return;
		shown.set(entry.job.id, key);
		void reporter.progress(entry.job, phase);
	}

	/** Tells waiting members their place and what they wait for, at most every few seconds, only when it changed. */
	function refreshLater(): void {
		if (stopped) return;
		scheduleCooldownWake();
		if (refreshTimer || lines.size === 0) return;
		refreshTimer = setTimeout(() => {
			refreshTimer = undefined;
			for (const line of lines.values()) {
				for (const [index, entry] of line.entries()) show(entry, index + 1);
			}
			refreshLater();
		}, LINE_REFRESH_MS);
		refreshTimer.unref();
	}

	/** A job waiting for nothing but a cooldown starts when it ends, not at the next unrelated event. */
	function scheduleCooldownWake(): void {
		cooldownWake?.abort();
		cooldownWake = undefined;
		let soonest = Number.POSITIVE_INFINITY;
		for (const line of lines.values()) {
			for (const entry of line) if (holdingBack(entry) === 'cooldown') soonest = Math.min(soonest, cooldownLeft(entry.job.requesterId, entry.limits));
		}
		if (!Number.isFinite(soonest) || stopped) return;
		const wake = new AbortController();
		cooldownWake = wake;
		// On the clock's time, so that a test's clock drives it.
		void clock.sleep(soonest + 1, wake.signal).then(
			() => {
				if (cooldownWake === wake) cooldownWake = undefined;
				onTimeout();
			},
			() => undefined,
		);
	}

	return {
		get atApi() {
			return atApi;
		},
		get length() {
			let total = 0;
			for (const line of lines.values()) total += line.length;
			return total;
		},
		takeSlot() {
			atApi++;
		},
		releaseSlot() {
			atApi--;
		},
		started(job, startsCooldown) {
			add(runningByMember, job.requesterId, 1);
			add(runningByServer, serverOf(job), 1);
			if (!startsCooldown) return;
			lastStartAt.delete(job.requesterId);
			lastStartAt.set(job.requesterId, clock.now());
			if (lastStartAt.size > 10_000) lastStartAt.delete(lastStartAt.keys().next().value ?? '');
		},
		ended(job) {
			add(runningByMember, job.requesterId, -1);
			add(runningByServer, serverOf(job), -1);
		},
		takeExtra(job, limits, force = false) {
			if (!force && (stopped || atApi >= maxAtApi)) return false;
			if (!force && job.guildId && (runningByServer.get(serverOf(job)) ?? 0) >= limits.perServer) return false;
			atApi++;
			add(runningByServer, serverOf(job), 1);
			return true;
		},
		releaseExtra(job) {
			atApi--;
			add(runningByServer, serverOf(job), -1);
		},
		startCooldown(requesterId) {
			lastStartAt.set(requesterId, clock.now());
		},
		mayStartNow(request, limits) {
			return !stopped && holdingBack({ job: request, limits }) === undefined;
		},
		join(job, limits) {
			const key = serverOf(job);
			const line = lines.get(key) ?? [];
			if (line.length === 0) lines.set(key, line);
			line.push({ job, limits });
			show({ job, limits }, line.length);
			refreshLater();
		},
		leave(jobId) {
			for (const [key, line] of lines) {
				const at = line.findIndex((entry) => entry.job.id === jobId);
				if (at < 0) continue;
				const [entry] = line.splice(at, 1);
				if (line.length === 0) lines.delete(key);
				shown.delete(jobId);
				refreshLater();
				return entry?.job;
			}
			return undefined;
		},
		update(job) {
			for (const line of lines.values()) for (const entry of line) if (entry.job.id === job.id) entry.job = job;
		},
		next() {
			if (stopped) return undefined;
			for (const [key, line] of lines) {
				const at = line.findIndex((entry) => holdingBack(entry) === undefined);
				if (at < 0) continue;
				const [entry] = line.splice(at, 1);
				// Served: this server goes to the back of the round, behind the others waiting.
				lines.delete(key);
				if (line.length > 0) lines.set(key, line);
				if (!entry) continue;
				shown.delete(entry.job.id);
				return entry.job;
			}
			refreshLater();
			return undefined;
		},
		waiting({ requesterId, guildId }) {
			let member = 0;
			for (const line of lines.values()) for (const entry of line) if (entry.job.requesterId === requesterId) member++;
			return { member, server: lines.get(serverOf({ guildId, requesterId }))?.length ?? 0 };
		},
		onTimeout(pump) {
			onTimeout = pump;
		},
		stop() {
			stopped = true;
			if (refreshTimer) clearTimeout(refreshTimer);
			cooldownWake?.abort();
		},
	};
}
