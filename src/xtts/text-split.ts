import type { LanguageCode } from './languages.js';

/**
 * Splits a long text into parts the XTTS model speaks well: whole sentences, packed greedily, each
 * within the language's character limit. XTTS v2's tokenizer warns ("The text length exceeds the
 * character limit of N for language X, this might cause truncated audio") beyond these lengths and the
 * speech then tends to be cut off or garbled, so a longer text is sent as several requests and the
 * audio joined afterwards (see audio-join.ts).
 */

/**
 * XTTS v2's own limits (`char_limits` in TTS/tts/layers/xtts/tokenizer.py).
 *
 * Hindi has no entry there (the tokenizer falls back to 250 with a warning), yet Devanagari spends
 * several code points per spoken syllable (consonant + vowel sign, virama conjuncts), like Arabic's
 * vowel marks. So it gets the most conservative limit among the alphabetic scripts: Arabic's 166,
 * below Russian (182) and Czech (186). Only Chinese and Korean are lower, and those are per ideograph
 * / syllable block, which a Devanagari character is not.
 */
export const LANGUAGE_CHAR_LIMITS: Record<LanguageCode, number> = {
	en: 250,
	de: 253,
	fr: 273,
	es: 239,
	it: 213,
	pt: 203,
	pl: 224,
	tr: 226,
	ru: 182,
	nl: 251,
	cs: 186,
	ar: 166,
	zh: 82,
	hu: 224,
	ko: 95,
	// XTTS gives no figure for Hindi. Its neighbours here in kind, the languages written with letters (not
	// syllable blocks or ideographs, whose every character carries far more speech), allow 166 at the least.
	hi: 166,
};

/** The API's own cap on a request's text, whatever `maxChars` says. */
export const MAX_PART_CHARS = 500;

/**
 * The text as splitText sees it: NFC (fewer code points for composed Hangul / Devanagari), every run
 * of whitespace (newlines, tabs, the ideographic space) made one space, trimmed. No-break spaces are
 * kept as they are: they are there precisely so that nothing is split at them.
 */
export function normalizeText(text: string): string {
	return text
		.normalize('NFC')
		.replace(/[^\S\u00a0\u2007\u202f]+/gu, ' ')
		.trim();
}

/**
 * The normalized text in parts, each at most `maxChars` (and MAX_PART_CHARS) UTF-16 code units long
 * (XTTS counts code points; code units are never fewer, so this errs on the safe side). A blank text
 * gives no parts.
 *
 * - Whole sentences are packed greedily into parts.
 * - A sentence over the limit is split at clause punctuation, then at spaces, then (only in a run with
 *   no spaces, such as Chinese) between words as Intl.Segmenter finds them, and at last between
 *   characters (grapheme clusters, never inside one). Each level's pieces are packed greedily too,
 *   never across the boundaries of the sentence they came from.
 *
 * Re-joining, for display or tests: every boundary either replaces exactly one space of the normalized
 * text or falls between two non-space characters (after 。！？, or inside a space-less run). So
 * `parts.join(' ')` is the normalized text for space-separated scripts and `parts.join('')` for Chinese
 * written without spaces; in mixed text a boundary stands for a space exactly where the normalized
 * text has one there. Callers that speak the parts never need to re-join them.
 */
export function splitText(text: string, language: LanguageCode, maxChars: number = LANGUAGE_CHAR_LIMITS[language]): string[] {
	if (!Number.isFinite(maxChars) || maxChars < 1) throw new RangeError(`maxChars must be a number ≥ 1, got ${maxChars}`);
	const limit = Math.min(Math.floor(maxChars), MAX_PART_CHARS);
	const normalized = normalizeText(text);
	if (!normalized) return [];
	return splitLevel(normalized, limit, 0, language).map((piece) => piece.text);
}

/** A piece of the normalized text, and what stood between it and the previous piece. */
interface Piece {
	text: string;
	gap: '' | ' ';
}

type Splitter = (text: string, language: LanguageCode) => Piece[];

/** From the most to the least natural place to break a text. */
const LEVELS: readonly Splitter[] = [sentences, clauses, spaces, segmenterWords, graphemes];

