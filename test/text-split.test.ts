import { describe, expect, it } from 'vitest';
import { LANGUAGE_CODES, type LanguageCode } from '../src/xtts/languages.js';
import { LANGUAGE_CHAR_LIMITS, MAX_PART_CHARS, normalizeText, splitText } from '../src/xtts/text-split.js';

/** True when the parts are the normalized text in order, each boundary standing for one space or for nothing. */
function rejoins(parts: string[], normalized: string): boolean {
	let pos = 0;
	for (const [i, part] of parts.entries()) {
		if (i > 0 && normalized[pos] === ' ') pos++;
		if (!normalized.startsWith(part, pos)) return false;
		pos += part.length;
	}
	return pos === normalized.length;
}

function expectWellFormed(parts: string[], text: string, limit: number): void {
	expect(parts.length).toBeGreaterThan(0);
	for (const part of parts) {
		expect(part.length, part).toBeLessThanOrEqual(limit);
		expect(part.length).toBeLessThanOrEqual(MAX_PART_CHARS);
		expect(part).toBe(part.trim());
		expect(part).not.toBe('');
	}
	expect(rejoins(parts, normalizeText(text)), JSON.stringify(parts)).toBe(true);
}

/**
 * Splits the sentences joined by `separator` with a limit each sentence fits but no two neighbours do:
 * the parts must be exactly the sentences, so every boundary found (and every one not found) is checked.
 */
function expectSentences(sentences: string[], language: LanguageCode, separator = ' '): void {
	const limit = Math.max(...sentences.map((s) => s.length));
	for (let i = 1; i < sentences.length; i++) {
		// A check on the test itself: neighbours must not fit together, else packing would (rightly) join them.
		expect(sentences[i - 1]!.length + separator.length + sentences[i]!.length).toBeGreaterThan(limit);
	}
	expect(splitText(sentences.join(separator), language, limit)).toEqual(sentences);
}

describe('LANGUAGE_CHAR_LIMITS', () => {
	it("has XTTS's tokenizer limit for every supported language", () => {
		expect(Object.keys(LANGUAGE_CHAR_LIMITS).sort()).toEqual([...LANGUAGE_CODES].sort());
		expect(LANGUAGE_CHAR_LIMITS).toMatchObject({ en: 250, de: 253, fr: 273, es: 239, it: 213, pt: 203, pl: 224, tr: 226 });
		expect(LANGUAGE_CHAR_LIMITS).toMatchObject({ ru: 182, nl: 251, cs: 186, ar: 166, zh: 82, hu: 224, ko: 95 });
	});

	it('gives Hindi (absent from XTTS) the most conservative alphabetic limit', () => {
		const alphabetic = LANGUAGE_CODES.filter((code) => code !== 'zh' && code !== 'ko' && code !== 'hi');
		expect(LANGUAGE_CHAR_LIMITS.hi).toBe(Math.min(...alphabetic.map((code) => LANGUAGE_CHAR_LIMITS[code])));
	});

	it('is the default limit of splitText', () => {
		const text = 'Ein Satz mit ein paar Wörtern darin. '.repeat(30);
		for (const part of splitText(text, 'de')) expect(part.length).toBeLessThanOrEqual(253);
		for (const part of splitText('这是一个句子。'.repeat(40), 'zh')) expect(part.length).toBeLessThanOrEqual(82);
	});
});

