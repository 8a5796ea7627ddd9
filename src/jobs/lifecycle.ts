import type { ConsentBasis } from '../store/audit.js';
import type { LanguageSource } from '../store/guild-settings.js';
import type { XttsStatus } from '../xtts/contract.js';
import type { LanguageCode } from '../xtts/languages.js';
import type { Failure } from './failure.js';

/**
 * A job's life as a state machine. The durable record is a union keyed by state, so each state carries exactly
 * the fields it guarantees; moves are the named functions below, over one table of allowed transitions, and a
 * move that is not in the table throws.
 *
 *   recorded ─► waiting ─► submitting ─► submitted ─► completed ─► delivered
 *    │ ▲ │ │       │   └──► parts ◄─┐      (a short text)  ▲    └──────► undeliverable
 *    │ │ │ └───────┼────────┘ │ └───┘ (a part moved)       │
 *    │ │ │         │          └──────────────────────────────┘ (every part done)
 *    ▼ │ (allowed) └── a long text: its parts, several at the API at once, each with its own small life in `parts`
 *   awaiting-consent ─► denied | expired
 *   any active state ─► failed(kind) | cancelled
 *
 * Order matters for money: the record is written before anything is spent, and `submitting` (a part's `sending`)
 * is written just before the generate request leaves. A record found in `submitting`, or with a part `sending`,
 * after a crash may have been charged: it fails as `interrupted`, and is never sent again. `recorded`, `waiting`
 * and a part not yet sending never have a request on the wire, so they are safe to send after a restart.
 */

export const JOB_RECORD_VERSION = 3;

export interface JobRequest {
	speakerUrl: string;
	speakerName: string;
	text: string;
	language: LanguageCode;
	languageSource: LanguageSource;
	cleanupVoice: boolean;
	/** Post the result as a Discord voice message (when ffmpeg is there and the channel allows it). */
	voiceMessage?: boolean;
	/** Known length of the speaker clip, for the 3–10 s hint. */
	speakerSeconds?: number;
	/** Whose voice it is and how its use was allowed (absent in records from before consent: an upload). */
	voice?: VoiceUse;
}

/** Whose voice a job speaks in, and on what ground: shown on the result, kept in the audit log. */
export interface VoiceUse {
	/** The member whose voice it is: the message's author, or the member who uploaded the file. */
	ownerId: string;
	basis: ConsentBasis;
	/** The audio was a bot's or a webhook's (allowed under `anyone` only). */
	ownerIsBot?: boolean;
}

/** A request for another member's permission to use their voice. */
export interface ConsentAsk {
	ownerId: string;
	/** Where the ask was posted, and its message (to edit once answered). */
	channelId: string;
	messageId?: string;
	/** The ask's language: the server's. */
	locale: string;
	expiresAt: number;
}

/** One request at the API: the only one for a short text, the current part's for a long one. */
export interface XttsRequest {
	requestId: string;
	pollingUrl?: string;
	status: XttsStatus;
	/** When it reached the API: the job's deadline counts from here. */
	submittedAt: number;
}

/**
 * A part of a long text, and its own small life: pending → sending → at the API (its request, with the API's
 * status) → done (COMPLETED). Media URLs are not kept (they may be signed): they are asked for again when joining.
 */
export interface PartRecord {
	text: string;
	/** Written just before its generate request leaves: from here on it may be charged, and it is never sent again. */
	sending?: true;
	requestId?: string;
	pollingUrl?: string;
	/** When its request reached the API: its deadline counts from here. */
	submittedAt?: number;
	status?: XttsStatus;
}

export type PartPhase = 'pending' | 'sending' | 'at-api' | 'done';

export function partPhase(part: PartRecord): PartPhase {
	if (part.status === 'COMPLETED') return 'done';
	if (part.requestId) return 'at-api';
	return part.sending ? 'sending' : 'pending';
}

export interface DeliveredTo {
	via: 'reply' | 'channel';
	messageId?: string;
	/** The voice message the result was also posted as, so that Delete removes it too. */
	voiceMessageId?: string;
}

/** What every state carries. */
export interface JobCommon {
	v: typeof JOB_RECORD_VERSION;
	id: string;
	createdAt: number;
	updatedAt: number;
	/** What is needed to edit the deferred reply, also after a restart. The token is a credential: never log it. */
	interaction: { id: string; applicationId: string; token: string; createdAt: number };
	guildId: string | null;
	channelId: string;
	requesterId: string;
	locale: string;
	/** The largest upload the reply may carry (the interaction's attachment_size_limit). */
	uploadLimit: number;
	request: JobRequest;
	/** A long text, spoken as several requests (up to PARTS_IN_PARALLEL at once) and joined in order. Absent for a short text. */
	parts?: PartRecord[];
}

