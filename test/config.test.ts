import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadDiscordConfig } from '../src/config.js';

const base = { DISCORD_TOKEN: 'discord-token-value', XTTS_API_KEY: 'xtts-key-value' };

describe('loadConfig', () => {
	it('applies the documented defaults', () => {
		const config = loadConfig(base);
		expect(config.xtts).toEqual({ apiKey: 'xtts-key-value', apiUrl: 'https://gateway.pixazo.ai', pollIntervalMs: 5_000, jobTimeoutMs: 600_000 });
		expect(config.logLevel).toBe('info');
		expect(config.storeUrl).toBe('sqlite://data/bot.sqlite');
		expect(config.discord.apiUrl).toBeUndefined();
		expect(Object.isFrozen(config.xtts)).toBe(true);
	});

	it('reads every variable', () => {
		const config = loadConfig({
			...base,
			DISCORD_CLIENT_ID: '123456789012345678',
			DISCORD_GUILD_ID: '223456789012345678',
			DISCORD_API_URL: 'http://127.0.0.1:9999/api/',
			XTTS_API_URL: 'http://127.0.0.1:8888/',
			XTTS_POLL_INTERVAL_MS: '7000',
			XTTS_JOB_TIMEOUT_MS: '120000',
			LOG_LEVEL: 'debug',
			STORE_URL: 'redis://127.0.0.1:6379/2',
		});
		expect(config.discord).toEqual({
			token: 'discord-token-value',
			clientId: '123456789012345678',
			guildId: '223456789012345678',
			apiUrl: 'http://127.0.0.1:9999/api',
		});
		expect(config.xtts.apiUrl).toBe('http://127.0.0.1:8888');
		expect(config.xtts.pollIntervalMs).toBe(7_000);
		expect(config.xtts.jobTimeoutMs).toBe(120_000);
		expect(config.storeUrl).toBe('redis://127.0.0.1:6379/2');
	});

	it('reads the gateway shards, the job lock and the parts in parallel', () => {
		expect(loadConfig(base)).toMatchObject({ sharding: undefined, jobLockMs: 30_000, partsInParallel: 3 });
		expect(loadConfig({ ...base, SHARD_COUNT: '4', SHARD_IDS: '3, 1,3', JOB_LOCK_MS: '5000', PARTS_IN_PARALLEL: '1' })).toMatchObject({
			sharding: { shardCount: 4, shardIds: [3, 1] },
			jobLockMs: 5_000,
			partsInParallel: 1,
		});
		// SHARD_COUNT alone: every shard in this process.
		expect(loadConfig({ ...base, SHARD_COUNT: '3' }).sharding).toEqual({ shardCount: 3, shardIds: [0, 1, 2] });
	});

	it.each([
		[{ XTTS_API_KEY: 'k' }, 'DISCORD_TOKEN is required'],
		[{ DISCORD_TOKEN: 't' }, 'XTTS_API_KEY is required'],
		[{ ...base, XTTS_POLL_INTERVAL_MS: 'fast' }, 'XTTS_POLL_INTERVAL_MS must be a whole number'],
		[{ ...base, XTTS_POLL_INTERVAL_MS: '10' }, 'XTTS_POLL_INTERVAL_MS'],
		[{ ...base, XTTS_API_URL: 'gateway.pixazo.ai' }, 'XTTS_API_URL must be an http(s) URL'],
		[{ ...base, XTTS_API_URL: 'https://gateway pixazo.ai' }, 'XTTS_API_URL must be an http(s) URL'],
		[{ ...base, DISCORD_API_URL: 'http://[::1' }, 'DISCORD_API_URL must be an http(s) URL'],
		[{ ...base, WEBHOOK_PUBLIC_URL: 'https://bot.example.com:99999' }, 'WEBHOOK_PUBLIC_URL must be an http(s) URL'],
		[{ ...base, DISCORD_CLIENT_ID: 'my-bot' }, 'DISCORD_CLIENT_ID must be a Discord id'],
		[{ ...base, STORE_URL: 'postgres://db' }, 'STORE_URL must start with sqlite://'],
		[{ ...base, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
		[{ ...base, SHARD_IDS: '0' }, 'SHARD_IDS needs SHARD_COUNT'],
		[{ ...base, SHARD_COUNT: '2', SHARD_IDS: '0,2' }, 'SHARD_IDS shard 2 is not below SHARD_COUNT'],
		[{ ...base, SHARD_COUNT: '2', SHARD_IDS: 'zero' }, 'SHARD_IDS must be a comma list'],
		[{ ...base, SHARD_COUNT: '0' }, 'SHARD_COUNT'],
		[{ ...base, JOB_LOCK_MS: '10' }, 'JOB_LOCK_MS'],
		[{ ...base, PARTS_IN_PARALLEL: '11' }, 'PARTS_IN_PARALLEL'],
		[{ ...base, PARTS_IN_PARALLEL: '0' }, 'PARTS_IN_PARALLEL'],
	])('stops with one line naming the bad variable (%#)', (env, expected) => {
		let error: unknown;
		try {
			loadConfig(env);
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(ConfigError);
		const message = (error as Error).message;
		expect(message).toContain(expected);
		expect(message).not.toContain('\n');
		// Never the value of a secret.
		expect(message).not.toContain('discord-token-value');
		expect(message).not.toContain('xtts-key-value');
	});

	it('deploy-commands needs only the Discord variables, and the client id', () => {
		expect(loadDiscordConfig({ DISCORD_TOKEN: 't', DISCORD_CLIENT_ID: '123456789012345678' }).clientId).toBe('123456789012345678');
		expect(() => loadDiscordConfig({ DISCORD_TOKEN: 't' })).toThrow(/DISCORD_CLIENT_ID is required to register commands/);
	});
});
