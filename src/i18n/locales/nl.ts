import type { LanguagePack } from '../pack.js';

/**
 * Dutch: so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'nl',
	discordLocales: ['nl'],
	languageNames: {
		en: 'Engels',
		es: 'Spaans',
		fr: 'Frans',
		de: 'Duits',
		it: 'Italiaans',
		pt: 'Portugees',
		pl: 'Pools',
		tr: 'Turks',
		ru: 'Russisch',
		nl: 'Nederlands',
		cs: 'Tsjechisch',
		ar: 'Arabisch',
		zh: 'Chinees',
		hu: 'Hongaars',
		ko: 'Koreaans',
		hi: 'Hindi',
	},
} satisfies LanguagePack;