export type JobRecord =
	| (JobCommon & { state: 'recorded' })
	| (JobCommon & { state: 'awaiting-consent'; consent: ConsentAsk })
	| (JobCommon & { state: 'denied'; consent: ConsentAsk })
	| (JobCommon & { state: 'expired'; consent: ConsentAsk })
	| (JobCommon & { state: 'waiting' })
	| (JobCommon & { state: 'submitting' })
	| (JobCommon & { state: 'submitted'; xtts: XttsRequest })
	| (JobCommon & { state: 'parts'; parts: PartRecord[] })
	| (JobCommon & { state: 'completed'; xtts: XttsRequest })
	| (JobCommon & { state: 'delivered'; xtts: XttsRequest; delivered: DeliveredTo })
	| (JobCommon & { state: 'failed'; xtts?: XttsRequest; failure: Failure; told: boolean })
	| (JobCommon & { state: 'cancelled'; xtts?: XttsRequest; reachedApi: boolean })
	| (JobCommon & { state: 'undeliverable'; xtts?: XttsRequest });

export type JobState = JobRecord['state'];
export type JobIn<S extends JobState> = Extract<JobRecord, { state: S }>;

/** Every allowed move; anything else is a bug and throws. */
export const TRANSITIONS: { readonly [S in JobState]: readonly JobState[] } = {
	recorded: ['awaiting-consent', 'waiting', 'submitting', 'parts', 'failed', 'cancelled'],
	// Allowed: back to `recorded`, nothing spent yet, and admitted like any new request.
	'awaiting-consent': ['recorded', 'denied', 'expired', 'cancelled'],
	waiting: ['submitting', 'parts', 'failed', 'cancelled'],
	submitting: ['submitted', 'failed', 'cancelled'],
	// submitted → submitted: the API's status moved (QUEUED → PROCESSING).
	submitted: ['submitted', 'completed', 'failed', 'cancelled'],
	// parts → parts: one of them moved (sending, at the API, a status, done).
	parts: ['parts', 'completed', 'failed', 'cancelled'],
	completed: ['delivered', 'undeliverable', 'failed', 'cancelled'],
	delivered: [],
	denied: [],
	expired: [],
	failed: [],
	cancelled: [],
	undeliverable: [],
};

export const JOB_STATES = Object.keys(TRANSITIONS) as JobState[];
export const UNFINISHED_STATES: ReadonlySet<JobState> = new Set(JOB_STATES.filter((state) => TRANSITIONS[state].length > 0));

export function isUnfinished(job: { state: string }): boolean {
	return UNFINISHED_STATES.has(job.state as JobState);
}

export class IllegalTransitionError extends Error {
	override name = 'IllegalTransitionError';
	constructor(
		readonly from: JobState,
		readonly to: JobState,
		readonly jobId: string,
	) {
		super(`job ${jobId}: no move from ${from} to ${to}`);
	}
}

type StateFields<S extends JobState> = Omit<JobIn<S>, keyof JobCommon | 'state'>;

function move<S extends JobState>(job: JobRecord, to: S, fields: StateFields<S>, at: number, common: Partial<JobCommon> = {}): JobIn<S> {
	if (!TRANSITIONS[job.state].includes(to)) throw new IllegalTransitionError(job.state, to, job.id);
	return { ...commonOf(job), ...common, ...fields, state: to, updatedAt: at } as JobIn<S>;
}

/** The fields every state carries, without the ones of the state it is leaving. */
function commonOf(job: JobRecord): JobCommon {
	const { v, id, createdAt, updatedAt, interaction, guildId, channelId, requesterId, locale, uploadLimit, request, parts } = job;
	return {
		v,
		id,
		createdAt,
		updatedAt,
		interaction,
		guildId,
		channelId,
		requesterId,
		locale,
		uploadLimit,
		request,
		...(parts ? { parts } : {}),
	};
}

/** Posted an ask for the voice owner's permission; nothing is sent to the API before it is answered. */
export const toAwaitingConsent = (job: JobIn<'recorded'>, consent: ConsentAsk, at: number) => move(job, 'awaiting-consent', { consent }, at);

/** The owner allowed it: this one request may use their voice. */
export function toAllowed(job: JobIn<'awaiting-consent'>, at: number): JobIn<'recorded'> {
	const allowed = move(job, 'recorded', {}, at);
	return { ...allowed, request: { ...allowed.request, voice: { ownerId: job.consent.ownerId, basis: 'permission' } } };
}

export const toDenied = (job: JobIn<'awaiting-consent'>, at: number) => move(job, 'denied', { consent: job.consent }, at);

export const toExpired = (job: JobIn<'awaiting-consent'>, at: number) => move(job, 'expired', { consent: job.consent }, at);

/** Into the line, waiting for a slot at the API. */
export const toWaiting = (job: JobIn<'recorded'>, at: number) => move(job, 'waiting', {}, at);