function splitLevel(text: string, limit: number, level: number, language: LanguageCode): Piece[] {
	const splitter = LEVELS[level];
	// A single grapheme longer than the limit (only possible with an absurdly small maxChars) stays whole.
	if (text.length <= limit || !splitter) return [{ text, gap: '' }];
	const out: Piece[] = [];
	let current: Piece | undefined;
	for (const unit of splitter(text, language)) {
		if (unit.text.length > limit) {
			// Its pieces are packed among themselves, so that the parts around it stay whole units.
			if (current) out.push(current);
			current = undefined;
			const [head, ...tail] = splitLevel(unit.text, limit, level + 1, language);
			if (head) out.push({ ...head, gap: unit.gap }, ...tail);
		} else if (current && current.text.length + unit.gap.length + unit.text.length <= limit) {
			current.text += unit.gap + unit.text;
		} else {
			if (current) out.push(current);
			current = { ...unit };
		}
	}
	if (current) out.push(current);
	return out;
}

/** Cuts `text` after each of the given end offsets; a space right after a cut becomes the next piece's gap. */
function cutAt(text: string, ends: number[]): Piece[] {
	const pieces: Piece[] = [];
	let start = 0;
	let gap: Piece['gap'] = '';
	for (const end of ends) {
		if (end <= start || end >= text.length) continue;
		pieces.push({ text: text.slice(start, end), gap });
		if (text[end] === ' ') {
			gap = ' ';
			start = end + 1;
		} else {
			gap = '';
			start = end;
		}
	}
	if (start < text.length) pieces.push({ text: text.slice(start), gap });
	return pieces;
}

/** Closing quotes and brackets that belong to the sentence or clause they follow. */
const CLOSERS = `"'”’»›)\\]}」』）】〕》〉`;
/** Opening quotes and brackets skipped when looking at how the next sentence starts. */
const OPENERS = `"'“‘„«‹([{¿¡「『（【〔《〈`;

/**
 * Sentence ends: a run of . ! ? … (and their Arabic, Urdu and Devanagari kin) followed by a space, or
 * a run of full-width CJK enders (。！？；．｡), which need no space after them.
 */
const SENTENCE_END = new RegExp(`(?:([.!?…‼⁇⁈⁉؟۔।॥]+)|([。！？；．｡]+))[${CLOSERS}]*`, 'gu');
/** French sets its closing guillemet apart: « Très bien. » (elsewhere » may open a quote, as in German). */
const FRENCH_CLOSER = /^[ \u00a0\u202f][»›](?=[ ]|$)/u;
/** A Han, kana or Hangul character: CJK text needs no space after an ASCII full stop either. */
const CJK_CHAR = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}]/u;

/**
 * Words followed by a full stop that rarely end a sentence: titles before a name, Latin and other
 * short forms, across the supported languages (lowercase, without the dot). Single letters
 * (initials: "J. R. R. Tolkien") and dotted forms (e.g., i.e., U.S., z.B., т.д.) are caught by shape.
 */
// biome-ignore format: a word list, kept a line per language
const ABBREVIATIONS = new Set([
	// English (not words that often end a sentence themselves: "no", "me", "pan", "est", "mar", "rep")
	'mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'ft', 'vs', 'cf', 'al', 'approx', 'ca', 'vol', 'fig', 'figs',
	'gen', 'gov', 'sen', 'rev', 'hon', 'col', 'lt', 'sgt', 'capt', 'cmdr', 'adm', 'maj', 'pres', 'dept', 'ave', 'blvd', 'rd', 'inc',
	'ltd', 'co', 'corp', 'jan', 'feb', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'pp', 'pt', 'ch',
	// German, Dutch
	'bzw', 'ggf', 'evtl', 'vgl', 'nr', 'hr', 'fr', 'frl', 'str', 'bsp', 'inkl', 'zzgl', 'dhr', 'mevr', 'mw', 'blz',
	// French, Spanish, Portuguese, Italian
	'mme', 'mlle', 'sra', 'srta', 'dra', 'sres', 'ud', 'uds', 'dña', 'sig', 'sigg', 'dott', 'ing', 'avv', 'pag',
	// Polish, Czech, Hungarian, Turkish, Russian
	'np', 'ul', 'tzw', 'mgr', 'tel', 'př', 'tj', 'atd', 'kb', 'pl', 'bkz', 'vb', 'ул', 'гг', 'им', 'тел', 'др',
]);
/** Abbreviations that often do end a sentence: a boundary when the next word starts with a capital. */
const SENTENCE_FINAL_ABBREVIATIONS = new Set(['etc', 'usw', 'ecc', 'itd', 'stb', 'т.д', 'т.п']);
/** Languages that write ordinals as "3." ("am 3. Oktober"): a number and its dot don't end a sentence. */
const ORDINAL_DOT_LANGUAGES = new Set<LanguageCode>(['de', 'cs', 'pl', 'hu', 'tr']);

