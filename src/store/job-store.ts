import type Keyv from 'keyv';
import type { LanguageCode } from '../xtts/languages.js';
import type { LanguageSource } from './settings.js';
import type { XttsStatus } from '../xtts/client.js';

/**
 * A /clone request's durable record. Written before anything is spent at the API and updated on
 * every transition, so that a restart can pick the job up where it was.
 */
export type JobState =
	| 'recorded' // accepted, nothing sent to the API yet: safe to submit
	| 'submitting' // the generate request is (or was) on the wire: never send it again
	| 'submitted' // the API gave us a request id: poll it
	| 'delivering' // the result is being posted
	| 'delivered'
	| 'failed';

export const UNFINISHED_STATES: ReadonlySet<JobState> = new Set(['recorded', 'submitting', 'submitted', 'delivering']);

export interface JobRecord {
	v: 1;
	id: string;
	state: JobState;
	/** The process running it (see ownership.ts). */
	owner?: string;
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
	request: {
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
	};
	/** The API request of the part being worked on (the only one, for a short text). */
	xtts?: { requestId: string; pollingUrl?: string; status: XttsStatus; submittedAt?: number };
	/**
	 * A long text, spoken as several requests one after the other and joined: each part's text and, once
	 * sent, its request. `partIndex` is the part being worked on.
	 */
	parts?: { text: string; requestId?: string; pollingUrl?: string }[];
	partIndex?: number;
	outcome?:
		| { kind: 'delivered'; messageId?: string; via: 'reply' | 'channel'; voiceMessageId?: string }
		| { kind: 'failed'; reason: string; delivered: boolean };
}

/** Finished records are kept this long for audit and support, then expire. */
export const FINISHED_JOB_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface JobStore {
	get(id: string): Promise<JobRecord | undefined>;
	save(job: JobRecord): Promise<void>;
	/** The unfinished jobs, oldest first. */
	unfinished(): Promise<JobRecord[]>;
}

/**
 * Records live in `records`; the ids of unfinished ones also in `active`, which is what unfinished() lists.
 * Listing the records themselves would walk a week of finished jobs, and keyv deletes expired entries while it
 * iterates, which makes the SQLite adapter's paged listing skip records.
 *
 * Order keeps a crash harmless: an id is marked active before its record is first written, and unmarked
 * only after the finished record is written. A stale mark (its record finished or gone) is dropped when listed.
 */
export function createJobStore(stores: { jobs: Keyv; activeJobs: Keyv }): JobStore {
	const { jobs: records, activeJobs: active } = stores;
	// Ids this process has marked active, so that a job's later transitions don't write the mark again.
	const marked = new Set<string>();

	async function get(id: string): Promise<JobRecord | undefined> {
		const job = (await records.get(id)) as JobRecord | undefined;
		return job?.v === 1 ? job : undefined;
	}

	return {
		get,
		async save(job) {
			if (UNFINISHED_STATES.has(job.state)) {
				if (!marked.has(job.id)) {
					await active.set(job.id, job.createdAt);
					marked.add(job.id);
				}
				await records.set(job.id, job);
				return;
			}
			await records.set(job.id, job, FINISHED_JOB_TTL_MS);
			await active.delete(job.id);
			marked.delete(job.id);
		},
		async unfinished() {
			if (!active.iterator) throw new Error('the job store cannot list its active jobs');
			const ids: string[] = [];
			for await (const [id] of active.iterator(undefined)) if (typeof id === 'string') ids.push(id);
			const jobs: JobRecord[] = [];
			for (const id of ids) {
				const job = await get(id);
				if (job && UNFINISHED_STATES.has(job.state)) jobs.push(job);
				else await active.delete(id);
			}
			return jobs.sort((a, b) => a.createdAt - b.createdAt);
		},
	};
}
