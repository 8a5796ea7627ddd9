import type { LanguagePack } from '../pack.js';

/**
 * Turkish: so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'tr',
	discordLocales: ['tr'],
	languageNames: {
		en: 'İngilizce',
		es: 'İspanyolca',
		fr: 'Fransızca',
		de: 'Almanca',
		it: 'İtalyanca',
		pt: 'Portekizce',
		pl: 'Lehçe',
		tr: 'Türkçe',
		ru: 'Rusça',
		nl: 'Felemenkçe',
		cs: 'Çekçe',
		ar: 'Arapça',
		zh: 'Çince',
		hu: 'Macarca',
		ko: 'Korece',
		hi: 'Hintçe',
	},
} satisfies LanguagePack;
