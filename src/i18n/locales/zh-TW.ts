import type { LanguagePack } from '../pack.js';

/**
 * Chinese (traditional): so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'zh-TW',
	discordLocales: ['zh-TW'],
	languageNames: {
		en: '英文',
		es: '西班牙文',
		fr: '法文',
		de: '德文',
		it: '義大利文',
		pt: '葡萄牙文',
		pl: '波蘭文',
		tr: '土耳其文',
		ru: '俄文',
		nl: '荷蘭文',
		cs: '捷克文',
		ar: '阿拉伯文',
		zh: '中文',
		hu: '匈牙利文',
		ko: '韓文',
		hi: '印地文',
	},
} satisfies LanguagePack;
