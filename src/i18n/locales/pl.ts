import type { LanguagePack } from '../pack.js';

/**
 * Polish: so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'pl',
	discordLocales: ['pl'],
	languageNames: {
		en: 'Angielski',
		es: 'Hiszpański',
		fr: 'Francuski',
		de: 'Niemiecki',
		it: 'Włoski',
		pt: 'Portugalski',
		pl: 'Polski',
		tr: 'Turecki',
		ru: 'Rosyjski',
		nl: 'Niderlandzki',
		cs: 'Czeski',
		ar: 'Arabski',
		zh: 'Chiński',
		hu: 'Węgierski',
		ko: 'Koreański',
		hi: 'Hindi',
	},
} satisfies LanguagePack;
