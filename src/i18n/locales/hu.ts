import type { LanguagePack } from '../pack.js';

/**
 * Hungarian: so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'hu',
	discordLocales: ['hu'],
	languageNames: {
		en: 'Angol',
		es: 'Spanyol',
		fr: 'Francia',
		de: 'Német',
		it: 'Olasz',
		pt: 'Portugál',
		pl: 'Lengyel',
		tr: 'Török',
		ru: 'Orosz',
		nl: 'Holland',
		cs: 'Cseh',
		ar: 'Arab',
		zh: 'Kínai',
		hu: 'Magyar',
		ko: 'Koreai',
		hi: 'Hindi',
	},
} satisfies LanguagePack;
