import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/util/logger.js';
import { createSettingsService } from '../src/store/settings.js';
import { createStores, StoreConfigError, type Stores } from '../src/store/stores.js';
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis.js';

/** The settings service against real stores: a SQLite file in a temp folder and a real local Redis. */

const GUILD = '111111111111111111';
const OTHER_GUILD = '111111111111111112';
const SPANISH = '222222222222222221';
const GERMAN = '222222222222222222';
const THREAD = '222222222222222223';
const MOD = '333333333333333333';

function contract(name: string, open: () => Promise<Stores>) {
	describe(`settings on ${name}`, () => {
		it('sets, overrides per channel, resolves in the documented order, and resets', async () => {
			const stores = await open();
			try {
				const settings = createSettingsService({ store: stores.settings, now: () => new Date('2026-11-25T10:00:00Z') });
				const resolve = (channelId: string, extra: Partial<Parameters<typeof settings.resolveLanguage>[0]> = {}) =>
					settings.resolveLanguage({ guildId: GUILD, channelId, locale: 'fr', ...extra });

				expect(await resolve(GERMAN)).toEqual({ language: 'fr', source: 'locale' });
				expect(await resolve(GERMAN, { locale: 'ja' })).toEqual({ language: 'en', source: 'default' });

				await settings.setLanguage(GUILD, null, 'de', MOD);
				await settings.setLanguage(GUILD, SPANISH, 'es', MOD);

				expect(await resolve(GERMAN)).toEqual({ language: 'de', source: 'server' });
				expect(await resolve(SPANISH)).toEqual({ language: 'es', source: 'channel', channelId: SPANISH });
				expect(await resolve(THREAD, { parentChannelId: SPANISH })).toEqual({ language: 'es', source: 'channel', channelId: SPANISH });
				expect(await resolve(SPANISH, { explicit: 'ko' })).toEqual({ language: 'ko', source: 'option' });
				// Another server is untouched.
				expect(await settings.resolveLanguage({ guildId: OTHER_GUILD, channelId: SPANISH, locale: 'pt-BR' })).toEqual({ language: 'pt', source: 'locale' });

				expect(await settings.get(GUILD)).toEqual({
					language: { language: 'de', by: MOD, at: '2026-11-25T10:00:00.000Z' },
					channels: { [SPANISH]: { language: 'es', by: MOD, at: '2026-11-25T10:00:00.000Z' } },
					blocked: {},
				});

				expect(await settings.reset(GUILD, SPANISH)).toBe(true);
				expect(await settings.reset(GUILD, SPANISH)).toBe(false);
				expect(await resolve(SPANISH)).toEqual({ language: 'de', source: 'server' });
				expect(await settings.reset(GUILD, null)).toBe(true);
				expect(await resolve(SPANISH)).toEqual({ language: 'fr', source: 'locale' });
			} finally {
				await stores.close();
			}
		});

		it('serialises concurrent changes to one server', async () => {
			const stores = await open();
			try {
				const settings = createSettingsService({ store: stores.settings });
				const channels = Array.from({ length: 20 }, (_, index) => `4444444444444444${String(index).padStart(2, '0')}`);
				await Promise.all(channels.map((channel) => settings.setLanguage(OTHER_GUILD, channel, 'it', MOD)));
				expect(Object.keys((await settings.get(OTHER_GUILD)).channels)).toHaveLength(20);
				await settings.forgetChannels(OTHER_GUILD, channels);
			} finally {
				await stores.close();
			}
		});

		it('survives closing the store and opening it again (a restart; another process)', async () => {
			const first = await open();
			await createSettingsService({ store: first.settings }).setLanguage(GUILD, GERMAN, 'fr', MOD);
			const second = await open();
			try {
				// The second connection sees the first one's write while both are open…
				expect(await createSettingsService({ store: second.settings }).resolveLanguage({ guildId: GUILD, channelId: GERMAN })).toMatchObject({
					language: 'fr',
				});
				await first.close();
				// …and after the first is gone.
				const third = await open();
				expect(await createSettingsService({ store: third.settings }).resolveLanguage({ guildId: GUILD, channelId: GERMAN })).toMatchObject({
					language: 'fr',
					source: 'channel',
				});
				await third.close();
			} finally {
				await second.close();
			}
		});
	});
}

