import { AudioJoinError } from '../audio/join.js';
import { XttsError } from '../xtts/contract.js';

/**
 * Why a job ended without a result, as data: the Discord layer (discord/presenter.ts) turns a kind into the
 * member's message. The union is closed, so a new kind is a compile error until it has a message.
 */

/** Which part of a long text it was about (0-based index). */
export interface PartRef {
	index: number;
	total: number;
}

export type FailureKind =
	| 'balance' // 402: the host's balance is used up
	| 'auth' // the API refused the bot's key
	| 'unavailable' // the API refused the request, or answered not as documented
	| 'busy' // 429 until the deadline
	| 'failed' // the API said FAILED: about the member's input
	| 'provider-error' // the API said ERROR: its own fault, not charged
	| 'timeout' // the job outlived XTTS_JOB_TIMEOUT_MS
	| 'network' // the API could not be reached
	| 'interrupted' // the bot stopped while the generate request was on the wire
	| 'download' // the audio could not be fetched
	| 'needs-ffmpeg' // a long text's parts are not WAV, and no ffmpeg joins them
	| 'internal'; // a bug: the log line has the details

export type Failure = { kind: 'failed'; apiError?: string; part?: PartRef } | { kind: Exclude<FailureKind, 'failed'>; part?: PartRef };

export const FAILURE_KINDS: readonly FailureKind[] = [
	'balance',
	'auth',
	'unavailable',
	'busy',
	'failed',
	'provider-error',
	'timeout',
	'network',
	'interrupted',
	'download',
	'needs-ffmpeg',
	'internal',
];

/** Thrown inside a run to end the job with this failure. */
export class JobFailed extends Error {
	override name = 'JobFailed';
	constructor(readonly failure: Failure) {
		super(failure.kind);
	}
}

/** Turns whatever ended a job into its failure kind. */
export function toFailure(error: unknown): Failure {
	if (error instanceof JobFailed) return error.failure;
	if (error instanceof AudioJoinError && error.kind === 'needs-ffmpeg') return { kind: 'needs-ffmpeg' };
	if (error instanceof XttsError) {
		switch (error.kind) {
			case 'balance':
				return { kind: 'balance' };
			case 'auth':
				return { kind: 'auth' };
			case 'bad-request':
			case 'not-found':
			case 'server':
				return { kind: 'unavailable' };
			case 'rate-limited':
				return { kind: 'busy' };
			case 'network':
				return { kind: 'network' };
			case 'download':
			case 'too-large':
				return { kind: 'download' };
			case 'bad-response':
				// The API answered, but not as documented: the service's fault, not the member's nor the bot's.
				return { kind: 'unavailable' };
		}
	}
	return { kind: 'internal' };
}
