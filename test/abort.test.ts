import { getEventListeners } from 'node:events';
import { expect, it } from 'vitest';
import { linkedSignal } from '../src/util/abort.js';

/** The runner's per-job signals: linked to process-long ones without staying attached to them. */

it('aborts with the first source that aborts, and its reason', () => {
	const shutdown = new AbortController();
	const cancel = new AbortController();
	const linked = linkedSignal(shutdown.signal, cancel.signal);
	cancel.abort('member');
	expect(linked.signal.aborted).toBe(true);
	expect(linked.signal.reason).toBe('member');
	// Done with: nothing is left on the long-lived source.
	expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
});

it('lets go of its sources on dispose, however many jobs came and went', () => {
	const shutdown = new AbortController();
	for (let job = 0; job < 1_000; job++) linkedSignal(shutdown.signal, new AbortController().signal).dispose();
	expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
	const live = linkedSignal(shutdown.signal);
	expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(1);
	shutdown.abort(new Error('stopping'));
	expect(live.signal.aborted).toBe(true);
});

it('is aborted at once when a source already is; abort() ends it by hand', () => {
	expect(linkedSignal(AbortSignal.abort('done')).signal.reason).toBe('done');
	const source = new AbortController();
	const linked = linkedSignal(source.signal);
	linked.abort('woken');
	expect(linked.signal.reason).toBe('woken');
	expect(getEventListeners(source.signal, 'abort')).toHaveLength(0);
	expect(source.signal.aborted).toBe(false);
});
