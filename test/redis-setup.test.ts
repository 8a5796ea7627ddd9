import type KeyvRedis from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStores } from '../src/store/stores.js';
import { createLogger } from '../src/util/logger.js';
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis.js';

/** What the bot says at startup about a Redis that could lose its jobs. */

describe.skipIf(!redisAvailable())('the Redis setup check', () => {
	let redis: RedisServer;
	beforeAll(async () => {
		redis = await startRedis();
	});
	afterAll(async () => {
		await redis?.stop();
	});

	async function startupLog(): Promise<Record<string, unknown>[]> {
		const lines: string[] = [];
		const logger = createLogger({ level: 'info', secrets: [], destination: { write: (line: string) => void lines.push(line) } });
		const stores = await createStores(`${redis.url}/9`, logger);
		await stores.close();
		return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
	}

	it('warns when Redis may evict keys, and says when AOF is off', async () => {
		const first = await startupLog();
		// The test server runs with the default noeviction and without AOF.
		expect(first.some((line) => line.level === 'warn')).toBe(false);
		expect(first).toContainEqual(expect.objectContaining({ level: 'info', msg: expect.stringContaining('AOF is off') }));

		const stores = await createStores(`${redis.url}/9`, createLogger({ level: 'silent', secrets: [] }));
		const { client } = stores.settings.store as KeyvRedis<unknown>;
		await (client as unknown as { sendCommand(args: string[]): Promise<unknown> }).sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
		await stores.close();
		const second = await startupLog();
		expect(second).toContainEqual(
			expect.objectContaining({ level: 'warn', maxmemoryPolicy: 'allkeys-lru', msg: expect.stringContaining('Set maxmemory-policy noeviction') }),
		);
	});
});
