import { markWav } from '../audio/ai-marking.js';
import type { Logger } from '../util/logger.js';
import { joinAudio } from '../audio/join.js';
import { outputFileName } from '../audio/formats.js';
import { transcodeToOpus } from '../audio/ffmpeg.js';
import { toVoiceMessage, type VoiceMessage } from '../audio/voice-message.js';
import type { XttsClient } from '../xtts/client.js';
import { XttsError } from '../xtts/contract.js';

/**
 * Turns the API's output into what the reply can carry: the file itself when it fits the channel's
 * upload limit; else, when ffmpeg is installed, the same speech as Ogg/Opus (a fraction of a WAV's size);
 * else the link. Every file the bot posts is marked machine-readably as AI-generated (EU AI Act art. 50), its
 * samples untouched: a WAV gets a LIST/INFO comment, ffmpeg's Ogg/Opus a comment tag. Other formats the API might
 * return (it documents none) go out as they came.
 */

export type PreparedAudio = { kind: 'file'; file: { name: string; data: Buffer }; transcoded: boolean } | { kind: 'link'; bytes: number | undefined };

/** `comment`: the machine-readable mark ("AI-generated (XTTS v2) · ref <job>", see audio/ai-marking.ts). */
export interface PrepareOptions {
	signal?: AbortSignal;
	comment: string;
}

export interface AudioPreparer {
	prepare(mediaUrl: string, uploadLimit: number, options: PrepareOptions): Promise<PreparedAudio>;
	/** The audio as a Discord voice message (Ogg/Opus, duration, waveform); undefined without ffmpeg or when it fails. */
	voiceMessage(audio: Buffer, uploadLimit: number, options: PrepareOptions): Promise<VoiceMessage | undefined>;
	/** The parts of a long text, joined in order with a short pause, as one file (or, too large, no file). */
	prepareJoined(mediaUrls: readonly string[], uploadLimit: number, options: PrepareOptions): Promise<PreparedAudio>;
}

/** The most we download to transcode: about 18 minutes of 24 kHz 16-bit mono WAV. */
const MAX_TRANSCODE_INPUT_BYTES = 50 * 1024 * 1024;

export function createAudioPreparer(options: { xtts: XttsClient; ffmpegPath: string | undefined; logger: Logger }): AudioPreparer {
	const { xtts, ffmpegPath } = options;
	const log = options.logger.child({ component: 'output-audio' });

	async function fitToLimit(data: Buffer, name: string, uploadLimit: number, { signal, comment }: PrepareOptions): Promise<PreparedAudio> {
		// A WAV's mark adds a few dozen bytes; ffmpeg's Ogg carries its own.
		const mark = markWav(data, { comment });
		// A streamed WAV (no data size in its header) can't take a chunk after its samples: it goes out unmarked.
		if (!mark && data.subarray(0, 4).toString('latin1') === 'RIFF') log.info({ bytes: data.length }, 'WAV output could not be marked as AI-generated');
		const marked = mark ?? data;
		if (marked.length <= uploadLimit) return { kind: 'file', file: { name, data: marked }, transcoded: false };
		if (ffmpegPath) {
			try {
				const opus = await transcodeToOpus(ffmpegPath, data, uploadLimit, signal, comment);
				if (opus) return { kind: 'file', file: { name: 'clone.ogg', data: opus }, transcoded: true };
			} catch (transcodeError) {
				// Stopping (or cancelled) is not ffmpeg's failure: the job pauses instead of settling for a link.
				if (signal?.aborted) throw transcodeError;
				log.warn({ err: transcodeError }, 'ffmpeg could not transcode the output');
			}
		}
		return { kind: 'link', bytes: data.length };
	}

	return {
		async voiceMessage(audio, uploadLimit, { signal, comment }) {
			if (!ffmpegPath) return undefined;
			try {
				return await toVoiceMessage(audio, ffmpegPath, { maxBytes: uploadLimit, signal, comment });
			} catch (error) {
				if (signal?.aborted) throw error;
				log.warn({ err: error }, 'could not make a voice message; sending an audio file');
				return undefined;
			}
		},

		async prepareJoined(mediaUrls, uploadLimit, options) {
			const { signal, comment } = options;
			const parts: Buffer[] = [];
			for (const url of mediaUrls) parts.push(await xtts.downloadMedia(url, { maxBytes: MAX_TRANSCODE_INPUT_BYTES, ...(signal ? { signal } : {}) }));
			// Cancel and shutdown stop an ffmpeg join too. Parts that are not WAV with no ffmpeg to join them throw an
			// AudioJoinError('needs-ffmpeg'): the member is told what the host is missing (jobs/failure.ts).
			const joined = await joinAudio(parts, { ffmpegPath, signal, comment });
			return fitToLimit(joined.data, `clone.${joined.ext}`, uploadLimit, options);
		},

		async prepare(mediaUrl, uploadLimit, options) {
			const { signal, comment } = options;
			try {
				const data = await xtts.downloadMedia(mediaUrl, { maxBytes: uploadLimit, ...(signal ? { signal } : {}) });
				return fitToLimit(data, await outputFileName(data.subarray(0, 4100), { url: mediaUrl }), uploadLimit, options);
			} catch (error) {
				if (!(error instanceof XttsError && error.kind === 'too-large')) throw error;
				if (!ffmpegPath) return { kind: 'link', bytes: error.bytes };
				let original: Buffer;
				try {
					original = await xtts.downloadMedia(mediaUrl, { maxBytes: MAX_TRANSCODE_INPUT_BYTES, ...(signal ? { signal } : {}) });
				} catch (tooBig) {
					if (tooBig instanceof XttsError && tooBig.kind === 'too-large') return { kind: 'link', bytes: tooBig.bytes ?? error.bytes };
					throw tooBig;
				}
				try {
					const data = await transcodeToOpus(ffmpegPath, original, uploadLimit, signal, comment);
					if (data) return { kind: 'file', file: { name: 'clone.ogg', data }, transcoded: true };
					log.info({ bytes: original.length, limit: uploadLimit }, 'even as Ogg/Opus the audio is over the upload limit');
				} catch (transcodeError) {
					if (signal?.aborted) throw transcodeError;
					log.warn({ err: transcodeError }, 'ffmpeg could not transcode the output; posting its link');
				}
				return { kind: 'link', bytes: original.length };
			}
		},
	};
}