let dir: string;
beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'xtts-settings-'));
});
afterAll(async () => {
	await rm(dir, { recursive: true, force: true });
});

contract('SQLite (a file in a new folder)', () => createStores(`sqlite://${path.join(dir, 'nested', 'bot.sqlite')}`, silentLogger));

describe('settings held in memory (the embedded SQLite file, which only this process writes)', () => {
	const url = () => `sqlite://${path.join(dir, 'held', 'bot.sqlite')}`;

	it('loads what earlier runs stored, then answers without the store; a failed write changes nothing', async () => {
		const earlier = await createStores(url(), silentLogger);
		await createSettingsService({ store: earlier.settings }).setLanguage(GUILD, null, 'de', MOD);
		await createSettingsService({ store: earlier.settings }).setLanguage(GUILD, SPANISH, 'es', MOD);
		await earlier.close();

		const stores = await createStores(url(), silentLogger);
		const settings = createSettingsService({ store: stores.settings, exclusive: true });
		expect(await settings.resolveLanguage({ guildId: GUILD, channelId: SPANISH })).toEqual({ language: 'es', source: 'channel', channelId: SPANISH });
		await settings.setLanguage(GUILD, GERMAN, 'fr', MOD);

		// With the file closed, reads are still answered (from memory) and writes fail, leaving the settings as they were.
		await stores.close();
		expect(await settings.resolveLanguage({ guildId: GUILD, channelId: GERMAN })).toEqual({ language: 'fr', source: 'channel', channelId: GERMAN });
		expect(await settings.resolveLanguage({ guildId: OTHER_GUILD, channelId: GERMAN, locale: 'ko' })).toEqual({ language: 'ko', source: 'locale' });
		await expect(settings.setLanguage(GUILD, null, 'it', MOD)).rejects.toThrow();
		await expect(settings.reset(GUILD, SPANISH)).rejects.toThrow();
		expect(await settings.get(GUILD)).toMatchObject({
			language: { language: 'de' },
			channels: { [SPANISH]: { language: 'es' }, [GERMAN]: { language: 'fr' } },
		});

		// What was written while held is on disk for the next run.
		const next = await createStores(url(), silentLogger);
		expect(await createSettingsService({ store: next.settings }).resolveLanguage({ guildId: GUILD, channelId: GERMAN })).toMatchObject({ language: 'fr' });
		await next.close();
	});
});

it('keeps the SQLite file in write-ahead-log mode, so readers never wait for a job being recorded', async () => {
	const file = path.join(dir, 'wal', 'bot.sqlite');
	const stores = await createStores(`sqlite://${file}`, silentLogger);
	await stores.jobs.set('probe', { v: 1 });
	await stores.close();
	// Asked of the file by a connection of its own: the mode is the file's, not the bot's connection's.
	const db = new sqlite3.Database(file);
	const rows = await new Promise<{ journal_mode: string }[]>((resolve, reject) =>
		db.all('PRAGMA journal_mode', (error, result) => (error ? reject(error) : resolve(result as { journal_mode: string }[]))),
	);
	await new Promise((resolve) => db.close(resolve));
	expect(rows[0]?.journal_mode).toBe('wal');
});

const hasRedis = redisAvailable();
describe.skipIf(!hasRedis)('Redis', () => {
	let redis: RedisServer;
	beforeAll(async () => {
		redis = await startRedis();
	});
	afterAll(async () => {
		await redis?.stop();
	});
	contract('Redis (a real local server)', () => createStores(`${redis.url}/3`, silentLogger));
});

it('refuses other store URLs with a clear message', async () => {
	await expect(createStores('postgres://db/bot', silentLogger)).rejects.toThrow(StoreConfigError);
	await expect(createStores('postgres://db/bot', silentLogger)).rejects.toThrow(/STORE_URL must start with sqlite:\/\/ .* or redis:\/\//);
});
