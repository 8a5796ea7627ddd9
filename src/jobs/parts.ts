import { linkedSignal } from '../util/abort.js';
import { XttsError, type XttsStatus } from '../xtts/contract.js';
import { JobFailed, toFailure, type PartRef } from './failure.js';
import { partPhase, toCompleted, toPartMoved, toParts, toPartUnsent, type JobIn, type PartRecord } from './lifecycle.js';
import { sendRequest, type SubmitContext } from './submit.js';
import { follow, type FollowContext } from './track.js';

/**
 * A long text's parts, up to PARTS_IN_PARALLEL of them at the API at once. Each part counts against
 * MAX_JOBS_IN_FLIGHT and its server's cap like any job: the job's own slot carries one part, and every other part
 * at the API holds a slot of its own, taken only when one is free and nobody in line could use it (the line is
 * served first) and given back as soon as its part is done. So a long text never holds back a request waiting in
 * line for more than one part's time, and always goes on, one part at a time at worst.
 *
 * Each part has its own small life in the record (jobs/lifecycle.ts): `sending` is written before its request
 * leaves, so a crash never sends it twice (the job then fails as interrupted, naming the part); a part at the API
 * is followed again after a restart. The parts' audio is joined in the text's order, whatever order they finish in.
 */

/** More slots at the API, for more parts of one job at once. */
export interface PartSlots {
	/**
	 * One more slot, if one is free and nobody waiting in line could use it; false when there is none. `force`: taken
	 * whatever the limits, for a part already at the API (after a restart, or a takeover), so that it is counted.
	 */
	take(force?: boolean): Promise<boolean>;
	/** A slot taken by `take` is free again. */
	release(): Promise<void>;
}

export interface PartsContext extends SubmitContext {
	follow: Omit<FollowContext, 'xtts' | 'clock' | 'log' | 'timing'>;
	/** The learned job times; `schedule`: a part this run sends is first asked about when it is expected to be done. */
	timing?: { learner: NonNullable<FollowContext['timing']>['learner']; schedule: boolean } | undefined;
	/** PARTS_IN_PARALLEL. */
	inParallel: number;
	/** Without them (or when none is free), the parts go one at a time on the job's own slot. */
	slots?: PartSlots | undefined;
	/** Stopping: no new part is sent; the record keeps what is left for the next start. */
	shutdown: AbortSignal;
	/** Throws when the job is no longer this process's (asked before each part is sent). */
	ensureOurs(): Promise<void>;
}

export interface PartsDone {
	job: JobIn<'completed'>;
	/** The media URL of each part this run saw done, by part index (the others are asked for again). */
	mediaUrls: Map<number, string>;
}

