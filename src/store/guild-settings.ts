import { DEFAULT_LANGUAGE, isLanguageCode, languageForLocale, type LanguageCode } from '../xtts/languages.js';

/**
 * A server's settings as data, and the rules read from them: a /clone reads its server's settings once and asks
 * these, instead of going to the store for each answer. The store service is settings.ts.
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
	/** Requests one member may have waiting in line (beyond it, refused). */
	memberWaiting: number;
	/** Requests the whole server may have waiting in line. */
	serverWaiting: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({ perMember: 1, perServer: 5, cooldownSeconds: 15, memberWaiting: 3, serverWaiting: 100 });
export const LIMIT_BOUNDS: Readonly<Record<keyof Limits, { min: number; max: number }>> = Object.freeze({
	perMember: { min: 1, max: 5 },
	perServer: { min: 1, max: 50 },
	cooldownSeconds: { min: 0, max: 3_600 },
	memberWaiting: { min: 0, max: 10 },
	serverWaiting: { min: 1, max: 1_000 },
});

export type LimitsSetting = Partial<Limits> & { by: string; at: string };

export interface VoiceMessagesSetting {
	enabled: boolean;
	by: string;
	at: string;
}

/** Whose voice members may clone: their own only, another member's with their permission, or anyone's. */
export type ConsentPolicy = 'own-voice' | 'with-permission' | 'anyone';
export const CONSENT_POLICIES: readonly ConsentPolicy[] = ['own-voice', 'with-permission', 'anyone'];
export const DEFAULT_CONSENT_POLICY: ConsentPolicy = 'with-permission';

export interface ConsentSetting {
	policy: ConsentPolicy;
	by: string;
	at: string;
}

export interface ReportChannelSetting {
	channelId: string;
	by: string;
	at: string;
}

/** A member a moderator blocked from cloning in this server. */
export interface BlockSetting {
	by: string;
	at: string;
}

export interface GuildSettings {
	language: LanguageSetting | undefined;
	channels: Record<string, LanguageSetting>;
	limits: LimitsSetting | undefined;
	voiceMessages: VoiceMessagesSetting | undefined;
	consent: ConsentSetting | undefined;
	reportChannel: ReportChannelSetting | undefined;
	/** By member id. */
	blocked: Record<string, BlockSetting>;
}

/** As stored: version 1 gained consent, reportChannel and blocked as optional fields (absent: the defaults). */
export interface StoredGuildSettingsV1 {
	v: 1;
	language?: LanguageSetting;
	channels: Record<string, LanguageSetting>;
	limits?: LimitsSetting;
	voiceMessages?: VoiceMessagesSetting;
	consent?: ConsentSetting;
	reportChannel?: ReportChannelSetting;
	blocked?: Record<string, BlockSetting>;
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

/** The server's consent policy (the default when no moderator chose one). */
export function consentPolicyIn(settings: GuildSettings | undefined): ConsentPolicy {
	const policy = settings?.consent?.policy;
	return policy && CONSENT_POLICIES.includes(policy) ? policy : DEFAULT_CONSENT_POLICY;
}

export function isBlockedIn(settings: GuildSettings | undefined, memberId: string): boolean {
	return settings?.blocked[memberId] !== undefined;
}

export function emptySettings(): GuildSettings {
	return { language: undefined, channels: {}, limits: undefined, voiceMessages: undefined, consent: undefined, reportChannel: undefined, blocked: {} };
}

export function isEmpty(settings: GuildSettings): boolean {
	return (
		!settings.language &&
		!settings.limits &&
		!settings.voiceMessages &&
		!settings.consent &&
		!settings.reportChannel &&
		Object.keys(settings.channels).length === 0 &&
		Object.keys(settings.blocked).length === 0
	);
}

export function fromStored(value: unknown): GuildSettings {
	const stored = value as StoredGuildSettingsV1 | undefined;
	if (stored?.v !== 1) return emptySettings();
	return {
		language: validSetting(stored.language),
		channels: Object.fromEntries(Object.entries(stored.channels ?? {}).filter(([, setting]) => validSetting(setting))),
		limits: stored.limits,
		voiceMessages: stored.voiceMessages,
		consent: stored.consent,
		reportChannel: stored.reportChannel,
		blocked: stored.blocked ?? {},
	};
}

export function toStored(settings: GuildSettings): StoredGuildSettingsV1 {
	return {
		v: 1,
		channels: settings.channels,
		...(settings.language ? { language: settings.language } : {}),
		...(settings.limits ? { limits: settings.limits } : {}),
		...(settings.voiceMessages ? { voiceMessages: settings.voiceMessages } : {}),
		...(settings.consent ? { consent: settings.consent } : {}),
		...(settings.reportChannel ? { reportChannel: settings.reportChannel } : {}),
		...(Object.keys(settings.blocked).length > 0 ? { blocked: settings.blocked } : {}),
	};
}

export function withDefaults(limits: Partial<Limits> | undefined): Limits {
	return {
		perMember: limits?.perMember ?? DEFAULT_LIMITS.perMember,
		perServer: limits?.perServer ?? DEFAULT_LIMITS.perServer,
		cooldownSeconds: limits?.cooldownSeconds ?? DEFAULT_LIMITS.cooldownSeconds,
		memberWaiting: limits?.memberWaiting ?? DEFAULT_LIMITS.memberWaiting,
		serverWaiting: limits?.serverWaiting ?? DEFAULT_LIMITS.serverWaiting,
	};
}

function validSetting(setting: LanguageSetting | undefined): LanguageSetting | undefined {
	return setting && isLanguageCode(setting.language) ? setting : undefined;
}
