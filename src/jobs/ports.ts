import type { VoiceMessage } from '../audio/voice-message.js';
import type { Failure } from './failure.js';
import type { DeliveredTo, JobIn, JobRecord } from './lifecycle.js';

/**
 * What the job layer tells the outside about a job, as data: phases while it runs, then one outcome. The Discord
 * layer implements it (discord/job-reporter.ts): it turns each into the member's language and Discord's messages.
 */

/** What a request in line waits for: the member's other clone, their cooldown, the server's cap, or a slot at the API. */
export type WaitReason = 'member' | 'cooldown' | 'server' | 'capacity';

export type JobPhase =
	/** In its server's line; position 1 is next. `startsInMs` where it is known (a cooldown). */
	| { kind: 'waiting'; position: number; reason: WaitReason; startsInMs?: number }
	/** The generate request is slow to be taken (429 retries, a slow gateway). */
	| { kind: 'sending' }
	/** The API's own statuses. */
	| { kind: 'queued' }
	| { kind: 'processing' };

export type ResultAudio =
	| { kind: 'file'; file: { name: string; data: Buffer }; transcoded: boolean }
	/** Over the upload limit even transcoded: its link. */
	| { kind: 'link'; url: string; bytes?: number }
	/** A long text's joined audio over the limit: each part's link, in order. */
	| { kind: 'part-links'; urls: string[]; bytes: number };

export interface JobResult {
	audio: ResultAudio;
	/** Also posted as a voice message, here: the reply points to it instead of carrying the audio twice. */
	voiceMessageUrl?: string;
}

/** Neither the reply nor the channel takes the bot's messages: telling the member anything would bounce too. */
export class UndeliverableError extends Error {
	override name = 'UndeliverableError';
}

export interface JobReporter {
	/** Shows a phase on the member's reply; best effort, never throws. */
	progress(job: JobRecord, phase: JobPhase): Promise<void>;
	/** Posts the audio as a voice message and returns its URL; throws when the channel refuses it. */
	postVoiceMessage(job: JobRecord, voice: VoiceMessage): Promise<string>;
	/** Posts the result; throws UndeliverableError when nowhere takes it. */
	result(job: JobIn<'completed'>, result: JobResult): Promise<Omit<DeliveredTo, 'voiceMessageId'>>;
	/** Tells the member the job failed; throws when they could not be told. */
	failed(job: JobRecord, failure: Failure): Promise<void>;
	/** Tells the member the job was cancelled, and whether it had been charged; throws when they could not be told. */
	cancelled(job: JobIn<'cancelled'>): Promise<void>;
}
