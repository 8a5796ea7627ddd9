import { runFfmpeg, transcodeToOpus } from './ffmpeg.js';

/**
 * Turns audio into what a Discord voice message carries (message flag IS_VOICE_MESSAGE): the clip as
 * Ogg/Opus 48 kHz mono, its `duration_secs` and its `waveform`, the base64 of up to 256 one-byte
 * amplitude points (0–255) the client draws as bars.
 */

export const WAVEFORM_MAX_POINTS = 256;
/** Ten bars a second, as Discord's own client draws short clips; longer clips are capped at 256. */
export const WAVEFORM_POINTS_PER_SECOND = 10;
/** Rate the clip is decoded at for measuring: plenty for a level meter, 16 KB a second. */
const ANALYSIS_RATE = 8000;

export type VoiceMessageErrorKind =
	/** ffmpeg could not run or failed (e.g. the input is not audio). */
	| 'ffmpeg-failed'
	/** The Ogg/Opus clip would pass `maxBytes`. */
	| 'too-large'
	/** The input decodes to no samples at all. */
	| 'no-audio';

export class VoiceMessageError extends Error {
	override readonly name = 'VoiceMessageError';
	constructor(
		readonly kind: VoiceMessageErrorKind,
		message: string,
		options?: { cause?: unknown },
	) {
		super(message, options);
	}
}

export interface VoiceMessage {
	/** Ogg/Opus, 48 kHz mono. */
	data: Buffer;
	/** Seconds, to the millisecond, as decoded from `data` itself. */
	durationSecs: number;
	/** Base64 of waveformPoints(durationSecs) bytes, 0 (silence) to 255 (full scale). */
	waveform: string;
}

export async function toVoiceMessage(
	audio: Buffer,
	ffmpegPath: string,
	options: {
		maxBytes?: number | undefined;
		signal?: AbortSignal | undefined;
		/** Written into the Ogg's comment header (see ai-marking.ts). */
		comment?: string | undefined;
	} = {},
): Promise<VoiceMessage> {
	const { maxBytes = Number.POSITIVE_INFINITY, signal, comment } = options;
	let data: Buffer | undefined;
	try {
		data = await transcodeToOpus(ffmpegPath, audio, maxBytes, signal, comment);
	} catch (error) {
		throw new VoiceMessageError('ffmpeg-failed', `ffmpeg could not encode the voice message: ${(error as Error).message}`, { cause: error });
	}
	if (!data) throw new VoiceMessageError('too-large', `the voice message would be over ${maxBytes} bytes`);

	// Measured on the Opus we send, not the input: its length is what the client will play.
	let pcm: Buffer;
	try {
		pcm = await runFfmpeg(ffmpegPath, ['-i', 'pipe:0', '-vn', '-ac', '1', '-ar', String(ANALYSIS_RATE), '-f', 's16le', 'pipe:1'], { input: data, signal });
	} catch (error) {
		throw new VoiceMessageError('ffmpeg-failed', `ffmpeg could not decode the voice message: ${(error as Error).message}`, { cause: error });
	}
	const samples = Math.floor(pcm.length / 2);
	if (samples === 0) throw new VoiceMessageError('no-audio', 'the audio has no samples');
	const durationSecs = samples / ANALYSIS_RATE;
	return {
		data,
		durationSecs: Math.round(durationSecs * 1000) / 1000,
		waveform: computeWaveform(pcm, waveformPoints(durationSecs)).toString('base64'),
	};
}

/** min(256, max(1, ceil(seconds × 10))): a bar per 100 ms, at least one, at most Discord's 256. */
export function waveformPoints(durationSecs: number): number {
	return Math.min(WAVEFORM_MAX_POINTS, Math.max(1, Math.ceil(durationSecs * WAVEFORM_POINTS_PER_SECOND)));
}

/**
 * One byte per bucket of mono signed 16-bit little-endian PCM, the samples shared out evenly over the
 * buckets. Each is the bucket's RMS, times √2 so that a full-scale sine reaches 1, under a square root
 * (like a level meter, so that speech, whose RMS is a small fraction of full scale, still draws
 * visible bars), scaled to 0–255. Silence gives 0.
 */
export function computeWaveform(pcm: Buffer, points: number = WAVEFORM_MAX_POINTS): Buffer {
	const samples = Math.floor(pcm.length / 2);
	const count = Math.max(1, Math.min(Math.floor(points), WAVEFORM_MAX_POINTS, Math.max(samples, 1)));
	const out = Buffer.alloc(count);
	for (let k = 0; k < count; k++) {
		const start = Math.floor((k * samples) / count);
		const end = Math.floor(((k + 1) * samples) / count);
		let sum = 0;
		for (let i = start; i < end; i++) sum += (pcm.readInt16LE(i * 2) / 32768) ** 2;
		const rms = end > start ? Math.sqrt(sum / (end - start)) : 0;
		out[k] = Math.round(Math.sqrt(Math.min(1, rms * Math.SQRT2)) * 255);
	}
	return out;
}
