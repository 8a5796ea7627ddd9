import type { LanguagePack } from '../pack.js';

/**
 * Hindi: so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'hi',
	discordLocales: ['hi'],
	languageNames: {
		en: 'अंग्रेज़ी',
		es: 'स्पेनिश',
		fr: 'फ़्रेंच',
		de: 'जर्मन',
		it: 'इतालवी',
		pt: 'पुर्तगाली',
		pl: 'पोलिश',
		tr: 'तुर्की',
		ru: 'रूसी',
		nl: 'डच',
		cs: 'चेक',
		ar: 'अरबी',
		zh: 'चीनी',
		hu: 'हंगेरियाई',
		ko: 'कोरियाई',
		hi: 'हिन्दी',
	},
} satisfies LanguagePack;
