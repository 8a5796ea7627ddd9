import type { JobRecord } from './lifecycle.js';
import type { JobReporter } from './ports.js';

/**
 * The slots at the API (MAX_JOBS_IN_FLIGHT) and the line of jobs waiting for one, first come first served.
 * Members in line see their place: a newcomer at once, the others at a calmer pace as they move up.
 */

export interface Line {
	/** Jobs holding a slot at the API (what MAX_JOBS_IN_FLIGHT caps). */
	readonly atApi: number;
	/** Jobs waiting for a slot. */
	readonly length: number;
	/** Whether a new job may take a slot now without passing anyone in line. */
	readonly open: boolean;
	takeSlot(): void;
	releaseSlot(): void;
	/** Joins the line at its end and tells the member their place. */
	join(job: JobRecord): void;
	/** Leaves the line (Cancel); the job, if it was there. */
	leave(jobId: string): JobRecord | undefined;
	/** The first job in line, when a slot is free. */
	next(): JobRecord | undefined;
	stop(): void;
}

export const LINE_REFRESH_MS = 5_000;

export function createLine({ maxAtApi, reporter }: { maxAtApi: number; reporter: Pick<JobReporter, 'progress'> }): Line {
	const waiting: JobRecord[] = [];
	const shownPosition = new Map<string, number>();
	let atApi = 0;
	let stopped = false;
	let refreshTimer: ReturnType<typeof setTimeout> | undefined;

	/** Tells waiting members their new place in line, at most every few seconds and only when it changed. */
	function refreshLater(): void {
		if (refreshTimer || waiting.length === 0 || stopped) return;
		refreshTimer = setTimeout(() => {
			refreshTimer = undefined;
			waiting.forEach((job, index) => {
				const position = index + 1;
				if (shownPosition.get(job.id) === position) return;
				// Far back in a long line, only round positions are worth an edit.
				if (position > 20 && position % 10 !== 0) return;
				shownPosition.set(job.id, position);
				void reporter.progress(job, { kind: 'waiting', position });
			});
		}, LINE_REFRESH_MS);
		refreshTimer.unref();
	}

	return {
		get atApi() {
			return atApi;
		},
		get length() {
			return waiting.length;
		},
		get open() {
			return atApi < maxAtApi && waiting.length === 0;
		},
		takeSlot() {
			atApi++;
		},
		releaseSlot() {
			atApi--;
		},
		join(job) {
			waiting.push(job);
			shownPosition.set(job.id, waiting.length);
			void reporter.progress(job, { kind: 'waiting', position: waiting.length });
		},
		leave(jobId) {
			const at = waiting.findIndex((job) => job.id === jobId);
			if (at < 0) return undefined;
			const [job] = waiting.splice(at, 1);
			shownPosition.delete(jobId);
			refreshLater();
			return job;
		},
		next() {
			if (stopped || atApi >= maxAtApi) {
				refreshLater();
				return undefined;
			}
			const job = waiting.shift();
			if (job) shownPosition.delete(job.id);
			else refreshLater();
			return job;
		},
		stop() {
			stopped = true;
			if (refreshTimer) clearTimeout(refreshTimer);
		},
	};
}
