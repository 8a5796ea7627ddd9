import type Keyv from 'keyv';
import { DEFAULT_LANGUAGE, isLanguageCode, languageForLocale, type LanguageCode } from '../xtts/languages.js';

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

/** How much one member and one server may ask of the bot at once. */
export interface Limits {
	/** Jobs one member may have waiting or running at once. */
	perMember: number;
	/** Jobs one server may have waiting or running at once. */
	perServer: number;
	/** Seconds a member waits between two requests. */
	cooldownSeconds: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({ perMember: 1, perServer: 5, cooldownSeconds: 15 });
export const LIMIT_BOUNDS: Readonly<Record<keyof Limits, { min: number; max: number }>> = Object.freeze({
	perMember: { min: 1, max: 5 },
	perServer: { min: 1, max: 50 },
	cooldownSeconds: { min: 0, max: 3_600 },
});

export type LimitsSetting = Partial<Limits> & { by: string; at: string };

export interface VoiceMessagesSetting {
	enabled: boolean;
	by: string;
	at: string;
}

export interface GuildSettings {
	language: LanguageSetting | undefined;
	channels: Record<string, LanguageSetting>;
	limits: LimitsSetting | undefined;
	voiceMessages: VoiceMessagesSetting | undefined;
}

interface StoredGuildSettingsV1 {
	v: 1;
	language?: LanguageSetting;
	channels: Record<string, LanguageSetting>;
	limits?: LimitsSetting;
	voiceMessages?: VoiceMessagesSetting;
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
	/** Changes some of the server's limits (each clamped to LIMIT_BOUNDS); returns the limits now in force. */
	setLimits(guildId: string, changes: Partial<Limits>, by: string): Promise<Limits>;
	/** The server's limits, its own where set, else the defaults. */
	limitsFor(guildId: string | null): Promise<Limits>;
	/** Whether /clone posts voice messages by default in this server (read with voiceMessagesIn). */
	setVoiceMessages(guildId: string, enabled: boolean, by: string): Promise<void>;
	/** Drops overrides for channels that no longer exist. */
	forgetChannels(guildId: string, channelIds: readonly string[]): Promise<void>;
	resolveLanguage(context: LanguageContext): Promise<ResolvedLanguage>;
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
	const locks = new Map<string, Promise<unknown>>();
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
		if (!settings.language && !settings.limits && !settings.voiceMessages && Object.keys(settings.channels).length === 0) {
			await store.delete(key(guildId));
			(await held)?.delete(guildId);
			return;
		}
		const value: StoredGuildSettingsV1 = {
			v: 1,
			channels: settings.channels,
			...(settings.language ? { language: settings.language } : {}),
			...(settings.limits ? { limits: settings.limits } : {}),
			...(settings.voiceMessages ? { voiceMessages: settings.voiceMessages } : {}),
		};
		await store.set(key(guildId), value);
		// Only once stored: a failed write leaves what is held as it was.
		(await held)?.set(guildId, settings);
	}

	function update<T>(guildId: string, change: (settings: GuildSettings) => T): Promise<T> {
		const previous = locks.get(guildId) ?? Promise.resolve();
		const next = previous
			.catch(() => undefined)
			.then(async () => {
				// A copy: what read() returns is shared with every reader until the change is stored.
				const settings = structuredClone(await read(guildId));
				const result = change(settings);
				await write(guildId, settings);
				return result;
			});
		locks.set(guildId, next);
		void next
			.finally(() => {
				if (locks.get(guildId) === next) locks.delete(guildId);
			})
			.catch(() => undefined);
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
	};
}

/*
 * The rules applied to settings already read: a /clone reads its server's settings once and asks these,
 * instead of going to the store for each answer.
 */

/** The server's limits, its own where set, else the defaults (no settings: outside a server). */
export function limitsIn(settings: GuildSettings | undefined): Limits {
	return withDefaults(settings?.limits);
}

export function voiceMessagesIn(settings: GuildSettings | undefined): boolean {
	return settings?.voiceMessages?.enabled ?? false;
}

/** The option › the channel's override (a thread's parent's) › the server default › the member's locale › English. */
export function languageIn(
	settings: GuildSettings | undefined,
	{ explicit, channelId, parentChannelId, locale }: Omit<LanguageContext, 'guildId'>,
): ResolvedLanguage {
	if (explicit) return { language: explicit, source: 'option' };
	if (settings) {
		for (const id of [channelId, parentChannelId]) {
			const override = id ? settings.channels[id] : undefined;
			if (override && id) return { language: override.language, source: 'channel', channelId: id };
		}
		if (settings.language) return { language: settings.language.language, source: 'server' };
	}
	const fromLocale = languageForLocale(locale);
	if (fromLocale) return { language: fromLocale, source: 'locale' };
	return { language: DEFAULT_LANGUAGE, source: 'default' };
}

function emptySettings(): GuildSettings {
	return { language: undefined, channels: {}, limits: undefined, voiceMessages: undefined };
}

function fromStored(value: unknown): GuildSettings {
	const stored = value as StoredGuildSettingsV1 | undefined;
	if (stored?.v !== 1) return emptySettings();
	return {
		language: validSetting(stored.language),
		channels: Object.fromEntries(Object.entries(stored.channels ?? {}).filter(([, setting]) => validSetting(setting))),
		limits: stored.limits,
		voiceMessages: stored.voiceMessages,
	};
}

function withDefaults(limits: Partial<Limits> | undefined): Limits {
	return {
		perMember: limits?.perMember ?? DEFAULT_LIMITS.perMember,
		perServer: limits?.perServer ?? DEFAULT_LIMITS.perServer,
		cooldownSeconds: limits?.cooldownSeconds ?? DEFAULT_LIMITS.cooldownSeconds,
	};
}

function validSetting(setting: LanguageSetting | undefined): LanguageSetting | undefined {
	return setting && isLanguageCode(setting.language) ? setting : undefined;
}
