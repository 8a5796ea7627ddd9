/**
 * A signal that aborts when any of `signals` does, or when abort() is called; dispose() lets go of `signals`.
 *
 * Why not AbortSignal.any: each call leaves a reference in every source signal for as long as that source
 * lives (seen on Node 20), and the runner's sources (its shutdown signal) live as long as the process: a job
 * a few hundred bytes, for ever. Here the links are plain listeners, removed when the job is done.
 */
export interface LinkedSignal {
	readonly signal: AbortSignal;
	abort(reason?: unknown): void;
	dispose(): void;
}

export function linkedSignal(...signals: AbortSignal[]): LinkedSignal {
	const controller = new AbortController();
	const onAbort = (event: Event) => abort((event.target as AbortSignal).reason);
	function dispose(): void {
		for (const signal of signals) signal.removeEventListener('abort', onAbort);
	}
	function abort(reason?: unknown): void {
		dispose();
		if (!controller.signal.aborted) controller.abort(reason);
	}
	const already = signals.find((signal) => signal.aborted);
	if (already) abort(already.reason);
	else for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
	return { signal: controller.signal, abort, dispose };
}
