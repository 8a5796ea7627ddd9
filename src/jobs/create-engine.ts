import { randomBytes } from 'node:crypto';
import type { Limits } from '../store/guild-settings.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { JobRunner } from './engine.js';
import type { JobRecords } from './records.js';
import type { RunDeps } from './run-job.js';
import { createJobRunner } from './runner.js';

/**
 * Which engine runs the jobs: the embedded one on SQLite (one process), BullMQ on a shared Redis. Also what the
 * consent desk needs to end each ask once when several processes wait for it.
 */

export interface Engine {
	runner: JobRunner;
	/** True for exactly one caller per key, across every process sharing the store. */
	claimOnce(key: string): Promise<boolean>;
	/** Closes the engine's own connections (after runner.stop()). */
	close(): Promise<void>;
}

export interface EngineOptions {
	backend: 'sqlite' | 'redis';
	storeUrl: string;
	deps: Omit<RunDeps, 'admissions'>;
	jobs: JobRecords;
	clock: Clock;
	logger: Logger;
	maxAtApi: number;
	limitsFor(guildId: string | null): Promise<Limits>;
	lockMs: number;
}

/** A claim outlives any job (XTTS_JOB_TIMEOUT_MS is at most a day). */
const CLAIM_TTL_MS = 2 * 24 * 60 * 60 * 1000;

export async function createEngine(options: EngineOptions): Promise<Engine> {
	const { deps, jobs, clock, logger, maxAtApi, limitsFor } = options;
	if (options.backend === 'sqlite') {
		const runner = createJobRunner({ ...deps, jobs, clock, logger, maxAtApi, limitsFor });
		return { runner, claimOnce: async () => true, close: async () => undefined };
	}
	// Loaded only for Redis: the embedded default doesn't pay for BullMQ's and ioredis's code in memory.
	const [{ Redis }, { createJobSignals }, { createSharedLine }, { createSharedEngine }] = await Promise.all([
		import('ioredis'),
		import('../store/job-signals.js'),
		import('../store/shared-line.js'),
		import('./bullmq-engine.js'),
	]);
	const log = logger.child({ component: 'redis' });
	const connect = (role: string, extra: { maxRetriesPerRequest?: null } = {}) => {
		const redis = new Redis(options.storeUrl, { connectionName: `xtts-bot:${role}`, ...extra });
		redis.on('error', (error: Error) => log.warn({ role, err: { message: error.message } }, 'Redis connection error; reconnecting'));
		return redis;
	};
	const connection = connect('queue');
	// BullMQ's workers block on Redis and must retry forever (its production guide: maxRetriesPerRequest null).
	const workerConnection = connect('worker', { maxRetriesPerRequest: null });
	const subscriber = connect('signals', { maxRetriesPerRequest: null });
	const runner = createSharedEngine({
		deps,
		jobs,
		logger,
		clock,
		line: createSharedLine(connection),
		signals: createJobSignals({ redis: connection, subscriber }),
		connection,
		workerConnection,
		maxAtApi,
		limitsFor,
		lockMs: options.lockMs,
	});
	const id = randomBytes(6).toString('base64url');
	return {
		runner,
		async claimOnce(key) {
			return (await connection.set(`xtts-bot:claim:${key}`, id, 'PX', CLAIM_TTL_MS, 'NX')) === 'OK';
		},
		async close() {
			await Promise.allSettled([connection.quit(), workerConnection.quit(), subscriber.quit()]);
		},
	};
}
