import { LANGUAGE_CODES, type LanguageCode } from '../xtts/languages.js';
import en from './locales/en.js';
import { LANGUAGE_PACKS } from './locales/index.js';
import type { LanguagePack, MessageKey, ParamArgs } from './pack.js';
import { choose, fill } from './template.js';

/**
 * The bot's one message catalogue: `t(locale, key, params)` picks the member's language from their
 * Discord locale, fills the `{placeholders}` and falls back to English for a missing key or language.
 * The texts themselves are data, one file per language in ./locales/.
 */

export type { LanguagePack, MessageKey, ParamArgs, Template } from './pack.js';
export { LANGUAGE_PACKS } from './locales/index.js';

const ENGLISH: LanguagePack = en;

/** Languages the bot answers in: the files that carry messages. */
export const REPLY_LANGUAGES: readonly LanguagePack[] = LANGUAGE_PACKS.filter((pack) => pack.messages && Object.keys(pack.messages).length > 0);

/**
 * The language a member is answered in: the file naming their exact Discord locale (es-419, zh-TW), else
 * one of the same language (es-MX → es), else English.
 */
export function replyLanguage(locale: string | null | undefined): LanguagePack {
	if (!locale) return ENGLISH;
	const wanted = locale.toLowerCase();
	const exact = REPLY_LANGUAGES.find((pack) => pack.discordLocales.some((discordLocale) => discordLocale.toLowerCase() === wanted));
	if (exact) return exact;
	const base = wanted.split('-')[0];
	return REPLY_LANGUAGES.find((pack) => pack.tag.toLowerCase().split('-')[0] === base) ?? ENGLISH;
}

/** The member-facing text for `key` in the member's language. */
export function t<K extends MessageKey>(locale: string | null | undefined, key: K, ...[params]: ParamArgs<K>): string {
	const pack = replyLanguage(locale);
	const values = (params ?? {}) as Readonly<Record<string, string | number>>;
	const own = pack.messages?.[key];
	const [template, tag] = own === undefined ? [ENGLISH.messages?.[key], ENGLISH.tag] : [own, pack.tag];
	if (template === undefined) throw new Error(`no message ${String(key)} in the catalogue`);
	return fill(choose(template, tag, values.count), values);
}

/** A language's name in the member's language ("Alemán" for a Spanish-speaking member). */
export function languageNameFor(language: LanguageCode, locale: string | null | undefined): string {
	return replyLanguage(locale).languageNames?.[language] ?? ENGLISH.languageNames?.[language] ?? language;
}

/** A decimal number as the member's language writes it ("1.5" / "1,5"). */
export function formatDecimal(value: number, digits: number, locale: string | null | undefined): string {
	const fixed = value.toFixed(digits);
	const separator = replyLanguage(locale).decimalSeparator ?? '.';
	return separator === '.' ? fixed : fixed.replace('.', separator);
}

/**
 * A language typed by a member: a code (`de`) or its name in any of the bot's languages (`German`,
 * `Deutsch`, `alemán`), any case; undefined when it is neither.
 */
export function parseLanguageName(value: string): LanguageCode | undefined {
	const wanted = value.trim().toLocaleLowerCase();
	if ((LANGUAGE_CODES as readonly string[]).includes(wanted)) return wanted as LanguageCode;
	for (const pack of LANGUAGE_PACKS) {
		const found = LANGUAGE_CODES.find((code) => pack.languageNames?.[code]?.toLocaleLowerCase() === wanted);
		if (found) return found;
	}
	return undefined;
}

export { localizeCommand, commandLocalizationKeys } from './commands.js';
