import type { LanguagePack } from '../pack.js';

/**
 * Russian: so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'ru',
	discordLocales: ['ru'],
	languageNames: {
		en: 'Английский',
		es: 'Испанский',
		fr: 'Французский',
		de: 'Немецкий',
		it: 'Итальянский',
		pt: 'Португальский',
		pl: 'Польский',
		tr: 'Турецкий',
		ru: 'Русский',
		nl: 'Нидерландский',
		cs: 'Чешский',
		ar: 'Арабский',
		zh: 'Китайский',
		hu: 'Венгерский',
		ko: 'Корейский',
		hi: 'Хинди',
	},
} satisfies LanguagePack;
