import type Keyv from 'keyv';
import { createKeyedLock } from '../util/keyed-lock.js';
import type { LanguageCode } from '../xtts/languages.js';
import {
	emptySettings,
	fromStored,
	isEmpty,
	languageIn,
	LIMIT_BOUNDS,
	limitsIn,
	toStored,
	withDefaults,
	type ConsentPolicy,
	type GuildSettings,
	type LanguageContext,
	type LanguageSetting,
	type Limits,
	type ResolvedLanguage,
} from './guild-settings.js';

/**
 * Server and channel settings in the store: languages, limits, voice messages, the consent policy, the report
 * channel and blocked members. The only code that knows how they are keyed: one value per server (`guild:<id>`),
 * versioned so the shape can change without misreading old data (see guild-settings.ts).
 */

export interface SettingsService {
	get(guildId: string): Promise<GuildSettings>;
	/** Sets the server default (channelId null) or a channel's override. */
	setLanguage(guildId: string, channelId: string | null, language: LanguageCode, by: string): Promise<void>;
	/** Removes the server default or a channel's override; false when there was none. */
	reset(guildId: string, channelId: string | null): Promise<boolean>;
	/** Changes some of the server's limits (each clamped to LIMIT_BOUNDS); returns the limits now in force. */
	setLimits(guildId: string, changes: Partial<Limits>, by: string): Promise<Limits>;
	/** The server's limits, its own where set, else the defaults. */
	limitsFor(guildId: string | null): Promise<Limits>;
	/** Whether /clone posts voice messages by default in this server (read with voiceMessagesIn). */
	setVoiceMessages(guildId: string, enabled: boolean, by: string): Promise<void>;
	/** Drops overrides for channels that no longer exist. */
	forgetChannels(guildId: string, channelIds: readonly string[]): Promise<void>;
	resolveLanguage(context: LanguageContext): Promise<ResolvedLanguage>;
	setConsentPolicy(guildId: string, policy: ConsentPolicy, by: string): Promise<void>;
	/** The channel reports are posted in; null: none (reports are still stored). */
	setReportChannel(guildId: string, channelId: string | null, by: string): Promise<void>;
	/** Blocks a member from cloning in this server; false when they already were. */
	block(guildId: string, memberId: string, by: string): Promise<boolean>;
	/** False when they were not blocked. */
	unblock(guildId: string, memberId: string): Promise<boolean>;
}

export interface SettingsServiceOptions {
	store: Keyv;
	now?: () => Date;
	/**
	 * This process is the only one that writes the store (the embedded SQLite file): every server's settings are
	 * read once, at startup, and kept in memory, written through on each change, so that a /clone asks no I/O of
	 * them. A shared store (Redis) is read every time, so that a change made through another process applies at once.
	 */
	exclusive?: boolean;
}

const KEY_PREFIX = 'guild:';

export function createSettingsService({ store, now = () => new Date(), exclusive = false }: SettingsServiceOptions): SettingsService {
	const key = (guildId: string) => `${KEY_PREFIX}${guildId}`;
	// Read-modify-write is serialised per server within this process. Across processes sharing Redis,
	// two moderators saving in the same instant could lose one change; rare enough for settings.
	const locked = createKeyedLock();
	const held = exclusive ? loadAll() : undefined;
	// Not awaited here: the first read waits for it, and a failure to load fails that read (and the next ones).
	held?.catch(() => undefined);

	async function loadAll(): Promise<Map<string, GuildSettings>> {
		const all = new Map<string, GuildSettings>();
		if (!store.iterator) throw new Error('the settings store cannot list its records');
		for await (const [storedKey, value] of store.iterator(undefined)) {
			if (typeof storedKey === 'string' && storedKey.startsWith(KEY_PREFIX)) all.set(storedKey.slice(KEY_PREFIX.length), fromStored(value));
		}
		return all;
	}

	/** The settings as they are now. Never mutate the result: change them through update(). */
	async function read(guildId: string): Promise<GuildSettings> {
		if (held) return (await held).get(guildId) ?? emptySettings();
		return fromStored(await store.get(key(guildId)));
	}

	async function write(guildId: string, settings: GuildSettings): Promise<void> {
		if (isEmpty(settings)) {
			await store.delete(key(guildId));
			(await held)?.delete(guildId);
			return;
		}
		await store.set(key(guildId), toStored(settings));
		// Only once stored: a failed write leaves what is held as it was.
		(await held)?.set(guildId, settings);
	}

	function update<T>(guildId: string, change: (settings: GuildSettings) => T): Promise<T> {
		return locked(guildId, async () => {
			// A copy: what read() returns is shared with every reader until the change is stored.
			const settings = structuredClone(await read(guildId));
			const result = change(settings);
			await write(guildId, settings);
			return result;
		});
	}

	return {
		get: read,

		setLanguage(guildId, channelId, language, by) {
			const setting: LanguageSetting = { language, by, at: now().toISOString() };
			return update(guildId, (settings) => {
				if (channelId) settings.channels[channelId] = setting;
				else settings.language = setting;
			});
		},

		reset(guildId, channelId) {
			return update(guildId, (settings) => {
				if (channelId) {
					const had = channelId in settings.channels;
					delete settings.channels[channelId];
					return had;
				}
				const had = settings.language !== undefined;
				settings.language = undefined;
				return had;
			});
		},

		async setLimits(guildId, changes, by) {
			const clamped: Partial<Limits> = {};
			for (const name of Object.keys(LIMIT_BOUNDS) as (keyof Limits)[]) {
				const value = changes[name];
				if (value !== undefined) clamped[name] = Math.min(LIMIT_BOUNDS[name].max, Math.max(LIMIT_BOUNDS[name].min, Math.round(value)));
			}
			return update(guildId, (settings) => {
				settings.limits = { ...settings.limits, ...clamped, by, at: now().toISOString() };
				return withDefaults(settings.limits);
			});
		},

		async limitsFor(guildId) {
			return limitsIn(guildId ? await read(guildId) : undefined);
		},

		async setVoiceMessages(guildId, enabled, by) {
			await update(guildId, (settings) => {
				settings.voiceMessages = { enabled, by, at: now().toISOString() };
			});
		},

		async forgetChannels(guildId, channelIds) {
			if (channelIds.length === 0) return;
			await update(guildId, (settings) => {
				for (const channelId of channelIds) delete settings.channels[channelId];
			});
		},

		async resolveLanguage(context) {
			return languageIn(!context.explicit && context.guildId ? await read(context.guildId) : undefined, context);
		},

		async setConsentPolicy(guildId, policy, by) {
			await update(guildId, (settings) => {
				settings.consent = { policy, by, at: now().toISOString() };
			});
		},

		async setReportChannel(guildId, channelId, by) {
			await update(guildId, (settings) => {
				settings.reportChannel = channelId ? { channelId, by, at: now().toISOString() } : undefined;
			});
		},

		block(guildId, memberId, by) {
			return update(guildId, (settings) => {
				if (settings.blocked[memberId]) return false;
				settings.blocked[memberId] = { by, at: now().toISOString() };
				return true;
			});
		},

		unblock(guildId, memberId) {
			return update(guildId, (settings) => {
				const had = settings.blocked[memberId] !== undefined;
				delete settings.blocked[memberId];
				return had;
			});
		},
	};
}
