import type Keyv from 'keyv';
import type { Logger } from '../util/logger.js';

/**
 * How long the API takes, learned from the jobs that finished, so that a job is asked about just after it is
 * expected to be done instead of on a fixed grid (which notices a finished job half a cadence late on average and
 * asks about it several times before). The API's own created_at → completed_at is the job's time (queue and
 * processing, exact whatever the polls); it grows with the text's length, so per language the bot fits
 * time ≈ a + b × characters robustly (Theil–Sen: the median of pairwise slopes, then the median intercept), and
 * aims a little past the fit by the residuals' spread. Kept in the store, so that a restart doesn't forget it.
 *
 * The schedule that uses it (jobs/track.ts) never asks sooner than one cadence after the request was sent, and on the
 * cadence after that: that is never more requests than the fixed grid, and never two closer than the cadence.
 */

export interface PollTiming {
	/** When the job is expected to be done, in ms after it was sent; undefined: not enough history. */
	expectedMs(language: string, chars: number): number | undefined;
	/** A job of this language and length took `ms` at the API. */
	learn(language: string, chars: number, ms: number): void;
	/** Reads what was learned before (at start). */
	load(): Promise<void>;
	/** Writes what was learned (it is also written now and then by itself). */
	flush(): Promise<void>;
}

/** Samples kept per language (the most recent). */
const KEEP = 64;
/** Below this many samples of a language, its jobs are polled on the fixed grid. */
export const MIN_SAMPLES = 8;
const STORE_KEY = 'poll-timing:v1';
const SAVE_EVERY = 10;
/** Fitting 64 samples is ~2,000 pairwise slopes: redone after this many new samples, not after every job. */
const REFIT_EVERY = 4;

type Sample = [chars: number, ms: number];

const isSample = (value: unknown): value is Sample =>
	Array.isArray(value) && value.length === 2 && value.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);

const median = (values: number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = sorted.length >> 1;
	return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** time ≈ intercept + slope × chars, robust to a few jobs that took far longer (or shorter) than the rest. */
export function fitLine(samples: readonly Sample[]): { intercept: number; slope: number; spread: number } {
	const slopes: number[] = [];
	for (let i = 0; i < samples.length; i++) {
		for (let j = i + 1; j < samples.length; j++) {
			const [ci, mi] = samples[i] as Sample;
			const [cj, mj] = samples[j] as Sample;
			if (cj !== ci) slopes.push((mj - mi) / (cj - ci));
		}
	}
	const slope = slopes.length > 0 ? Math.max(0, median(slopes)) : 0;
	const intercept = median(samples.map(([chars, ms]) => ms - slope * chars));
	// The median absolute deviation of the residuals: how far a typical job is from the line.
	const spread = median(samples.map(([chars, ms]) => Math.abs(ms - (intercept + slope * chars))));
	return { intercept, slope, spread };
}

export function createPollTiming({ store, logger }: { store: Keyv; logger: Logger }): PollTiming {
	let samples = new Map<string, Sample[]>();
	/** Each language's fitted line, and how many samples it has not seen yet (refitted every few, not every job). */
	const fits = new Map<string, ReturnType<typeof fitLine> & { unseen: number }>();
	let unsaved = 0;
	const log = logger.child({ component: 'poll-timing' });

	const save = async () => {
		const pending = unsaved;
		await store.set(STORE_KEY, Object.fromEntries(samples));
		unsaved = Math.max(0, unsaved - pending);
	};

	return {
		expectedMs(language, chars) {
			const known = samples.get(language);
			if (!known || known.length < MIN_SAMPLES) return undefined;
			let line = fits.get(language);
			if (!line || line.unseen >= REFIT_EVERY) {
				line = { ...fitLine(known), unseen: 0 };
				fits.set(language, line);
			}
			// A little past the line: most jobs are done by then, and one that isn't is asked again a cadence later.
			return Math.max(0, line.intercept + line.slope * chars + line.spread + 250);
		},
		learn(language, chars, ms) {
			if (!Number.isFinite(ms) || ms < 0 || ms > 24 * 60 * 60 * 1000) return;
			const known = samples.get(language) ?? [];
			known.push([chars, ms]);
			if (known.length > KEEP) known.splice(0, known.length - KEEP);
			samples.set(language, known);
			const line = fits.get(language);
			if (line) line.unseen++;
			if (++unsaved >= SAVE_EVERY) void save().catch((error: unknown) => log.warn({ err: error }, 'could not keep the learned job times'));
		},
		async load() {
			const stored = (await store.get(STORE_KEY).catch(() => undefined)) as Record<string, Sample[]> | undefined;
			if (!stored || typeof stored !== 'object') return;
			samples = new Map(
				Object.entries(stored)
					.filter(([, list]) => Array.isArray(list))
					.map(([language, list]) => [language, list.filter(isSample).slice(-KEEP)]),
			);
			fits.clear();
		},
		async flush() {
			if (unsaved > 0) await save();
		},
	};
}
