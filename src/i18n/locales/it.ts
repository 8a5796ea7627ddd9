import type { LanguagePack } from '../pack.js';

/**
 * Italian: so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'it',
	discordLocales: ['it'],
	languageNames: {
		en: 'Inglese',
		es: 'Spagnolo',
		fr: 'Francese',
		de: 'Tedesco',
		it: 'Italiano',
		pt: 'Portoghese',
		pl: 'Polacco',
		tr: 'Turco',
		ru: 'Russo',
		nl: 'Olandese',
		cs: 'Ceco',
		ar: 'Arabo',
		zh: 'Cinese',
		hu: 'Ungherese',
		ko: 'Coreano',
		hi: 'Hindi',
	},
} satisfies LanguagePack;