export async function runParts(start: JobIn<'recorded' | 'waiting' | 'parts'>, context: PartsContext, signal: AbortSignal): Promise<PartsDone> {
	const { clock, log } = context;
	let job: JobIn<'parts'> = start.state === 'parts' ? start : await context.save(toParts(start, clock.now()));
	const total = job.parts.length;
	const refOf = (index: number): PartRef => ({ index, total });
	// Stopped while a part's request was on the wire: it may have been charged, and is never sent again.
	const sendingAtStart = job.parts.findIndex((part) => partPhase(part) === 'sending');
	if (sendingAtStart >= 0) throw new JobFailed({ kind: 'interrupted', part: refOf(sendingAtStart) });

	// The first part that fails ends the others: they are followed no more, and no new one is sent.
	const stop = linkedSignal(signal);
	const stopping = () => stop.signal.aborted || context.shutdown.aborted;
	let failed: { error: unknown } | undefined;
	const fail = (error: unknown, index: number) => {
		if (failed) return;
		failed = { error: named(error, refOf(index)) };
		stop.abort(failed.error);
	};

	// Parts move at once; their writes go one after the other, each from the record the one before left.
	let writes: Promise<unknown> = Promise.resolve();
	const write = (next: () => JobIn<'parts'>): Promise<JobIn<'parts'>> => {
		const written = writes.then(async () => {
			job = await context.save(next());
			return job;
		});
		writes = written.catch(() => undefined);
		return written;
	};
	const move = (index: number, fields: Omit<PartRecord, 'text'>) => write(() => toPartMoved(job, index, fields, clock.now()));

	let shown = '';
	/** Progress is shown without waiting for Discord: a part's slot is never held by a slow edit. */
	const report = () => {
		if (context.memberCancel.aborted) return;
		const processing = job.parts.some((part) => partPhase(part) === 'at-api' && part.status === 'PROCESSING');
		const done = job.parts.filter((part) => partPhase(part) === 'done').length;
		const key = `${processing}:${done}`;
		if (key === shown) return;
		shown = key;
		context.reporter
			.progress(job, { kind: processing ? 'processing' : 'queued' })
			.catch((error: unknown) => log.warn({ err: error }, 'could not show progress'));
	};

	const mediaUrls = new Map<number, string>();
	// Another part's failure, Cancel and a shutdown end this part's waits between attempts (a 429's), never a
	// request on the wire: an attempt refused like that created no job.
	const sendContext = { ...context, memberCancel: stop.signal };

	async function send(index: number): Promise<void> {
		await context.ensureOurs();
		if (context.admissions.balancePaused) throw new JobFailed({ kind: 'balance' });
		const nothingAtApi = !job.parts.some((part) => partPhase(part) === 'at-api');
		// Written just before the request leaves, unless the run is stopping meanwhile: the part then stays pending.
		await write(() => {
			if (stopping()) throw stop.signal.reason ?? context.shutdown.reason;
			return toPartMoved(job, index, { sending: true }, clock.now());
		});
		const text = job.parts[index]?.text ?? '';
		let accepted: Awaited<ReturnType<typeof sendRequest>>;
		try {
			// "Sending" is shown only while nothing else of the job is at the API: otherwise its reply says more.
			accepted = await sendRequest(job, text, sendContext, nothingAtApi ? job : undefined);
		} catch (error) {
			// Stopped in a wait between attempts: nothing is on the wire, and the part can be sent by a later run.
			if (error === stop.signal.reason && !context.hardStop.aborted) await write(() => toPartUnsent(job, index, clock.now()));
			throw error;
		}
		log.info({ requestId: accepted.requestId, part: index + 1, of: total }, 'part submitted');
		await move(index, { ...accepted });
		report();
	}

	async function followPart(index: number, justSent: boolean): Promise<void> {
		const part = job.parts[index];
		if (!part?.requestId) throw new Error(`part ${index + 1} has no request`);
		const request = {
			requestId: part.requestId,
			pollingUrl: part.pollingUrl,
			submittedAt: part.submittedAt ?? clock.now(),
			status: part.status ?? 'QUEUED',
			language: job.request.language,
			chars: part.text.length,
			part: refOf(index),
		};
		const timing = context.timing ? { learner: context.timing.learner, schedule: context.timing.schedule && justSent } : undefined;
		const moved = async (status: XttsStatus) => {
			await move(index, { status });
			report();
		};
		const final = await follow(request, { ...context.follow, xtts: context.xtts, clock, log, timing }, moved, stop.signal);
		const url = final.mediaUrls[0];
		if (url) mediaUrls.set(index, url);
		await move(index, { status: 'COMPLETED' });
		report();
	}

	const running = new Map<number, Promise<void>>();
	const launch = (index: number, sendFirst: boolean) => {
		const task = (sendFirst ? send(index).then(() => followPart(index, true)) : followPart(index, false))
			.catch((error: unknown) => fail(error, index))
			.finally(() => running.delete(index));
		running.set(index, task);
	};

	/** Slots this run holds: the job's own, and the extra ones taken for more parts. */
	let held = 1;
	/** An extra slot is a bonus: one that can't be had (none free, or the store failing) only means one part less at once. */
	const takeSlot = async (force = false) => {
		try {
			if (!context.slots || !(await context.slots.take(force))) return false;
		} catch (error) {
			log.warn({ err: error }, 'could not take a slot at the API for another part; the parts go on with the slots they have');
			return false;
		}
		held++;
		return true;
	};
	const giveBack = async (keep: number) => {
		while (held > keep) {
			held--;
			await context.slots?.release().catch((error: unknown) => log.warn({ err: error }, 'could not give back a slot at the API'));
		}
	};

	const pending = job.parts.flatMap((part, index) => (partPhase(part) === 'pending' ? [index] : []));
	try {
		// Parts already at the API (after a restart, or a takeover) are followed again, and counted: each gets a slot
		// whatever the limits, since it is there.
		for (const [index, part] of job.parts.entries()) {
			if (partPhase(part) !== 'at-api' || stopping()) continue;
			if (running.size >= held) await takeSlot(true);
			launch(index, false);
		}
		for (;;) {
			while (pending.length > 0 && running.size < context.inParallel && !stopping()) {
				// No slot free: a part done (maybe while asking) gives its slot to the next.
				if (running.size >= held && !(await takeSlot()) && running.size >= held) break;
				if (stopping()) break;
				launch(pending.shift() as number, true);
			}
			if (running.size === 0 && (pending.length === 0 || stopping())) break;
			if (running.size === 0) continue;
			await Promise.race(running.values());
			// A slot no part uses goes back at once: those in line come first, and the next part asks again.
			await giveBack(Math.max(1, running.size));
		}
	} catch (error) {
		// Whatever ended the loop ends the parts too, instead of following them to their end for nothing.
		stop.abort(error);
		throw error;
	} finally {
		await Promise.allSettled(running.values());
		await giveBack(1);
		stop.dispose();
	}
	if (failed) throw failed.error;
	if (signal.aborted) throw signal.reason;
	if (context.shutdown.aborted) throw context.shutdown.reason;
	await writes;
	return { job: await context.save(toCompleted(job, clock.now())), mediaUrls };
}

/** A part's failure names the part (an API error, a timeout…); anything else (a lost lock, a stop) is passed on as it is. */
function named(error: unknown, part: PartRef): unknown {
	if (error instanceof JobFailed) return error.failure.part ? error : new JobFailed({ ...error.failure, part });
	if (error instanceof XttsError) return new JobFailed({ ...toFailure(error), part });
	return error;
}