/** Written just before a short text's generate request leaves: from here on it may be charged. */
export const toSubmitting = (job: JobIn<'recorded' | 'waiting'>, at: number) => move(job, 'submitting', {}, at);

/** The API took the request (its 202). */
export const toSubmitted = (job: JobIn<'submitting'>, xtts: XttsRequest, at: number): JobIn<'submitted'> => move(job, 'submitted', { xtts }, at);

/** A long text's turn has come: its parts are sent, several at once, each moving on its own (`toPartMoved`). */
export function toParts(job: JobIn<'recorded' | 'waiting'>, at: number): JobIn<'parts'> {
	if (!job.parts) throw new IllegalTransitionError(job.state, 'parts', job.id);
	return move(job, 'parts', { parts: job.parts }, at);
}

/**
 * One part moved: `sending` (written just before its request leaves), its request taken (the 202: `sending` goes),
 * a status from the API, or done (COMPLETED). A part never moves back.
 */
export function toPartMoved(job: JobIn<'parts'>, index: number, fields: Omit<PartRecord, 'text'>, at: number): JobIn<'parts'> {
	if (!job.parts[index]) throw new RangeError(`job ${job.id} has no part ${index}`);
	const parts = job.parts.map((part, i) => {
		if (i !== index) return part;
		const moved: PartRecord = { ...part, ...fields };
		// Once its request is known, it is no longer being sent.
		if (moved.requestId) delete moved.sending;
		return moved;
	});
	return move(job, 'parts', { parts }, at);
}

/** The API's status moved without finishing (QUEUED → PROCESSING). */
export const toStatus = (job: JobIn<'submitted'>, status: XttsStatus, at: number) => move(job, 'submitted', { xtts: { ...job.xtts, status } }, at);

/** A part's request was stopped before it left (in a wait between attempts): it is pending again. */
export function toPartUnsent(job: JobIn<'parts'>, index: number, at: number): JobIn<'parts'> {
	return move(job, 'parts', { parts: job.parts.map((part, i) => (i === index && !part.requestId ? { text: part.text } : part)) }, at);
}

/** A long text stopped between parts: none at the API or on its way there, some still to send (it waits in line again). */
export const betweenParts = (job: JobIn<'parts'>) =>
	!job.parts.some((part) => ['sending', 'at-api'].includes(partPhase(part))) && job.parts.some((part) => partPhase(part) === 'pending');

/** The request is done (a long text: every part is): the result is being delivered; a long text's `xtts` is its last part's. */
export function toCompleted(job: JobIn<'submitted' | 'parts'>, at: number): JobIn<'completed'> {
	if (job.state !== 'parts') return move(job, 'completed', { xtts: { ...job.xtts, status: 'COMPLETED' } }, at);
	const last = job.parts.at(-1);
	if (!last?.requestId || job.parts.some((part) => partPhase(part) !== 'done')) throw new IllegalTransitionError(job.state, 'completed', job.id);
	const xtts: XttsRequest = {
		requestId: last.requestId,
		status: 'COMPLETED',
		submittedAt: last.submittedAt ?? at,
		...(last.pollingUrl ? { pollingUrl: last.pollingUrl } : {}),
	};
	return move(job, 'completed', { xtts }, at);
}

export const toDelivered = (job: JobIn<'completed'>, delivered: DeliveredTo, at: number) => move(job, 'delivered', { xtts: job.xtts, delivered }, at);

/** `told`: whether the member got the failure message. */
export const toFailed = (job: JobRecord, failure: Failure, told: boolean, at: number) => move(job, 'failed', { ...xttsOf(job), failure, told }, at);

export function toCancelled(job: JobRecord, at: number): JobIn<'cancelled'> {
	// A long text's parts: charged once one of them was (or may have been) sent.
	const notSent = job.state === 'recorded' || job.state === 'waiting' || job.state === 'awaiting-consent';
	const reachedApi = job.state === 'parts' ? job.parts.some((part) => partPhase(part) !== 'pending') : !notSent;
	return move(job, 'cancelled', { ...xttsOf(job), reachedApi }, at);
}

/** Neither the reply nor the channel takes the bot's messages. */
export const toUndeliverable = (job: JobIn<'completed'>, at: number) => move(job, 'undeliverable', { xtts: job.xtts }, at);

function xttsOf(job: JobRecord): { xtts?: XttsRequest } {
	return 'xtts' in job && job.xtts ? { xtts: job.xtts } : {};
}

/** How far a long text is: its parts done, of how many; undefined for a short text. */
export function partsDone(job: JobRecord): { done: number; total: number } | undefined {
	if (!job.parts) return undefined;
	const done = job.state === 'completed' || job.state === 'delivered' ? job.parts.length : job.parts.filter((part) => partPhase(part) === 'done').length;
	return { done, total: job.parts.length };
}
