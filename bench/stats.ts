import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Trace } from './rig.js';

export interface Summary {
	count: number;
	p50: number;
	p99: number;
	max: number;
}

/** Nearest-rank percentiles (with few samples, p99 is the maximum). */
export function summarize(values: readonly number[]): Summary {
	const sorted = [...values].sort((a, b) => a - b);
	const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
	return { count: sorted.length, p50: rank(50), p99: rank(99), max: sorted.at(-1) ?? Number.NaN };
}

/** Requests that did not end in exactly one audio upload. */
export function lostOf(traces: readonly Trace[]): number {
	return traces.filter((trace) => trace.uploads.length !== 1).length;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const MB = 1024 * 1024;

/**
 * Samples this process while a scenario runs: peak RSS and heap, and the event loop's lateness
 * (monitorEventLoopDelay measures each 10 ms tick; the tick itself is subtracted).
 */
export function startMonitor(extra: () => number = () => 0) {
	const resolutionMs = 10;
	const eld = monitorEventLoopDelay({ resolution: resolutionMs });
	eld.enable();
	let peakRss = 0;
	let peakHeap = 0;
	let peakExtra = 0;
	const sample = () => {
		const usage = process.memoryUsage();
		peakRss = Math.max(peakRss, usage.rss);
		peakHeap = Math.max(peakHeap, usage.heapUsed);
		peakExtra = Math.max(peakExtra, extra());
	};
	sample();
	const timer = setInterval(sample, 50);
	return {
		stop() {
			clearInterval(timer);
			eld.disable();
			sample();
			const late = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);
			return {
				peakRssMB: peakRss / MB,
				peakHeapMB: peakHeap / MB,
				peakExtra,
				eventLoopDelayMs: { p50: late(eld.percentile(50)), p99: late(eld.percentile(99)), max: late(eld.max) },
			};
		},
	};
}

/** A full garbage collection, so that memory deltas start from what is really held. */
export const collectGarbage: () => void = (() => {
	setFlagsFromString('--expose-gc');
	return runInNewContext('gc') as () => void;
})();
