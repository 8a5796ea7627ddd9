import type { Dispatcher } from 'undici';
import { isAudioContentType, sniffAudio, SNIFF_BYTES, speakerFormatForFileName, wavDurationSeconds, type SpeakerFormat } from './formats.js';
import { download } from '../util/http.js';

/**
 * Checks a member's speaker file before anything is spent at the API: the content type, the extension
 * and the first bytes must all say "audio the API reads", and the clip must not be too big or too short.
 */

export const MAX_SPEAKER_BYTES = 20 * 1024 * 1024;
export const MIN_SPEAKER_SECONDS = 1;

export interface SpeakerAttachment {
	name: string;
	url: string;
	size: number;
	contentType: string | null;
	/** Discord sets this on voice messages. */
	duration: number | null;
}

/** What is wrong with a speaker file, as data: the Discord layer words it (discord/presenter.ts). */
export type SpeakerProblem =
	| { kind: 'not-audio'; name: string }
	| { kind: 'wrong-extension'; name: string }
	| { kind: 'too-large'; bytes: number; max: number }
	| { kind: 'too-short'; seconds: number }
	| { kind: 'unreadable' };

export type SpeakerVerdict = { ok: true; format: SpeakerFormat; seconds: number | undefined } | { ok: false; problem: SpeakerProblem };

/** The checks that need no download: run first, answered at once. */
export function checkSpeakerMetadata(attachment: SpeakerAttachment): Extract<SpeakerVerdict, { ok: false }> | undefined {
	if (!isAudioContentType(attachment.contentType)) return { ok: false, problem: { kind: 'not-audio', name: attachment.name } };
	if (!speakerFormatForFileName(attachment.name)) return { ok: false, problem: { kind: 'wrong-extension', name: attachment.name } };
	if (attachment.size > MAX_SPEAKER_BYTES) return { ok: false, problem: { kind: 'too-large', bytes: attachment.size, max: MAX_SPEAKER_BYTES } };
	if (attachment.duration !== null && attachment.duration < MIN_SPEAKER_SECONDS) {
		return { ok: false, problem: { kind: 'too-short', seconds: attachment.duration } };
	}
	return undefined;
}

/** Fetches just the head of the file and judges it by its bytes. */
export async function checkSpeakerContent(
	attachment: SpeakerAttachment,
	options: { dispatcher: Dispatcher; protocols: readonly string[]; signal?: AbortSignal },
): Promise<SpeakerVerdict> {
	let head: Buffer;
	try {
		({ data: head } = await download(options.dispatcher, attachment.url, {
			headBytes: SNIFF_BYTES,
			maxBytes: MAX_SPEAKER_BYTES,
			protocols: options.protocols,
			signal: options.signal,
		}));
	} catch {
		return { ok: false, problem: { kind: 'unreadable' } };
	}
	const sniffed = await sniffAudio(head);
	if (!sniffed?.speakerFormat) return { ok: false, problem: { kind: 'not-audio', name: attachment.name } };
	const seconds = attachment.duration ?? (sniffed.speakerFormat === 'wav' ? wavDurationSeconds(head) : undefined);
	if (seconds !== undefined && seconds < MIN_SPEAKER_SECONDS) return { ok: false, problem: { kind: 'too-short', seconds } };
	return { ok: true, format: sniffed.speakerFormat, seconds };
}
