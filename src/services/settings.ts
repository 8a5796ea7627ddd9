import type Keyv from 'keyv';
import { DEFAULT_LANGUAGE, isLanguageCode, languageForLocale, type LanguageCode } from './languages.js';

/**
 * Server and channel language defaults. The only code that knows how they are keyed and shaped in the store.
 * One value per server (`guild:<id>`), versioned so the shape can change without misreading old data.
 */

export interface LanguageSetting {
	language: LanguageCode;
	/** Id of the member who set it. */
	by: string;
	/** ISO time it was set. */
	at: string;
}

export interface GuildSettings {
	language: LanguageSetting | undefined;
	channels: Record<string, LanguageSetting>;
}

interface StoredGuildSettingsV1 {
	v: 1;
	language?: LanguageSetting;
	channels: Record<string, LanguageSetting>;
}

export type LanguageSource = 'option' | 'channel' | 'server' | 'locale' | 'default';

export interface ResolvedLanguage {
	language: LanguageCode;
	source: LanguageSource;
	/** For a channel override: the channel it was set on (a thread inherits its parent's). */
	channelId?: string;
}

export interface LanguageContext {
	explicit?: LanguageCode | null;
	guildId: string | null;
	channelId: string | null;
	/** The parent of a thread, whose override the thread inherits. */
	parentChannelId?: string | null;
	locale?: string | null;
}

export interface SettingsService {
	get(guildId: string): Promise<GuildSettings>;
	/** Sets the server default (channelId null) or a channel's override. */
	setLanguage(guildId: string, channelId: string | null, language: LanguageCode, by: string): Promise<void>;
	/** Removes the server default or a channel's override; false when there was none. */
	reset(guildId: string, channelId: string | null): Promise<boolean>;
	/** Drops overrides for channels that no longer exist. */
	forgetChannels(guildId: string, channelIds: readonly string[]): Promise<void>;
	resolveLanguage(context: LanguageContext): Promise<ResolvedLanguage>;
}

export function createSettingsService({ store, now = () => new Date() }: { store: Keyv; now?: () => Date }): SettingsService {
	const key = (guildId: string) => `guild:${guildId}`;
	// Read-modify-write is serialised per server within this process. Across processes sharing Redis,
	// two moderators saving in the same instant could lose one change; rare enough for settings.
	const locks = new Map<string, Promise<unknown>>();

	async function read(guildId: string): Promise<GuildSettings> {
		const stored = (await store.get(key(guildId))) as StoredGuildSettingsV1 | undefined;
		if (!stored || stored.v !== 1) return { language: undefined, channels: {} };
		return {
			language: validSetting(stored.language),
			channels: Object.fromEntries(Object.entries(stored.channels ?? {}).filter(([, setting]) => validSetting(setting))),
		};
	}

	async function write(guildId: string, settings: GuildSettings): Promise<void> {
		if (!settings.language && Object.keys(settings.channels).length === 0) {
			await store.delete(key(guildId));
			return;
		}
		const value: StoredGuildSettingsV1 = { v: 1, channels: settings.channels, ...(settings.language ? { language: settings.language } : {}) };
		await store.set(key(guildId), value);
	}

	function update<T>(guildId: string, change: (settings: GuildSettings) => T): Promise<T> {
		const previous = locks.get(guildId) ?? Promise.resolve();
		const next = previous.catch(() => undefined).then(async () => {
			const settings = await read(guildId);
			const result = change(settings);
			await write(guildId, settings);
			return result;
		});
		locks.set(guildId, next);
		void next.finally(() => {
			if (locks.get(guildId) === next) locks.delete(guildId);
		}).catch(() => undefined);
		return next;
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

		async forgetChannels(guildId, channelIds) {
			if (channelIds.length === 0) return;
			await update(guildId, (settings) => {
				for (const channelId of channelIds) delete settings.channels[channelId];
			});
		},

		async resolveLanguage({ explicit, guildId, channelId, parentChannelId, locale }) {
			if (explicit) return { language: explicit, source: 'option' };
			if (guildId) {
				const settings = await read(guildId);
				for (const id of [channelId, parentChannelId]) {
					const override = id ? settings.channels[id] : undefined;
					if (override && id) return { language: override.language, source: 'channel', channelId: id };
				}
				if (settings.language) return { language: settings.language.language, source: 'server' };
			}
			const fromLocale = languageForLocale(locale);
			if (fromLocale) return { language: fromLocale, source: 'locale' };
			return { language: DEFAULT_LANGUAGE, source: 'default' };
		},
	};
}

function validSetting(setting: LanguageSetting | undefined): LanguageSetting | undefined {
	return setting && isLanguageCode(setting.language) ? setting : undefined;
}
