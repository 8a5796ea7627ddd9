import { describe, expect, it } from 'vitest';
import { AudioJoinError } from '../src/audio/join.js';
import { failureMessage } from '../src/discord/presenter.js';
import { REPLY_LANGUAGES } from '../src/i18n/index.js';
import { FAILURE_KINDS, JobFailed, toFailure, type Failure } from '../src/jobs/failure.js';
import { settleFailure } from '../src/jobs/settle.js';
import { systemClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/logger.js';
import {
	IllegalTransitionError,
	isUnfinished,
	JOB_STATES,
	TRANSITIONS,
	toAllowed,
	toAwaitingConsent,
	toCancelled,
	toCompleted,
	toDenied,
	toExpired,
	toDelivered,
	toFailed,
	toPartMoved,
	toParts,
	toStatus,
	toSubmitted,
	toSubmitting,
	toUndeliverable,
	toWaiting,
	type JobRecord,
	type JobState,
	type PartRecord,
} from '../src/jobs/lifecycle.js';
import { readJobRecord, recordJob } from '../src/jobs/records.js';
import { XttsError } from '../src/xtts/contract.js';
import { jobRecord } from './helpers/jobs.js';

const AT = 1_700_000_000_000;
const XTTS = { requestId: 'req-9', status: 'QUEUED' as const, submittedAt: AT };
const longJob = (state: JobState, parts: PartRecord[] = [{ text: 'one.' }, { text: 'two.' }, { text: 'three.' }]) =>
	({ ...jobRecord({ state }), parts }) as JobRecord;
const DONE = (text: string, requestId: string): PartRecord => ({ text, requestId, submittedAt: AT, status: 'COMPLETED' });

/** Each target state's named move, called with whatever record it is given (the table decides). */
const ASK = { ownerId: '6', channelId: '4', locale: 'en-US', expiresAt: AT + 600_000 };
const MOVES: Record<JobState, (job: JobRecord) => JobRecord> = {
	recorded: (job) => toAllowed(job as never, AT),
	'awaiting-consent': (job) => toAwaitingConsent(job as never, ASK, AT),
	denied: (job) => toDenied(job as never, AT),
	expired: (job) => toExpired(job as never, AT),
	waiting: (job) => toWaiting(job as never, AT),
	submitting: (job) => toSubmitting(job as never, AT),
	submitted: (job) => (job.state === 'submitted' ? toStatus(job, 'PROCESSING', AT) : toSubmitted(job as never, XTTS, AT)),
	parts: (job) => (job.state === 'parts' ? toPartMoved(job, 0, { sending: true }, AT) : toParts(job as never, AT)),
	completed: (job) => toCompleted(job as never, AT),
	delivered: (job) => toDelivered(job as never, { via: 'reply', messageId: '7' }, AT),
	failed: (job) => toFailed(job, { kind: 'timeout' }, true, AT),
	cancelled: (job) => toCancelled(job, AT),
	undeliverable: (job) => toUndeliverable(job as never, AT),
};

describe('job lifecycle', () => {
	const allowed = JOB_STATES.flatMap((from) => TRANSITIONS[from].map((to) => [from, to] as const));
	const forbidden = JOB_STATES.flatMap((from) => JOB_STATES.filter((to) => !TRANSITIONS[from].includes(to)).map((to) => [from, to] as const));

	it('has the documented table: 29 allowed moves, the final states leading nowhere', () => {
		expect(allowed).toHaveLength(29);
		expect(JOB_STATES.filter((state) => !isUnfinished({ state }))).toEqual(['delivered', 'denied', 'expired', 'failed', 'cancelled', 'undeliverable']);
	});

	it.each(allowed)('%s → %s is allowed and carries what the new state guarantees', (from, to) => {
		const before = {
			...jobRecord({ state: from, createdAt: AT - 1000 }),
			...(from === 'submitted' ? { xtts: XTTS } : {}),
			// A long text: its turn comes with parts to send; it is complete once every part is done.
			...(to === 'parts' || from === 'parts'
				? { parts: from === 'parts' && to === 'completed' ? [DONE('one.', 'r1'), DONE('two.', 'r2')] : [{ text: 'one.' }] }
				: {}),
		} as JobRecord;
		const after = MOVES[to](before);
		expect(after.state).toBe(to);
		expect(after.updatedAt).toBe(AT);
		expect(after).toMatchObject({ id: before.id, requesterId: before.requesterId, request: before.request, createdAt: AT - 1000 });
		if (['submitted', 'completed', 'delivered'].includes(to)) expect(after).toHaveProperty('xtts.requestId');
		if (['recorded', 'waiting', 'submitting'].includes(to)) expect(after).not.toHaveProperty('xtts');
		if (to === 'delivered') expect(after).toMatchObject({ delivered: { via: 'reply', messageId: '7' } });
		if (to === 'failed') expect(after).toMatchObject({ failure: { kind: 'timeout' }, told: true });
		if (['awaiting-consent', 'denied', 'expired'].includes(to)) expect(after).toHaveProperty('consent.ownerId', '6');
		// Allowed: the one request may use the owner's voice, with permission.
		if (from === 'awaiting-consent' && to === 'recorded') expect(after.request.voice).toEqual({ ownerId: '6', basis: 'permission' });
		// The state it left leaves none of its own fields behind.
		if (to !== 'delivered') expect(after).not.toHaveProperty('delivered');
	});

	it.each(forbidden)('%s → %s throws', (from, to) => {
		const before = jobRecord({ state: from });
		expect(() => MOVES[to](before)).toThrow(IllegalTransitionError);
		expect(() => MOVES[to](before)).toThrow(`no move from ${from} to ${to}`);
	});

	it('a long text: each part moves on its own, sending → its request → done; complete once all are, with the last part as its request', () => {
		let job = toParts(longJob('waiting', [{ text: 'one.' }, { text: 'two.' }]) as never, AT);
		job = toPartMoved(job, 1, { sending: true }, AT);
		expect(job.parts[1]).toEqual({ text: 'two.', sending: true });
		job = toPartMoved(job, 1, { requestId: 'r2', submittedAt: AT, status: 'QUEUED' }, AT);
		expect(job.parts[1]).toEqual({ text: 'two.', requestId: 'r2', submittedAt: AT, status: 'QUEUED' });
		expect(() => toCompleted(job, AT)).toThrow(IllegalTransitionError);
		job = toPartMoved(toPartMoved(job, 1, { status: 'COMPLETED' }, AT), 0, { requestId: 'r1', submittedAt: AT, status: 'COMPLETED' }, AT);
		expect(toCompleted(job, AT)).toMatchObject({ state: 'completed', xtts: { requestId: 'r2', status: 'COMPLETED' }, parts: job.parts });
		expect(() => toPartMoved(job, 5, { sending: true }, AT)).toThrow(RangeError);
	});

	it('a cancellation says whether anything reached the API', () => {
		expect(toCancelled(jobRecord({ state: 'recorded' }), AT).reachedApi).toBe(false);
		expect(toCancelled(jobRecord({ state: 'waiting' }), AT).reachedApi).toBe(false);
		expect(toCancelled(longJob('parts'), AT).reachedApi).toBe(false);
		expect(toCancelled(longJob('parts', [{ text: 'one.', sending: true }, { text: 'two.' }]), AT).reachedApi).toBe(true);
		expect(toCancelled(longJob('parts', [DONE('one.', 'r1'), { text: 'two.' }]), AT).reachedApi).toBe(true);
		expect(toCancelled(jobRecord({ state: 'submitting' }), AT).reachedApi).toBe(true);
		expect(toCancelled(jobRecord({ state: 'submitted' }), AT)).toMatchObject({ reachedApi: true, xtts: { requestId: 'req-job-1' } });
	});
});

describe('failure kinds', () => {
	it.each([
		[new JobFailed({ kind: 'interrupted' }), 'interrupted'],
		[new XttsError('balance', ''), 'balance'],
		[new XttsError('auth', ''), 'auth'],
		[new XttsError('bad-request', ''), 'unavailable'],
		[new XttsError('not-found', ''), 'unavailable'],
		[new XttsError('server', ''), 'unavailable'],
		[new XttsError('bad-response', ''), 'unavailable'],
		[new XttsError('rate-limited', ''), 'busy'],
		[new XttsError('network', ''), 'network'],
		[new XttsError('download', ''), 'download'],
		[new XttsError('too-large', ''), 'download'],
		[new AudioJoinError('needs-ffmpeg', ''), 'needs-ffmpeg'],
		[new AudioJoinError('ffmpeg-failed', ''), 'internal'],
		[new TypeError('a bug'), 'internal'],
	])('%s is %s', (error, kind) => {
		expect(toFailure(error).kind).toBe(kind);
	});

	it('a failure names the part its error names; a join without ffmpeg names none', async () => {
		const told: Failure[] = [];
		const context = {
			reporter: { failed: async (_job: JobRecord, failure: Failure) => void told.push(failure), cancelled: async () => undefined },
			save: async <T extends JobRecord>(job: T) => job,
			clock: systemClock,
			log: silentLogger,
		};
		await settleFailure(longJob('parts'), new JobFailed({ kind: 'balance', part: { index: 1, total: 3 } }), context);
		await settleFailure(longJob('parts'), new JobFailed({ kind: 'interrupted', part: { index: 2, total: 3 } }), context);
		await settleFailure(longJob('completed'), new AudioJoinError('needs-ffmpeg', ''), context);
		expect(told).toEqual([{ kind: 'balance', part: { index: 1, total: 3 } }, { kind: 'interrupted', part: { index: 2, total: 3 } }, { kind: 'needs-ffmpeg' }]);
	});

	it('every kind has its own message in every reply language', () => {
		for (const pack of REPLY_LANGUAGES) {
			const messages = FAILURE_KINDS.map((kind) => failureMessage({ kind }, { jobId: 'ref' }, pack.tag));
			expect(new Set(messages).size).toBe(FAILURE_KINDS.length);
			for (const message of messages) expect(message).toContain('`ref`');
		}
		expect(failureMessage({ kind: 'needs-ffmpeg' }, { jobId: 'r' })).toContain('need ffmpeg on the bot');
	});
});

describe('job records', () => {
	it('a long text becomes parts at the language limit; a short one has none', () => {
		const base = { createdAt: AT, interaction: { id: '1', applicationId: '2', token: 't', createdAt: AT }, guildId: '3', channelId: '4', requesterId: '5' };
		const request = { speakerUrl: 'u', speakerName: 'v.wav', language: 'en' as const, languageSource: 'default' as const, cleanupVoice: false };
		const short = recordJob({ ...base, locale: 'en-US', uploadLimit: 1, request: { ...request, text: 'Hello.' } });
		expect(short).toMatchObject({ v: 3, state: 'recorded', updatedAt: AT });
		expect(short).not.toHaveProperty('parts');
		const long = recordJob({ ...base, locale: 'en-US', uploadLimit: 1, request: { ...request, text: 'A sentence of some length. '.repeat(40).trim() } });
		expect(long.parts?.length).toBeGreaterThan(1);
		expect(long.parts?.map((part) => part.text).join(' ')).toBe(long.request.text);
	});

	it("reads the first version's records as today's", () => {
		const v1 = { ...jobRecord(), v: 1 } as Record<string, unknown>;
		delete v1.partIndex;
		const xtts = { requestId: 'r1', status: 'PROCESSING' };
		expect(readJobRecord({ ...v1, state: 'recorded' })).toMatchObject({ v: 3, state: 'recorded' });
		expect(readJobRecord({ ...v1, state: 'recorded' })).not.toHaveProperty('partIndex');
		expect(readJobRecord({ ...v1, state: 'submitted', xtts })).toMatchObject({
			state: 'submitted',
			xtts: { ...xtts, submittedAt: v1.createdAt },
		});
		expect(readJobRecord({ ...v1, state: 'delivering', xtts })).toMatchObject({ state: 'completed', xtts });
		// Stopped between a long text's parts (the first version wrote `delivering` after each part): the next is still to send.
		const parts = [{ text: 'one.', requestId: 'r1' }, { text: 'two.' }];
		expect(readJobRecord({ ...v1, state: 'delivering', xtts, parts, partIndex: 0 })).toEqual(
			expect.objectContaining({ state: 'parts', parts: [{ text: 'one.', requestId: 'r1', status: 'COMPLETED' }, { text: 'two.' }] }),
		);
		expect(readJobRecord({ ...v1, state: 'delivering', xtts, parts, partIndex: 1 })).toMatchObject({ state: 'completed', parts });
		expect(readJobRecord({ ...v1, state: 'submitted' })).toMatchObject({ state: 'submitting' });
		expect(
			readJobRecord({ ...v1, state: 'delivered', xtts, outcome: { kind: 'delivered', via: 'channel', messageId: '8', voiceMessageId: '9' } }),
		).toMatchObject({
			state: 'delivered',
			delivered: { via: 'channel', messageId: '8', voiceMessageId: '9' },
		});
		expect(readJobRecord({ ...v1, state: 'failed', xtts, outcome: { kind: 'failed', reason: 'cancelled', delivered: true } })).toMatchObject({
			state: 'cancelled',
			reachedApi: true,
		});
		expect(readJobRecord({ ...v1, state: 'failed', outcome: { kind: 'failed', reason: 'undeliverable', delivered: false } })).toMatchObject({
			state: 'undeliverable',
		});
		expect(readJobRecord({ ...v1, state: 'failed', outcome: { kind: 'failed', reason: 'timeout', delivered: true } })).toMatchObject({
			state: 'failed',
			failure: { kind: 'timeout' },
			told: true,
		});
		expect(readJobRecord({ ...v1, state: 'failed', outcome: { kind: 'failed', reason: 'gremlins', delivered: false } })).toMatchObject({
			failure: { kind: 'internal' },
			told: false,
		});
		expect(readJobRecord({ v: 7 })).toBeUndefined();
		expect(readJobRecord(undefined)).toBeUndefined();
	});

	it("reads the second version's long texts (parts one after the other) as parts with lives of their own", () => {
		const v2 = { ...jobRecord(), v: 2, partIndex: 0 } as Record<string, unknown>;
		const xtts = { requestId: 'r2', status: 'PROCESSING', submittedAt: AT, pollingUrl: 'https://api.example/status/r2' };
		const parts = [{ text: 'one.', requestId: 'r1' }, { text: 'two.' }, { text: 'three.' }];
		// Short texts only lose the part counter.
		expect(readJobRecord({ ...v2, state: 'submitted', xtts })).toEqual({ ...v2, v: 3, partIndex: undefined, state: 'submitted', xtts });
		// Part 2 at the API: followed again, never sent again.
		expect(readJobRecord({ ...v2, state: 'submitted', xtts, parts, partIndex: 1 })).toEqual(
			expect.objectContaining({
				v: 3,
				state: 'parts',
				parts: [
					{ text: 'one.', requestId: 'r1', status: 'COMPLETED' },
					{ text: 'two.', requestId: 'r2', submittedAt: AT, status: 'PROCESSING', pollingUrl: xtts.pollingUrl },
					{ text: 'three.' },
				],
			}),
		);
		// Stopped while part 2's request was on the wire: it fails as interrupted when taken up.
		expect(readJobRecord({ ...v2, state: 'submitting', parts, partIndex: 1 })).toMatchObject({
			state: 'parts',
			parts: [{ status: 'COMPLETED' }, { sending: true }, { text: 'three.' }],
		});
		// Between parts 1 and 2, and in line for part 2.
		expect(readJobRecord({ ...v2, state: 'part-done', xtts: { ...xtts, requestId: 'r1' }, parts, partIndex: 0 })).toMatchObject({
			state: 'parts',
			parts: [{ status: 'COMPLETED' }, { text: 'two.' }, { text: 'three.' }],
		});
		expect(readJobRecord({ ...v2, state: 'waiting', parts, partIndex: 1 })).toMatchObject({
			state: 'parts',
			parts: [{ status: 'COMPLETED' }, { text: 'two.' }, { text: 'three.' }],
		});
		expect(readJobRecord({ ...v2, state: 'waiting', parts, partIndex: 0 })).toMatchObject({ state: 'waiting', parts });
		expect(readJobRecord({ ...v2, state: 'part-done', parts, partIndex: 1 })).not.toHaveProperty('xtts');
	});
});
