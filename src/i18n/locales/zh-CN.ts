import type { LanguagePack } from '../pack.js';

/**
 * Chinese (simplified): so far only the names of the 16 languages (the commands' language choices).
 * Commands and replies stay English until `commands` and `messages` are added (see de.ts).
 */
export default {
	tag: 'zh-CN',
	discordLocales: ['zh-CN'],
	languageNames: {
		en: '英语',
		es: '西班牙语',
		fr: '法语',
		de: '德语',
		it: '意大利语',
		pt: '葡萄牙语',
		pl: '波兰语',
		tr: '土耳其语',
		ru: '俄语',
		nl: '荷兰语',
		cs: '捷克语',
		ar: '阿拉伯语',
		zh: '中文',
		hu: '匈牙利语',
		ko: '韩语',
		hi: '印地语',
	},
} satisfies LanguagePack;
