/** Time, passed in so tests can drive it with fake timers. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface Clock {
	now(): number;
	sleep: Sleep;
}

/**
 * Waits on the global setTimeout (not timers/promises), so vitest's fake timers control it.
 * Rejects with the signal's reason when aborted.
 */
export const abortableSleep: Sleep = (ms, signal) =>
	new Promise<void>((resolve, reject) => {
		if (signal?.aborted) {
			reject(signal.reason);
			return;
		}
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal?.reason);
		};
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		signal?.addEventListener('abort', onAbort, { once: true });
	});

export const systemClock: Clock = { now: () => Date.now(), sleep: abortableSleep };
