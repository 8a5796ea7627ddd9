import type { LanguageCode } from '../xtts/languages.js';
import type en from './locales/en.js';

/**
 * The shape of one language's data file (src/i18n/locales/*.ts). Everything is optional except the tag
 * and the Discord locales: what a file leaves out falls back to English, key by key.
 */

/** A text whose wording depends on a number, chosen by `Intl.PluralRules` from the `count` parameter. */
export interface PluralTemplate {
	readonly zero?: string;
	readonly one?: string;
	readonly two?: string;
	readonly few?: string;
	readonly many?: string;
	readonly other: string;
}

/** A message with `{name}` placeholders, or its plural forms. */
export type Template = string | PluralTemplate;

/** Every message key: the English catalogue defines them all. */
export type MessageKey = keyof (typeof en)['messages'];

export interface LanguagePack {
	/** BCP 47 tag of the language (`de`, `pt-BR`, `zh-TW`), for plural rules. */
	readonly tag: string;
	/** The Discord locales this file speaks for (https://discord.com/developers/docs/reference#locales). */
	readonly discordLocales: readonly string[];
	/** How decimals are written: `1.5` or `1,5`. Default `.`. */
	readonly decimalSeparator?: string;
	/** The 16 output languages, named in this language (language choices, replies). */
	readonly languageNames?: Readonly<Partial<Record<LanguageCode, string>>>;
	/**
	 * Command names and descriptions, keyed by the English path: `clone.description`, `clone.speaker.name`,
	 * `clone-settings.limits.member_jobs.description`, `Clone this voice.name`. Descriptions may use the
	 * placeholders the command passes (`{perMember}`…).
	 */
	readonly commands?: Readonly<Record<string, string>>;
	/** Replies to members. A file without messages localizes only the command list; replies stay English. */
	readonly messages?: Readonly<Partial<Record<MessageKey, Template>>>;
}

type Placeholders<S extends string> = S extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never;

type TemplateParams<T> = T extends string ? Placeholders<T> : T extends PluralTemplate ? Placeholders<Extract<T[keyof T], string>> | 'count' : never;

/** The parameters a message takes: its placeholders (and `count` for plural messages). */
export type ParamsOf<K extends MessageKey> = TemplateParams<(typeof en)['messages'][K]>;

/** `t(locale, key)` for messages without placeholders, `t(locale, key, { … })` for the others. */
export type ParamArgs<K extends MessageKey> = [ParamsOf<K>] extends [never] ? [] : [params: { readonly [P in ParamsOf<K>]: string | number }];