function sentences(text: string, language: LanguageCode): Piece[] {
	const ends: number[] = [];
	for (const match of text.matchAll(SENTENCE_END)) {
		let end = match.index + match[0].length;
		if (language === 'fr') end += FRENCH_CLOSER.exec(text.slice(end, end + 3))?.[0].length ?? 0;
		if (end >= text.length) break;
		const next = text[end] ?? '';
		if (match[2] !== undefined) {
			ends.push(end); // 。！？ end a sentence whatever follows
			continue;
		}
		if (next === ' ') {
			if (endsSentence(text, match.index, match[1] ?? '', end + 1, language)) ends.push(end);
		} else if (CJK_CHAR.test(next) && match[1] !== '.') {
			ends.push(end); // "你好!我很好": Chinese often uses ASCII ! and ? with no space after
		}
	}
	return cutAt(text, ends);
}

/** Whether the terminator run at `at` (followed by a space, the next sentence at `nextStart`) ends a sentence. */
function endsSentence(text: string, at: number, terminators: string, nextStart: number, language: LanguageCode): boolean {
	const next = text.slice(nextStart).replace(new RegExp(`^[${OPENERS}]+`, 'u'), '');
	// "… and then... she left", "'Why?' she asked", "e.g. the": a lowercase word goes on the same sentence.
	if (/^\p{Ll}/u.test(next)) return false;
	if (terminators !== '.') return true;
	const wordStart = text.lastIndexOf(' ', at - 1) + 1;
	const word = text.slice(wordStart, at).replace(new RegExp(`^[${OPENERS}]+`, 'u'), '');
	const lower = word.toLowerCase();
	if (SENTENCE_FINAL_ABBREVIATIONS.has(lower)) return /^\p{Lu}/u.test(next) || next === '';
	if (ABBREVIATIONS.has(lower)) return false;
	if (/^(?:\p{L}\.)*\p{L}$/u.test(word)) return false; // J. / e.g. / U.S. / z.B.
	if (ORDINAL_DOT_LANGUAGES.has(language) && /^\d{1,2}$/.test(word) && /^\p{L}/u.test(next)) return false;
	return true;
}

/**
 * Clause ends inside a sentence: , ; : — – and the Arabic comma and semicolon when a space follows
 * (so "1,000" and "12:30" stay whole), and the full-width 、，；： which need none.
 */
const CLAUSE_END = new RegExp(`(?:([,;:—–،؛]+)|([、，；：]+))[${CLOSERS}]*`, 'gu');

function clauses(text: string): Piece[] {
	const ends: number[] = [];
	for (const match of text.matchAll(CLAUSE_END)) {
		const end = match.index + match[0].length;
		if (match[2] !== undefined || text[end] === ' ') ends.push(end);
	}
	return cutAt(text, ends);
}

function spaces(text: string): Piece[] {
	return text.split(' ').map((word, i) => ({ text: word, gap: i === 0 ? '' : ' ' }));
}

/**
 * A run with no spaces (Chinese, or one very long "word"): cut between the words ICU's dictionary
 * finds, punctuation staying with the word before it.
 */
function segmenterWords(text: string, language: LanguageCode): Piece[] {
	const pieces: Piece[] = [];
	for (const { segment, isWordLike } of new Intl.Segmenter(language, { granularity: 'word' }).segment(text)) {
		const last = pieces.at(-1);
		if (last && !isWordLike) last.text += segment;
		else pieces.push({ text: segment, gap: '' });
	}
	return pieces;
}

function graphemes(text: string): Piece[] {
	return Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text), ({ segment }) => ({ text: segment, gap: '' }));
}
