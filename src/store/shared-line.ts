import type { Redis } from 'ioredis';
import type { Limits } from './guild-settings.js';
import { ADMIT, EXTRA, FORCE, LAST_START_TTL_MS, LEAVE, MARK, ORPHANS, RELEASE, SNAPSHOT } from './shared-line-scripts.js';

/**
 * The line and the limits of a deployment whose processes share one Redis: every server's line, who runs what,
 * and the members' cooldowns, kept in Redis and changed only by the Lua scripts below, each one atomic. That is
 * what makes every limit hold across processes (the member's and the server's clones in progress, cooldowns, the
 * line's bounds, MAX_JOBS_IN_FLIGHT for the whole deployment) and every position global. The same rules as the
 * embedded line (jobs/line.ts): first come first served within a server, passing only those held back by their
 * own limits; servers served in turn when the slots at the API are the bottleneck.
 *
 * A job holds its place in `run` from the moment it may start until its run has ended, whichever process runs it
 * (and after a takeover): entries are keyed by job id, so taking and releasing are idempotent.
 */

export type WaitReason = 'member' | 'cooldown' | 'server' | 'capacity';

export interface LineRequest {
	jobId: string;
	requesterId: string;
	guildId: string | null;
}

export type JoinResult =
	| { kind: 'start' }
	| { kind: 'already' }
	| { kind: 'wait'; position: number; reason: WaitReason; startsInMs: number }
	| { kind: 'full'; reason: 'member-line-full' | 'server-line-full' };

export type CheckResult = { kind: 'ok'; mustWait: boolean } | { kind: 'full'; reason: 'member-line-full' | 'server-line-full' };

export interface WaitingEntry {
	jobId: string;
	position: number;
	reason: WaitReason;
	startsInMs: number;
	/** What was last shown to the member (see `markShown`). */
	shown: string;
}

/** Jobs that may start now (the caller dispatches them), and when the soonest cooldown in line ends (ms, or -1). */
export interface Pumped {
	started: string[];
	soonestMs: number;
}

export interface SharedLine {
	check(request: LineRequest, limits: Limits, maxAtApi: number, now: number): Promise<CheckResult>;
	/** Starts the job now, or puts it in its server's line; `bounded`: refuse when a line is full. */
	join(request: LineRequest, limits: Limits, options: { maxAtApi: number; now: number; bounded: boolean; startsCooldown: boolean }): Promise<JoinResult>;
	/** Takes a slot whatever the limits: for a job already at the API that no process holds (an orphan). */
	force(request: LineRequest, now: number): Promise<boolean>;
	/** The job's run has ended: its slot frees (with its parts' extra slots), and whoever may start now is started. Also frees one extra slot, by its key. */
	release(jobId: string, maxAtApi: number, now: number): Promise<Pumped>;
	/**
	 * One more slot for another part of a running long text, after those in line are served: its key, or undefined
	 * when none is free (or the server is at its cap). Counts against MAX_JOBS_IN_FLIGHT and the server's cap.
	 */
	takeExtra(request: LineRequest, perServer: number, maxAtApi: number, now: number, force?: boolean): Promise<{ key: string | undefined; pumped: Pumped }>;
	/** Frees the extra slots whose job holds no slot any more; whoever may start now is started. */
	freeOrphanExtras(maxAtApi: number, now: number): Promise<Pumped>;
	/** Frees the extra slots a job's earlier run left (a process that died holding them). */
	dropExtras(jobId: string, maxAtApi: number, now: number): Promise<Pumped>;
	pump(maxAtApi: number, now: number): Promise<Pumped>;
	/** Cancel: out of the line ('left'), or it is running ('running'), or neither ('none'). */
	leave(jobId: string): Promise<'left' | 'running' | 'none'>;
	/** Everyone waiting, in each server's order, with what holds them back. */
	snapshot(maxAtApi: number, now: number): Promise<WaitingEntry[]>;
	markShown(jobId: string, shown: string): Promise<void>;
	/** The jobs holding a slot, with when they took it (not their parts' extra slots). */
	running(): Promise<Map<string, number>>;
	startCooldown(requesterId: string, now: number): Promise<void>;
	counts(): Promise<{ atApi: number; waiting: number }>;
	/** Whether the job waits in a line. */
	has(jobId: string): Promise<boolean>;
	/** One process at a time tells the waiting their places: true for the one that holds this for `ms`. */
	lead(holder: string, ms: number): Promise<boolean>;
}

export const LINE_PREFIX = 'xtts-bot:line:';

const serverOf = (request: { guildId: string | null; requesterId: string }) => request.guildId ?? `dm:${request.requesterId}`;

type Script = (...args: (string | number)[]) => Promise<unknown>;

