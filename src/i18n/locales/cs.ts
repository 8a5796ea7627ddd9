import type { LanguagePack } from '../pack.js';

/**
 * Czech: so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'cs',
	discordLocales: ['cs'],
	languageNames: {
		en: 'Angličtina',
		es: 'Španělština',
		fr: 'Francouzština',
		de: 'Němčina',
		it: 'Italština',
		pt: 'Portugalština',
		pl: 'Polština',
		tr: 'Turečtina',
		ru: 'Ruština',
		nl: 'Nizozemština',
		cs: 'Čeština',
		ar: 'Arabština',
		zh: 'Čínština',
		hu: 'Maďarština',
		ko: 'Korejština',
		hi: 'Hindština',
	},
} satisfies LanguagePack;
