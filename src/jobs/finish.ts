import { aiComment } from '../audio/ai-marking.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { XttsClient } from '../xtts/client.js';
import { XttsError } from '../xtts/contract.js';
import { JobFailed } from './failure.js';
import { toDelivered, type JobIn, type JobRecord } from './lifecycle.js';
import type { JobReporter, JobResult, ResultAudio } from './ports.js';
import type { AudioPreparer } from './prepare-audio.js';
import { pollingUrlOf } from './track.js';

/**
 * A completed job's result: the audio fetched (a long text's parts joined, in order), fitted to the upload limit,
 * posted as a voice message where asked, then delivered to the reply or the channel.
 */

export interface FinishContext {
	xtts: XttsClient;
	audio: AudioPreparer;
	reporter: Pick<JobReporter, 'result' | 'postVoiceMessage'>;
	save<T extends JobRecord>(job: T): Promise<T>;
	clock: Clock;
	log: Logger;
}

/**
 * `known`: the media URLs this run saw, by part index (0 for a short text). Any other (resumed while delivering,
 * an earlier run's part) is asked for again: media URLs are not stored, they may be signed.
 */
export async function finish(job: JobIn<'completed'>, known: ReadonlyMap<number, string>, context: FinishContext, signal: AbortSignal): Promise<JobRecord> {
	const { xtts, audio, reporter, log } = context;
	const urls = job.parts && job.parts.length > 1 ? await partMediaUrls(job, known, xtts, signal) : [known.get(0) ?? (await mediaUrlAgain(job, xtts, signal))];
	const mediaUrl = urls.at(-1) as string;
	const options = { signal, comment: aiComment(job.id) };
	const prepared = urls.length > 1 ? await audio.prepareJoined(urls, job.uploadLimit, options) : await audio.prepare(mediaUrl, job.uploadLimit, options);
	let resultAudio: ResultAudio;
	if (prepared.kind === 'file') resultAudio = prepared;
	// Too large once joined: each part's own link, in order (the last part's alone would be a fragment).
	else if (urls.length > 1) resultAudio = { kind: 'part-links', urls, bytes: prepared.bytes ?? 0 };
	else resultAudio = { kind: 'link', url: mediaUrl, ...(prepared.bytes === undefined ? {} : { bytes: prepared.bytes }) };
	if (prepared.kind === 'link') log.info({ limit: job.uploadLimit, bytes: prepared.bytes }, 'output over the upload limit; posting its link');

	const result: JobResult = { audio: resultAudio };
	if (job.request.voiceMessage && prepared.kind === 'file') {
		const voiceUrl = await postAsVoiceMessage(job, prepared.file.data, context, signal);
		if (voiceUrl) result.voiceMessageUrl = voiceUrl;
	}
	const delivered = await reporter.result(job, result);
	const transcoded = prepared.kind === 'file' && prepared.transcoded;
	log.info({ via: delivered.via, messageId: delivered.messageId, transcoded, ms: context.clock.now() - job.createdAt }, 'job delivered');
	const voiceMessageId = result.voiceMessageUrl?.split('/').at(-1);
	try {
		return await context.save(toDelivered(job, { ...delivered, ...(voiceMessageId ? { voiceMessageId } : {}) }, context.clock.now()));
	} catch (storeError) {
		// The member has the audio: a failure message now would replace it. The record stays `completed`, and a
		// restart re-edits the reply with the same result (or, past the token's life, posts it in the channel).
		log.error({ err: storeError }, 'delivered, but the delivery could not be recorded');
		return job;
	}
}

async function mediaUrlAgain(job: JobIn<'completed'>, xtts: XttsClient, signal: AbortSignal): Promise<string> {
	const final = await xtts.getStatus(job.xtts.requestId, { ...pollingUrlOf(job), signal });
	if (final.status === 'FAILED') throw new JobFailed({ kind: 'failed', ...(final.error ? { apiError: final.error } : {}) });
	if (final.status === 'ERROR') throw new JobFailed({ kind: 'provider-error' });
	const url = final.mediaUrls[0];
	if (final.status !== 'COMPLETED' || !url) throw new XttsError('bad-response', 'COMPLETED without a media_url');
	return url;
}

/** Every part's media URL, in the text's order: those not seen in this run asked for again, one after the other. */
async function partMediaUrls(job: JobIn<'completed'>, known: ReadonlyMap<number, string>, xtts: XttsClient, signal: AbortSignal): Promise<string[]> {
	const parts = job.parts ?? [];
	const urls: string[] = [];
	for (const [index, part] of parts.entries()) {
		const seen = known.get(index);
		if (seen) {
			urls.push(seen);
			continue;
		}
		const status = part.requestId ? await xtts.getStatus(part.requestId, { ...(part.pollingUrl ? { pollingUrl: part.pollingUrl } : {}), signal }) : undefined;
		const url = status?.status === 'COMPLETED' ? status.mediaUrls[0] : undefined;
		if (!url) throw new JobFailed({ kind: 'download', part: { index, total: parts.length } });
		urls.push(url);
	}
	return urls;
}

/** Discord doesn't let a deferred reply become a voice message: it is posted in the channel. Undefined on any refusal. */
async function postAsVoiceMessage(job: JobRecord, audioData: Buffer, context: FinishContext, signal: AbortSignal): Promise<string | undefined> {
	const voice = await context.audio.voiceMessage(audioData, job.uploadLimit, { signal, comment: aiComment(job.id) });
	if (!voice) return undefined;
	try {
		return await context.reporter.postVoiceMessage(job, voice);
	} catch (error) {
		context.log.info({ err: error instanceof Error ? error.message : error }, 'voice message refused here; sending an audio file');
		return undefined;
	}
}
