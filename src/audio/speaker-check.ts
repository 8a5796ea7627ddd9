import type { Dispatcher } from 'undici';
import { isAudioContentType, sniffAudio, SNIFF_BYTES, speakerFormatForFileName, wavDurationSeconds, type SpeakerFormat } from './formats.js';
import { download } from '../util/http.js';
import { invalidInput } from '../discord/presenter.js';

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

export type SpeakerVerdict = { ok: true; format: SpeakerFormat; seconds: number | undefined } | { ok: false; message: string };

/** The checks that need no download: run first, answered at once. */
export function checkSpeakerMetadata(attachment: SpeakerAttachment, locale?: string): SpeakerVerdict | undefined {
	if (!isAudioContentType(attachment.contentType)) return { ok: false, message: invalidInput.notAudio(attachment.name, locale) };
	if (!speakerFormatForFileName(attachment.name)) return { ok: false, message: invalidInput.wrongExtension(attachment.name, locale) };
	if (attachment.size > MAX_SPEAKER_BYTES) return { ok: false, message: invalidInput.tooLarge(attachment.size, MAX_SPEAKER_BYTES, locale) };
	if (attachment.duration !== null && attachment.duration < MIN_SPEAKER_SECONDS) {
		return { ok: false, message: invalidInput.tooShort(attachment.duration, locale) };
	}
	return undefined;
}

/** Fetches just the head of the file and judges it by its bytes. */
export async function checkSpeakerContent(
	attachment: SpeakerAttachment,
	options: { dispatcher: Dispatcher; protocols: readonly string[]; signal?: AbortSignal /** The member's Discord locale, for the answer. */; locale?: string },
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
		return { ok: false, message: invalidInput.unreadable(options.locale) };
	}
	const sniffed = await sniffAudio(head);
	if (!sniffed?.speakerFormat) return { ok: false, message: invalidInput.notAudio(attachment.name, options.locale) };
	const seconds = attachment.duration ?? (sniffed.speakerFormat === 'wav' ? wavDurationSeconds(head) : undefined);
	if (seconds !== undefined && seconds < MIN_SPEAKER_SECONDS) return { ok: false, message: invalidInput.tooShort(seconds, options.locale) };
	return { ok: true, format: sniffed.speakerFormat, seconds };
}
