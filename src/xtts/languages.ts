/** The 16 output languages the XTTS v2 API supports, in the order its documentation lists them. */
export const LANGUAGES = {
	en: 'English',
	es: 'Spanish',
	fr: 'French',
	de: 'German',
	it: 'Italian',
	pt: 'Portuguese',
	pl: 'Polish',
	tr: 'Turkish',
	ru: 'Russian',
	nl: 'Dutch',
	cs: 'Czech',
	ar: 'Arabic',
	zh: 'Chinese',
	hu: 'Hungarian',
	ko: 'Korean',
	hi: 'Hindi',
} as const;

export type LanguageCode = keyof typeof LANGUAGES;

export const LANGUAGE_CODES = Object.keys(LANGUAGES) as LanguageCode[];

export const DEFAULT_LANGUAGE: LanguageCode = 'en';

export function isLanguageCode(value: unknown): value is LanguageCode {
	return typeof value === 'string' && Object.hasOwn(LANGUAGES, value);
}

/** Slash-command choices: the API's codes as values, their English names as labels. */
export const LANGUAGE_CHOICES = LANGUAGE_CODES.map((code) => ({ name: LANGUAGES[code], value: code }));

/**
 * Maps a Discord client locale (en-US, pt-BR, zh-TW, …) to a supported language, if any.
 * Discord offers no Arabic locale, so `ar` is only ever chosen explicitly.
 */
export function languageForLocale(locale: string | null | undefined): LanguageCode | undefined {
	if (!locale) return undefined;
	const base = locale.toLowerCase().split('-')[0];
	return isLanguageCode(base) ? base : undefined;
}
