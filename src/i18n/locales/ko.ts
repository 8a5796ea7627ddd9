import type { LanguagePack } from '../pack.js';

/**
 * Korean: so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'ko',
	discordLocales: ['ko'],
	languageNames: {
		en: '영어',
		es: '스페인어',
		fr: '프랑스어',
		de: '독일어',
		it: '이탈리아어',
		pt: '포르투갈어',
		pl: '폴란드어',
		tr: '튀르키예어',
		ru: '러시아어',
		nl: '네덜란드어',
		cs: '체코어',
		ar: '아랍어',
		zh: '중국어',
		hu: '헝가리어',
		ko: '한국어',
		hi: '힌디어',
	},
} satisfies LanguagePack;
