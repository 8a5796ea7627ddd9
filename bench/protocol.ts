import type { XttsStatus } from '../test/fakes/xtts-api.js';

/** What the bench process and the fakes' process (bench/fakes-process.ts) say to each other over IPC. */

export const BENCH_XTTS_KEY = 'xtts-bench-key-8c1d2e3f4a5b6c7d';

/** How the fake XTTS API behaves for the jobs created from now on. */
export interface FakeSettings {
	/** Size of each job's output (a WAV); default a 0.5 s clip. */
	mediaBytes?: number;
	/** Statuses answered by successive polls (the last repeats); default the fake's own. */
	script?: XttsStatus[];
	/** Each job turns COMPLETED this long after its generate request (plus up to `completeJitterMs`, at random). */
	completeAfterMs?: number;
	completeJitterMs?: number;
	/**
	 * Instead: each job's time grows with its text's length, from `minMs` (at `minChars` or fewer) to `maxMs` (at
	 * `maxChars` or more), within ±`jitter` of that (a fraction, at random): the API's queue and processing time.
	 */
	jobTimeByChars?: { minMs: number; maxMs: number; minChars: number; maxChars: number; jitter: number };
	/** The Discord fake holds every upload this long before answering (to keep deliveries concurrent). */
	holdUploadsMs?: number;
}

export type FakesRequest =
	| { id: number; op: 'configure'; settings: FakeSettings }
	/** Completes the oldest job still pending (the webhook, if any, goes out at once). */
	| { id: number; op: 'completeNext' }
	| { id: number; op: 'completeAll' }
	| { id: number; op: 'counts' }
	/** fake.statusRequests(id).length for every job, in creation order. */
	| { id: number; op: 'statusPerJob' };

export interface Counts {
	jobs: number;
	generate: number;
	status: number;
	media: number;
	webhooks: number;
	/** The most jobs that were at the API at once (accepted, not yet final). */
	peakAtApi: number;
}

export type FakesMessage =
	| { ev: 'ready'; discordApiUrl: string; discordOrigin: string; xttsOrigin: string; speakerUrl: string; speakerBytes: number }
	/** A request received by the Discord fake; `at` is the fake's own Date.now() on receipt. */
	| {
			ev: 'discord';
			at: number;
			method: string;
			/** For interaction callbacks: the interaction and the callback type (5 = deferred). */
			interactionId?: string;
			callbackType?: number;
			/** The member the message mentions (every bot message about a job does). */
			member?: string;
			content: string;
			/** Sizes of the result files (clone.*) it carries. */
			uploads: number[];
	  }
	/** The fake turned a job COMPLETED at `at` (before sending its webhook, if any). */
	| { ev: 'completed'; member: string; at: number }
	| { ev: 'reply'; id: number; result?: unknown; error?: string }
	/** Events of one turn of the fakes' event loop, in order. */
	| { ev: 'batch'; events: FakesMessage[] };

/** The line the bench asks to be spoken: it names the member, so the fakes can tell whose job is whose. */
export const benchText = (member: string) => `Benchmark line for member ${member}.`;
export const memberOfText = (text: unknown) => /member (\d+)/.exec(String(text ?? ''))?.[1];
