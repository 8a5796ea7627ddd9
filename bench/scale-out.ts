/**
 * The scale-out scenario: the bot on BullMQ with a shared Redis, with one process and with two (the bench's own,
 * which receives every command as one shard would, and bench/worker-process.ts, which only runs jobs). Jobs/s, the
 * most jobs at the API at once (as the XTTS fake counts them, against MAX_JOBS_IN_FLIGHT), Redis commands per job,
 * and how long a job of a process killed with SIGKILL takes to be delivered by the other.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { TEST_BOT_TOKEN } from '../test/fakes/discord-api.js';
import { redisAvailable, startRedis, type RedisServer } from '../test/helpers/redis.js';
import { BENCH_XTTS_KEY } from './protocol.js';
import { instantClock, isSettled, isSubmitted, startRig, type Rig, type Trace } from './rig.js';

export interface ScaleOutRun {
	processes: number;
	jobs: number;
	delivered: number;
	lost: number;
	jobsPerSecond: number;
	/** The most jobs at the API at once, and the cap. */
	peakAtApi: number;
	maxAtApi: number;
	/** Commands Redis processed during the run, per delivered job (INFO stats). */
	redisCommandsPerJob: number;
	/** Jobs the second process ran. */
	ranElsewhere: number;
}

export interface ScaleOutResult {
	skipped?: string;
	runs: ScaleOutRun[];
	takeover?: { lockMs: number; jobsOfKilled: number; killedToDeliveredMs: number; lost: number };
}

export interface ScaleOutOptions {
	scaleOutJobs: number;
	maxAtApi: number;
	lockMs: number;
}

const all = (traces: Trace[], predicate: (trace: Trace) => boolean) => () => traces.every(predicate);

interface Worker {
	child: ChildProcess;
	/** Jobs it started (its 'job run started' log lines). */
	runs: string[];
	exited: Promise<unknown>;
}

async function startWorker(rig: Rig, env: Record<string, string>): Promise<Worker> {
	const child = fork(fileURLToPath(new URL('./worker-process.ts', import.meta.url)), [], {
		execArgv: ['--import', 'tsx'],
		stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
		env: {
			PATH: process.env.PATH ?? '/usr/bin:/bin',
			DISCORD_TOKEN: TEST_BOT_TOKEN,
			DISCORD_API_URL: rig.fakes.discordApiUrl,
			XTTS_API_KEY: BENCH_XTTS_KEY,
			XTTS_API_URL: rig.fakes.xttsOrigin,
			...env,
		},
	});
	const runs: string[] = [];
	createInterface({ input: child.stdout! }).on('line', (line) => {
		if (line.includes('"job run started"')) runs.push(String((JSON.parse(line) as { jobId?: string }).jobId));
	});
	const exited = new Promise((resolve) => child.once('exit', resolve));
	await new Promise<void>((resolve, reject) => {
		child.once('message', () => resolve());
		child.once('exit', (code) => reject(new Error(`the second bot process exited (${code})`)));
	});
	return { child, runs, exited };
}

async function redisCommands(redis: Redis): Promise<number> {
	return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? 0);
}

async function throughputRun(server: RedisServer, db: number, processes: 1 | 2, o: ScaleOutOptions): Promise<ScaleOutRun> {
	const env = { STORE_URL: `${server.url}/${db}`, MAX_JOBS_IN_FLIGHT: String(o.maxAtApi), JOB_LOCK_MS: String(o.lockMs) };
	const rig = await startRig({ env, clock: instantClock, fakes: { script: ['COMPLETED'] } });
	const redis = new Redis(server.url);
	let worker: Worker | undefined;
	try {
		if (processes === 2) worker = await startWorker(rig, { ...env, BENCH_INSTANT_CLOCK: '1' });
		const warmUp = rig.clone(2);
		await rig.waitFor(all(warmUp, isSettled), 60_000, 'the warm-up jobs');
		const before = await redisCommands(redis);
		const traces = rig.clone(o.scaleOutJobs);
		const started = traces[0]!.injectedAt;
		await rig.waitFor(all(traces, isSettled), 600_000, 'every job to be delivered');
		const delivered = traces.filter((trace) => trace.uploads.length === 1);
		const seconds = (Math.max(...delivered.map((trace) => trace.uploads[0]!)) - started) / 1000;
		const commands = (await redisCommands(redis)) - before;
		const counts = await rig.fakes.counts();
		return {
			processes,
			jobs: o.scaleOutJobs,
			delivered: delivered.length,
			lost: traces.length - delivered.length,
			jobsPerSecond: delivered.length / seconds,
			peakAtApi: counts.peakAtApi,
			maxAtApi: o.maxAtApi,
			redisCommandsPerJob: commands / Math.max(1, delivered.length),
			ranElsewhere: worker?.runs.length ?? 0,
		};
	} finally {
		worker?.child.send('stop');
		await worker?.exited;
		await rig.close();
		redis.disconnect();
	}
}

/** Jobs held by the second process when it is killed are delivered by the first after BullMQ finds them stalled. */
async function takeoverRun(server: RedisServer, db: number, o: ScaleOutOptions): Promise<NonNullable<ScaleOutResult['takeover']>> {
	// Room for every round's jobs at the API (they stay QUEUED until the kill): a round that had to wait for a slot
	// would never start.
	const env = { STORE_URL: `${server.url}/${db}`, MAX_JOBS_IN_FLIGHT: '50', JOB_LOCK_MS: String(o.lockMs), XTTS_POLL_INTERVAL_MS: '1000' };
	const rig = await startRig({ env, fakes: { script: ['QUEUED'] } });
	const worker = await startWorker(rig, env);
	try {
		const traces: Trace[] = [];
		// Until the second process holds a job (BullMQ hands each job to whichever process asks first).
		for (let round = 0; round < 10 && worker.runs.length === 0; round++) {
			const batch = rig.clone(4);
			traces.push(...batch);
			await rig.waitFor(all(batch, isSubmitted), 60_000, 'the jobs to be at the API');
		}
		if (worker.runs.length === 0) throw new Error('the second process never got a job');
		const killedAt = Date.now();
		worker.child.kill('SIGKILL');
		await worker.exited;
		await rig.fakes.completeAll();
		await rig.waitFor(all(traces, isSettled), 300_000, 'the killed process’s jobs to be delivered by the other');
		const last = Math.max(...traces.map((trace) => trace.uploads[0] ?? Number.NaN));
		return {
			lockMs: o.lockMs,
			jobsOfKilled: worker.runs.length,
			killedToDeliveredMs: last - killedAt,
			lost: traces.filter((trace) => trace.uploads.length !== 1).length,
		};
	} finally {
		await rig.close();
	}
}

export async function scaleOutScenario(o: ScaleOutOptions): Promise<ScaleOutResult> {
	if (!redisAvailable()) return { skipped: 'redis-server is not on the PATH', runs: [] };
	const server = await startRedis();
	try {
		const runs = [await throughputRun(server, 0, 1, o), await throughputRun(server, 1, 2, o)];
		return { runs, takeover: await takeoverRun(server, 2, o) };
	} finally {
		await server.stop();
	}
}