describe('splitText', () => {
	it('returns a short text whole, and nothing for a blank one', () => {
		expect(splitText('Hello there!', 'en')).toEqual(['Hello there!']);
		expect(splitText('   \n\t  ', 'en')).toEqual([]);
		expect(splitText('', 'zh')).toEqual([]);
	});

	it('normalizes whitespace: runs of spaces, tabs and newlines become one space', () => {
		const text = '  First line.\n\nSecond   line,\twith tabs.\r\n  Third\u3000line.  ';
		expect(normalizeText(text)).toBe('First line. Second line, with tabs. Third line.');
		expect(splitText(text, 'en')).toEqual(['First line. Second line, with tabs. Third line.']);
		expect(splitText(text, 'en', 30)).toEqual(['First line.', 'Second line, with tabs.', 'Third line.']);
	});

	it('keeps no-break spaces, which are not places to split', () => {
		expect(normalizeText('10\u00a0km  away')).toBe('10\u00a0km away');
		expect(splitText('Il a dit\u202f: « oui »\u202f!', 'fr', 12).every((part) => !part.endsWith('\u202f'))).toBe(true);
	});

	it('packs whole sentences greedily', () => {
		const text = 'One two. Three four five. Six. Seven eight nine ten. Eleven.';
		expect(splitText(text, 'en', 26)).toEqual(['One two. Three four five.', 'Six. Seven eight nine ten.', 'Eleven.']);
		expect(splitText(text, 'en', 1000)).toEqual([text]);
	});

	it('never makes a part over 500 characters, whatever maxChars says', () => {
		const text = Array.from({ length: 40 }, (_, i) => `This is sentence number ${i} of the text.`).join(' ');
		const parts = splitText(text, 'en', 10_000);
		expectWellFormed(parts, text, 500);
		expect(parts.length).toBeGreaterThan(1);
	});

	it('refuses a limit below one character', () => {
		expect(() => splitText('Hi.', 'en', 0)).toThrow(RangeError);
		expect(() => splitText('Hi.', 'en', Number.NaN)).toThrow(RangeError);
	});

	describe('sentence boundaries', () => {
		it('does not end a sentence at an abbreviation or an initial', () => {
			expectSentences(
				[
					"Mr. Smith and Dr. Brown met Mrs. Jones at St. Mary's church.",
					'They talked about fruit, e.g. apples, i.e. the red ones, vs. pears.',
					'He now lives in the U.S. and reads J. R. R. Tolkien every night.',
				],
				'en',
			);
		});

		it('ends one at "etc." when a capital follows', () => {
			expectSentences(['We bought apples, pears, plums, etc.', 'Then we all went back home again.'], 'en');
			expect(splitText('Apples, pears, etc. and plums.', 'en', 20)).not.toContain('Apples, pears, etc.');
		});

		it('does not split decimals, thousands or version numbers', () => {
			expectSentences(
				['Pi is about 3.14 and e is about 2.718 in value.', 'It cost 1,000.50 dollars, or 1.000,50 euros.', 'Version v2.0.1 is out now, after v1.9.'],
				'en',
			);
		});

		it('treats an ellipsis as a sentence end only before a capital', () => {
			expectSentences(['Well... maybe we should just go there.', 'I am not so sure about that one…', 'Let us wait and see what happens next.'], 'en');
			expect(splitText('Wait... what happened here?', 'en', 15)).toEqual(['Wait... what', 'happened here?']);
		});

		it('keeps closing quotes and brackets with their sentence', () => {
			expectSentences(
				['He said to her, "Stop right there."', '(That was the end of it all.)', '"Why?" she asked him very quietly.', 'They left at once!!!'],
				'en',
			);
			expectSentences(['« C’est très bien, merci beaucoup. »', 'Puis il est parti sans un mot.'], 'fr');
		});

		it('handles ?! runs and other languages', () => {
			expectSentences(['Really?! You did that for them?', 'Yes, I really did it for them!'], 'en');
			expectSentences(['¿Dónde está la biblioteca hoy?', '¡Está allí, al lado del parque!'], 'es');
			expectSentences(['Как дела у тебя сегодня, друг?', 'Всё хорошо, спасибо большое.'], 'ru');
			expectSentences(['안녕하세요, 만나서 반갑습니다.', '오늘 날씨가 정말 좋네요!'], 'ko');
		});

		it('does not end a German sentence at an ordinal', () => {
			expectSentences(['Er kam am 3. Oktober nach Hause zurück.', 'Dann ging er sofort ins Bett.'], 'de');
		});

		it('splits Chinese at 。！？； with no space needed, and re-joins without one', () => {
			const sentences = ['今天天气很好。', '我们去公园散步吧！', '你觉得怎么样？', '「好的。」', '走吧；', '出发！'];
			const parts = splitText(sentences.join(''), 'zh', 9);
			expect(parts).toEqual(['今天天气很好。', '我们去公园散步吧！', '你觉得怎么样？', '「好的。」走吧；', '出发！']);
			expect(parts.join('')).toBe(sentences.join(''));
		});

		it('splits Chinese at ASCII ! and ? too, and keeps a space after 。 as the gap', () => {
			expect(splitText('你好!我很好?谢谢', 'zh', 4)).toEqual(['你好!', '我很好?', '谢谢']);
			expect(splitText('第一句。 第二句。', 'zh', 4)).toEqual(['第一句。', '第二句。']);
		});

		it('splits Arabic at ؟ and ۔ and Hindi at । and ॥', () => {
			expectSentences(['كيف حالك اليوم يا صديقي؟', 'أنا بخير والحمد لله۔', 'شكرا جزيلا لك يا صديقي.'], 'ar');
			expectSentences(['आप आज कैसे हैं मेरे दोस्त?', 'मैं ठीक हूँ, धन्यवाद।', 'फिर मिलेंगे दोस्त॥'], 'hi');
		});
	});

	describe('sentences over the limit', () => {
		it('splits at clause punctuation first', () => {
			const text = 'First we went out, then we ate; after that: the park — and at last we slept.';
			const parts = splitText(text, 'en', 22);
			expect(parts).toEqual(['First we went out,', 'then we ate;', 'after that: the park —', 'and at last we slept.']);
			expect(parts.join(' ')).toBe(text);
		});

		it('splits at the Arabic comma and the full-width ，、', () => {
			expect(splitText('ذهبنا إلى السوق، ثم عدنا إلى البيت، ونمنا.', 'ar', 18)).toEqual(['ذهبنا إلى السوق،', 'ثم عدنا إلى البيت،', 'ونمنا.']);
			expect(splitText('我们去了市场，买了苹果、香蕉和橙子，然后回家了。', 'zh', 11)).toEqual(['我们去了市场，', '买了苹果、香蕉和橙子，', '然后回家了。']);
		});

		it('does not split numbers at their commas or colons', () => {
			const text = 'The sum was 1,000,000 at 12:30 and then 2,500,000 at 14:45 and it grew further.';
			const parts = splitText(text, 'en', 20);
			expectWellFormed(parts, text, 20);
			expect(parts.join(' ')).toBe(text);
			// Each part is whole words of the text: no "1," / "000,000" pieces.
			for (const part of parts) for (const word of part.split(' ')) expect(text.split(' ')).toContain(word);
		});

		it('splits a 600-character sentence with no punctuation at spaces', () => {
			const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
			let text = '';
			for (let i = 0; text.length < 600; i++) text += (text ? ' ' : '') + words[i % words.length];
			const parts = splitText(text, 'en');
			expectWellFormed(parts, text, 250);
			expect(parts.length).toBe(3);
			expect(parts.join(' ')).toBe(text);
			for (const part of parts) for (const word of part.split(' ')) expect(words).toContain(word);
		});

		it('splits 600 characters without spaces between characters, as a last resort', () => {
			const parts = splitText('a'.repeat(600), 'en');
			expect(parts.map((p) => p.length)).toEqual([250, 250, 100]);
			expect(parts.join('')).toBe('a'.repeat(600));
		});

		it('splits an unpunctuated Chinese run between words, not inside them', () => {
			const text = '我们今天去北京大学看看图书馆'.repeat(15);
			const parts = splitText(text, 'zh');
			expectWellFormed(parts, text, 82);
			expect(parts.join('')).toBe(text);
			const wordEnds = new Set([...new Intl.Segmenter('zh', { granularity: 'word' }).segment(text)].map((s) => s.index + s.segment.length));
			let end = 0;
			for (const part of parts) {
				end += part.length;
				expect(wordEnds.has(end)).toBe(true);
			}
		});

		it('never splits inside a grapheme cluster', () => {
			const thumb = '👍🏽'; // 4 UTF-16 code units, one character on screen
			const parts = splitText(thumb.repeat(10), 'en', 10);
			expect(parts).toEqual([thumb.repeat(2), thumb.repeat(2), thumb.repeat(2), thumb.repeat(2), thumb.repeat(2)]);
		});

		it('packs the pieces of a long sentence among themselves, keeping its neighbours whole', () => {
			const long = 'This part is long, and this part is long too, and so is this last one here.';
			const parts = splitText(`Short one. ${long} End.`, 'en', 40);
			expect(parts[0]).toBe('Short one.');
			expect(parts.at(-1)).toBe('End.');
			expect(parts.slice(1, -1).join(' ')).toBe(long);
		});
	});

	it('keeps its invariants on random text in every language', () => {
		// A small deterministic PRNG, so that a failure reproduces.
		let seed = 12345;
		const random = () => {
			seed = (seed * 1103515245 + 12345) % 2 ** 31;
			return seed / 2 ** 31;
		};
		const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
		const tokens = [
			'word',
			'Mr.',
			'e.g.',
			'3.14',
			'1,000',
			'U.S.',
			'end.',
			'why?',
			'wow!',
			'so,',
			'x;',
			'—',
			'...',
			'"quote."',
			'(aside.)',
			'你好。',
			'北京大学',
			'，',
			'مرحبا؟',
			'नमस्ते।',
			'a'.repeat(30),
			'\n',
			'  ',
		];
		for (const language of LANGUAGE_CODES) {
			for (let round = 0; round < 20; round++) {
				const text = Array.from({ length: 20 + Math.floor(random() * 120) }, () => pick(tokens) + pick([' ', ' ', '', '\n'])).join('');
				const limit = pick([LANGUAGE_CHAR_LIMITS[language], 40, 17]);
				const parts = splitText(text, language, limit);
				if (normalizeText(text)) expectWellFormed(parts, text, limit);
				else expect(parts).toEqual([]);
			}
		}
	});
});