export function createSharedLine(redis: Redis, prefix = LINE_PREFIX): SharedLine {
	const scripts = { ADMIT, FORCE, RELEASE, EXTRA, ORPHANS, LEAVE, SNAPSHOT, MARK };
	for (const [name, lua] of Object.entries(scripts)) redis.defineCommand(`xttsLine${name}`, { numberOfKeys: 0, lua });
	const call = (name: keyof typeof scripts): Script => {
		const script = (redis as unknown as Record<string, Script>)[`xttsLine${name}`] as Script;
		return (...args) => script.apply(redis, args);
	};

	const admitArgs = (
		mode: 'check' | 'join',
		request: LineRequest,
		limits: Limits,
		maxAtApi: number,
		now: number,
		bounded: boolean,
		startsCooldown: boolean,
	) => [
		prefix,
		mode,
		request.jobId,
		request.requesterId,
		serverOf(request),
		request.guildId ? '1' : '0',
		limits.perMember,
		limits.perServer,
		limits.cooldownSeconds * 1000,
		limits.memberWaiting,
		limits.serverWaiting,
		maxAtApi,
		now,
		bounded ? '1' : '0',
		startsCooldown ? '1' : '0',
	];
	const pumped = (reply: unknown): Pumped => {
		const [soonest, ...started] = reply as [number, ...string[]];
		return { started, soonestMs: Number(soonest) };
	};

	return {
		async check(request, limits, maxAtApi, now) {
			const [kind, detail] = (await call('ADMIT')(...admitArgs('check', request, limits, maxAtApi, now, true, false))) as string[];
			if (kind === 'full') return { kind: 'full', reason: detail as 'member-line-full' | 'server-line-full' };
			return { kind: 'ok', mustWait: detail === '1' };
		},
		async join(request, limits, { maxAtApi, now, bounded, startsCooldown }) {
			const reply = (await call('ADMIT')(...admitArgs('join', request, limits, maxAtApi, now, bounded, startsCooldown))) as string[];
			switch (reply[0]) {
				case 'start':
					return { kind: 'start' };
				case 'already':
					return { kind: 'already' };
				case 'full':
					return { kind: 'full', reason: reply[1] as 'member-line-full' | 'server-line-full' };
				default:
					return { kind: 'wait', position: Number(reply[1]), reason: reply[2] as WaitReason, startsInMs: Number(reply[3]) };
			}
		},
		async force(request, now) {
			return Number(await call('FORCE')(prefix, request.jobId, request.requesterId, serverOf(request), now)) === 1;
		},
		async release(jobId, maxAtApi, now) {
			return pumped(await call('RELEASE')(prefix, jobId, maxAtApi, now, 'all'));
		},
		async takeExtra(request, perServer, maxAtApi, now, force = false) {
			const { jobId, requesterId, guildId } = request;
			const args = [jobId, requesterId, serverOf(request), guildId ? '1' : '0', perServer, maxAtApi, now, force ? '1' : '0'];
			const reply = (await call('EXTRA')(prefix, ...args)) as unknown[];
			const key = String(reply.pop() ?? '');
			return { key: key === '' ? undefined : key, pumped: pumped(reply) };
		},
		async freeOrphanExtras(maxAtApi, now) {
			return pumped(await call('ORPHANS')(prefix, maxAtApi, now));
		},
		async dropExtras(jobId, maxAtApi, now) {
			return pumped(await call('RELEASE')(prefix, jobId, maxAtApi, now, 'extras'));
		},
		async pump(maxAtApi, now) {
			return pumped(await call('RELEASE')(prefix, '', maxAtApi, now, 'all'));
		},
		async leave(jobId) {
			return (await call('LEAVE')(prefix, jobId)) as 'left' | 'running' | 'none';
		},
		async snapshot(maxAtApi, now) {
			const flat = (await call('SNAPSHOT')(prefix, maxAtApi, now)) as string[];
			const entries: WaitingEntry[] = [];
			for (let at = 0; at + 4 < flat.length; at += 5) {
				entries.push({
					jobId: flat[at] as string,
					position: Number(flat[at + 1]),
					reason: flat[at + 2] as WaitReason,
					startsInMs: Number(flat[at + 3]),
					shown: flat[at + 4] ?? '',
				});
			}
			return entries;
		},
		async markShown(jobId, shown) {
			await call('MARK')(prefix, jobId, shown);
		},
		async running() {
			const all = await redis.hgetall(`${prefix}run`);
			const jobs = Object.entries(all).filter(([key]) => !key.includes('#'));
			return new Map(jobs.map(([jobId, value]) => [jobId, Number(value.split('|')[2] ?? 0)]));
		},
		async startCooldown(requesterId, now) {
			await redis.set(`${prefix}last:${requesterId}`, String(now), 'PX', LAST_START_TTL_MS);
		},
		async counts() {
			const [atApi, servers] = await Promise.all([redis.hlen(`${prefix}run`), redis.lrange(`${prefix}servers`, 0, -1)]);
			const lengths = servers.length > 0 ? await Promise.all(servers.map((server) => redis.llen(`${prefix}wait:${server}`))) : [];
			return { atApi, waiting: lengths.reduce((sum, n) => sum + n, 0) };
		},
		async has(jobId) {
			return (await redis.exists(`${prefix}entry:${jobId}`)) === 1;
		},
		async lead(holder, ms) {
			return (await redis.set(`${prefix}refresh`, holder, 'PX', ms, 'NX')) === 'OK';
		},
	};
}
