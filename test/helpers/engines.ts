import { afterAll, beforeAll } from 'vitest';
import { redisAvailable, startRedis, type RedisServer } from './redis.js';

/** Both job engines, for suites that must hold on each: the embedded one on SQLite, BullMQ on a real Redis. */
export const ENGINES = [
	{ engine: 'embedded engine on SQLite', shared: false },
	...(redisAvailable() ? [{ engine: 'BullMQ engine on a shared Redis', shared: true }] : []),
];

/**
 * For a suite of one engine: the store options of each test's harness. On the shared engine, a real redis-server
 * for the suite and a database of its own for each test; on the embedded one, nothing (a SQLite file per harness).
 */
export function storePerTest(shared: boolean): () => { storeUrl?: string } {
	let server: RedisServer | undefined;
	let db = 0;
	beforeAll(async () => {
		if (shared) server = await startRedis();
	});
	afterAll(async () => {
		await server?.stop();
	});
	return () => (server ? { storeUrl: `${server.url}/${db++}` } : {});
}
