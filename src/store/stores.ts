import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import Keyv from 'keyv';
import KeyvRedis from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import type { Logger } from '../util/logger.js';

/**
 * The bot's persistent state: one keyv namespace per concern, on the backend STORE_URL names.
 * Each namespace gets its own adapter so that keyv's namespacing and iteration stay per concern.
 */
export interface Stores {
	readonly settings: Keyv;
	/** Every job's record, by job id (finished ones expire). */
	readonly jobs: Keyv;
	/** The ids of the unfinished jobs: what a restart resumes, listed without walking every finished record. */
	readonly activeJobs: Keyv;
	/** The bot's own small state (e.g. a generated webhook secret). */
	readonly meta: Keyv;
	readonly backend: 'sqlite' | 'redis';
	/** Resolves when the backend answers a read; for health checks. */
	ping(): Promise<boolean>;
	close(): Promise<void>;
}

export class StoreConfigError extends Error {
	override name = 'StoreConfigError';
}

const NAMESPACES = ['settings', 'jobs', 'active-jobs', 'meta'] as const;

export async function createStores(url: string, logger: Logger): Promise<Stores> {
	const log = logger.child({ component: 'store' });
	const backend = backendOf(url);
	const adapters = [];
	for (const namespace of NAMESPACES) {
		adapters.push({ namespace, adapter: backend === 'sqlite' ? await sqliteAdapter(url) : new KeyvRedis(url, { throwOnConnectError: true }) });
	}
	const [settings, jobs, activeJobs, meta] = adapters.map(({ namespace, adapter }) => {
		// A failed write must fail the caller (a job not recorded is a job that can be lost), not just emit.
		const keyv = new Keyv({ store: adapter, namespace, throwOnErrors: true });
		keyv.on('error', (error: unknown) => log.error({ err: error, namespace }, 'store error'));
		return keyv;
	}) as [Keyv, Keyv, Keyv, Keyv];

	// Fail at startup, not on the first member's command.
	await settings.get('__ping__');
	log.info({ backend, location: backend === 'sqlite' ? url : redactUrl(url) }, 'store ready');
	const redis = adapters[0]?.adapter;
	if (redis instanceof KeyvRedis) await checkRedisSetup(redis, log);

	return {
		settings,
		jobs,
		activeJobs,
		meta,
		backend,
		async ping() {
			try {
				await settings.get('__ping__');
				return true;
			} catch {
				return false;
			}
		},
		async close() {
			await Promise.allSettled([settings.disconnect(), jobs.disconnect(), activeJobs.disconnect(), meta.disconnect()]);
		},
	};
}

function backendOf(url: string): 'sqlite' | 'redis' {
	if (/^sqlite:\/\//i.test(url)) return 'sqlite';
	if (/^rediss?:\/\//i.test(url)) return 'redis';
	throw new StoreConfigError('STORE_URL must start with sqlite:// (embedded file) or redis:// (shared server)');
}

async function sqliteAdapter(url: string): Promise<KeyvSqlite> {
	const file = url.replace(/^sqlite:\/\//i, '');
	if (!file) throw new StoreConfigError('STORE_URL sqlite:// needs a file path, e.g. sqlite://data/bot.sqlite');
	if (file !== ':memory:') await mkdir(path.dirname(path.resolve(file)), { recursive: true });
	// Several connections share the file (one per namespace): wait for a lock instead of failing.
	const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 5_000 });
	// Write-ahead logging: a reader (a /clone reading its server's settings) never waits for a writer (a job's
	// record), and a commit costs one sync instead of several; with the default synchronous=FULL each commit is
	// still on disk before it returns. It is a property of the file, kept beside it in bot.sqlite-wal/-shm.
	await adapter.query('PRAGMA journal_mode=WAL');
	return adapter;
}

/** A Redis URL may hold a password; log only where it points. */
function redactUrl(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.protocol}//${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
	} catch {
		return 'redis://…';
	}
}

interface CommandClient {
	sendCommand(args: string[]): Promise<unknown>;
}

/**
 * A Redis that evicts keys under memory pressure drops job records (and, with BullMQ, jobs) without a word, and one
 * without AOF loses the last writes on a crash: say so at startup. A managed Redis may forbid CONFIG: then we can't
 * tell, and say that instead.
 */
export async function checkRedisSetup(adapter: { client: unknown }, log: Logger): Promise<void> {
	const client = adapter.client as CommandClient;
	const read = async (name: string): Promise<string | undefined> => {
		const answer = await client.sendCommand(['CONFIG', 'GET', name]);
		const values = Array.isArray(answer) ? answer : Object.entries((answer ?? {}) as Record<string, unknown>).flat();
		const at = values.indexOf(name);
		return at >= 0 ? String(values[at + 1]) : undefined;
	};
	try {
		const policy = await read('maxmemory-policy');
		if (policy && policy !== 'noeviction') {
			log.warn(
				{ maxmemoryPolicy: policy },
				`Redis evicts keys under memory pressure (maxmemory-policy ${policy}): jobs can be lost. Set maxmemory-policy noeviction`,
			);
		}
		const aof = await read('appendonly');
		if (aof === 'no') log.info('Redis persistence: AOF is off, so a Redis crash loses its last writes; see the README (appendonly yes)');
	} catch (error) {
		log.info(
			{ err: error instanceof Error ? error.message : String(error) },
			'could not read the Redis configuration (CONFIG GET); check maxmemory-policy noeviction yourself',
		);
	}
}
