import { randomBytes } from 'node:crypto';
import { createJobStore, type JobStore } from '../store/job-store.js';
import type { Stores } from '../store/stores.js';
import { LANGUAGE_CHAR_LIMITS, splitText } from '../xtts/text-split.js';
import { FAILURE_KINDS, type FailureKind } from './failure.js';
import { isUnfinished, JOB_RECORD_VERSION, type JobCommon, type JobIn, type JobRecord, type PartRecord, type XttsRequest } from './lifecycle.js';

/** A new job, and the records of earlier versions of the bot read as today's. */

export type JobRecords = JobStore<JobRecord>;

export function createJobRecords(stores: Pick<Stores, 'jobs' | 'activeJobs'>, { onSaved }: { onSaved?: (job: JobRecord) => void } = {}): JobRecords {
	const store = createJobStore<JobRecord>({ records: stores.jobs, active: stores.activeJobs, isUnfinished: (job) => isUnfinished(job), read: readJobRecord });
	if (!onSaved) return store;
	// Every move of every job is a save: what metrics count.
	return {
		...store,
		async save(job) {
			await store.save(job);
			try {
				onSaved(job);
			} catch {
				// Counting is never a reason for a written record to report failure.
			}
		},
	};
}

/** Short enough to read out to a host, long enough never to collide. */
export function newJobId(): string {
	return randomBytes(9).toString('base64url');
}

export type NewJob = Omit<JobCommon, 'v' | 'id' | 'updatedAt' | 'parts'> & { id?: string };

/**
 * A request accepted, nothing spent. A text over the model's limit for its language (XTTS truncates or garbles
 * beyond it) becomes parts within that limit, at sentence boundaries.
 */
export function recordJob(input: NewJob): JobIn<'recorded'> {
	const { text, language } = input.request;
	const parts = text.length > LANGUAGE_CHAR_LIMITS[language] ? splitText(text, language) : [];
	return {
		...input,
		v: JOB_RECORD_VERSION,
		id: input.id ?? newJobId(),
		state: 'recorded',
		updatedAt: input.createdAt,
		...(parts.length > 1 ? { parts: parts.map((part) => ({ text: part })) } : {}),
	};
}

/** The first version's record (until the state machine): `delivering` for completed, cancellations as failures. */
interface RecordV1 extends Omit<JobCommon, 'v'> {
	v: 1;
	state: 'recorded' | 'submitting' | 'submitted' | 'delivering' | 'delivered' | 'failed';
	xtts?: Omit<XttsRequest, 'submittedAt'> & { submittedAt?: number };
	partIndex?: number;
	outcome?:
		| { kind: 'delivered'; messageId?: string; via: 'reply' | 'channel'; voiceMessageId?: string }
		| { kind: 'failed'; reason: string; delivered: boolean };
}

/**
 * The second version's record (the state machine, a long text's parts sent one after the other): `partIndex` the
 * part being worked on, `part-done` between two parts.
 */
type RecordV2 = Omit<JobCommon, 'v'> & { v: 2; partIndex: number } & (
		| { state: Exclude<JobRecord['state'], 'parts'>; xtts?: XttsRequest; [field: string]: unknown }
		| { state: 'part-done'; xtts: XttsRequest }
	);

/** A stored record as today's, or undefined for something that is no job record. */
export function readJobRecord(value: unknown): JobRecord | undefined {
	const raw = value as { v?: unknown } | undefined;
	if (raw?.v === JOB_RECORD_VERSION) return raw as JobRecord;
	if (raw?.v === 2) return upgradeV2(raw as RecordV2);
	if (raw?.v === 1) return upgradeV2(upgradeV1(raw as RecordV1));
	return undefined;
}

/** A long text's record as parts with lives of their own: those before `partIndex` done, that one where it was. */
function upgradeV2(old: RecordV2): JobRecord {
	const { v: _v, partIndex, ...rest } = old;
	const common = { ...rest, v: JOB_RECORD_VERSION };
	const { parts } = old;
	const state = old.state;
	const sequentialParts = parts && (partIndex > 0 || state === 'submitting' || state === 'submitted' || state === 'part-done');
	if (!parts || !sequentialParts || !['recorded', 'waiting', 'submitting', 'submitted', 'part-done'].includes(state)) {
		return common as JobRecord;
	}
	const { xtts, ...withoutXtts } = common as typeof common & { xtts?: XttsRequest };
	const moved = parts.map((part, index): PartRecord => {
		if (index < partIndex || (index === partIndex && state === 'part-done')) return { ...part, status: 'COMPLETED' };
		if (index !== partIndex) return { text: part.text };
		// Stopped while its request was on the wire: it may have been charged, so the job fails as interrupted.
		if (state === 'submitting') return { text: part.text, sending: true };
		if (state === 'submitted' && xtts) {
			return {
				text: part.text,
				requestId: xtts.requestId,
				submittedAt: xtts.submittedAt,
				status: xtts.status,
				...(xtts.pollingUrl ? { pollingUrl: xtts.pollingUrl } : {}),
			};
		}
		return { text: part.text };
	});
	return { ...withoutXtts, state: 'parts', parts: moved } as JobRecord;
}

function upgradeV1(old: RecordV1): RecordV2 {
	const { v: _v, state, xtts: oldXtts, partIndex, outcome, ...rest } = old;
	const common = { ...rest, v: 2 as const, partIndex: partIndex ?? 0 };
	const xtts = oldXtts ? { ...oldXtts, submittedAt: oldXtts.submittedAt ?? old.createdAt } : undefined;
	switch (state) {
		case 'recorded':
			return { ...common, state: 'recorded' };
		case 'submitting':
			return { ...common, state: 'submitting' };
		case 'submitted':
		case 'delivering': {
			// A request id lost is a request that may have been charged: never sent again (fails as interrupted).
			if (!xtts) return { ...common, state: 'submitting' };
			if (state === 'submitted') return { ...common, state: 'submitted', xtts };
			// The first version wrote `delivering` after every part, then `recorded` for the next: stopped between
			// the two, a long text has parts still to send.
			const partsLeft = common.parts !== undefined && common.partIndex < common.parts.length - 1;
			return { ...common, state: partsLeft ? 'part-done' : 'completed', xtts };
		}
		case 'delivered': {
			const delivered = outcome?.kind === 'delivered' ? outcome : { via: 'reply' as const };
			const { kind: _kind, ...to } = { kind: 'delivered', ...delivered };
			return xtts ? { ...common, state: 'delivered', xtts, delivered: to } : { ...common, state: 'undeliverable' };
		}
		case 'failed': {
			const reason = outcome?.kind === 'failed' ? outcome.reason : 'internal';
			const withXtts = xtts ? { xtts } : {};
			if (reason === 'cancelled') return { ...common, ...withXtts, state: 'cancelled', reachedApi: xtts !== undefined };
			if (reason === 'undeliverable') return { ...common, ...withXtts, state: 'undeliverable' };
			const kind: FailureKind = (FAILURE_KINDS as readonly string[]).includes(reason) ? (reason as FailureKind) : 'internal';
			return { ...common, ...withXtts, state: 'failed', failure: { kind }, told: outcome?.kind === 'failed' && outcome.delivered };
		}
	}
}
