import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commentMetadataArgs, runFfmpeg } from './ffmpeg.js';

/**
 * Joins the audio of a text spoken in several parts (see text-split.ts) into one clip, in order, with
 * a short pause between parts where the sentence breaks were. PCM WAVs of one format (what XTTS returns)
 * are joined in plain JS, sample-exact and without ffmpeg; anything else goes through ffmpeg to Ogg/Opus.
 */

export const DEFAULT_PAUSE_MS = 350;
/** A pause longer than this is surely a mistake (and would cost memory for nothing). */
const MAX_PAUSE_MS = 10_000;

export type AudioJoinErrorKind =
	/** No parts were given. */
	| 'no-parts'
	/** The parts are not all PCM WAVs of one format and no ffmpeg was given. */
	| 'needs-ffmpeg'
	/** ffmpeg could not be started, failed or timed out (e.g. a part is not audio at all). */
	| 'ffmpeg-failed'
	/** The joined WAV would pass the 4 GiB a RIFF header can describe. */
	| 'too-large';

export class AudioJoinError extends Error {
	override readonly name = 'AudioJoinError';
	constructor(
		readonly kind: AudioJoinErrorKind,
		message: string,
		options?: { cause?: unknown },
	) {
		super(message, options);
	}
}

export interface JoinAudioOptions {
	/** ffmpeg with libopus (detectFfmpeg); needed only when the parts are not PCM WAVs of one format. */
	ffmpegPath?: string | undefined;
	/** Silence between parts, in ms (default 350). */
	pauseMs?: number | undefined;
	signal?: AbortSignal | undefined;
	/** Written into the Ogg's comment header when the parts are joined with ffmpeg (see ai-marking.ts). */
	comment?: string | undefined;
}

export async function joinAudio(parts: Buffer[], options: JoinAudioOptions): Promise<{ data: Buffer; ext: 'wav' | 'ogg' }> {
	const pauseMs = options.pauseMs ?? DEFAULT_PAUSE_MS;
	if (!Number.isFinite(pauseMs) || pauseMs < 0 || pauseMs > MAX_PAUSE_MS) throw new RangeError(`pauseMs must be within 0–${MAX_PAUSE_MS}, got ${pauseMs}`);
	if (parts.length === 0) throw new AudioJoinError('no-parts', 'there is no audio to join');

	const wavs = parts.map(parsePcmWav);
	const first = wavs[0];
	if (first && wavs.every((wav) => wav !== undefined && sameFormat(wav.format, first.format))) {
		return { data: joinWavs([first, ...(wavs.slice(1) as PcmWav[])], pauseMs), ext: 'wav' };
	}
	if (!options.ffmpegPath) {
		throw new AudioJoinError('needs-ffmpeg', 'the audio parts are not PCM WAVs of one format, and joining them needs ffmpeg');
	}
	return { data: await joinWithFfmpeg(parts, options.ffmpegPath, pauseMs, options.signal, options.comment), ext: 'ogg' };
}

// ---------------------------------------------------------------------------------------------------
// WAV, in plain JS

export interface WavFormat {
	/** 1 = integer PCM, 3 = IEEE float (WAVE_FORMAT_EXTENSIBLE resolved to its sub-format). */
	formatTag: 1 | 3;
	channels: number;
	sampleRate: number;
	/** Bytes per frame (one sample of every channel). */
	blockAlign: number;
	bitsPerSample: number;
}

export interface PcmWav {
	format: WavFormat;
	/** The `fmt ` chunk's body as written, reused for the output so that nothing of the format is lost. */
	fmtChunk: Buffer;
	/** The samples, cut to whole frames. */
	data: Buffer;
}

/** The GUID tail shared by the KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT sub-formats of WAVE_FORMAT_EXTENSIBLE. */
const SUBFORMAT_GUID_TAIL = Buffer.from('000000001000800000aa00389b71', 'hex');

/**
 * A RIFF/WAVE file of integer PCM (8, 16, 24 or 32 bit) or float (32, 64 bit) samples; undefined for
 * anything else (another container, a compressed codec, a broken header). Chunks are walked by their
 * sizes with the pad byte of odd ones; a `data` chunk whose size is unknown (0xFFFFFFFF or 0, as
 * streaming writers leave it) or overruns the file is read to the end of the file.
 */
export function parsePcmWav(buffer: Buffer): PcmWav | undefined {
	if (buffer.length < 12 || buffer.toString('latin1', 0, 4) !== 'RIFF' || buffer.toString('latin1', 8, 12) !== 'WAVE') return undefined;
	let format: WavFormat | undefined;
	let fmtChunk: Buffer | undefined;
	let offset = 12;
	while (offset + 8 <= buffer.length) {
		const id = buffer.toString('latin1', offset, offset + 4);
		const size = buffer.readUInt32LE(offset + 4);
		const body = offset + 8;
		if (id === 'fmt ') {
			if (size < 16 || body + size > buffer.length) return undefined;
			fmtChunk = buffer.subarray(body, body + size);
			format = readFormat(fmtChunk);
			if (!format) return undefined;
		} else if (id === 'data') {
			if (!format || !fmtChunk) return undefined;
			const available = buffer.length - body;
			const length = size === 0xffffffff || size === 0 || size > available ? available : size;
			const frames = Math.floor(length / format.blockAlign);
			return { format, fmtChunk, data: buffer.subarray(body, body + frames * format.blockAlign) };
		}
		offset = body + size + (size % 2);
	}
	return undefined;
}

function readFormat(fmt: Buffer): WavFormat | undefined {
	let tag = fmt.readUInt16LE(0);
	const channels = fmt.readUInt16LE(2);
	const sampleRate = fmt.readUInt32LE(4);
	const blockAlign = fmt.readUInt16LE(12);
	const bitsPerSample = fmt.readUInt16LE(14);
	if (tag === 0xfffe) {
		// WAVE_FORMAT_EXTENSIBLE: cbSize (22), valid bits, channel mask, then the sub-format GUID.
		if (fmt.length < 40 || !fmt.subarray(26, 40).equals(SUBFORMAT_GUID_TAIL)) return undefined;
		tag = fmt.readUInt16LE(24);
	}
	if (channels === 0 || sampleRate === 0 || blockAlign !== channels * Math.ceil(bitsPerSample / 8)) return undefined;
	if (tag === 1 && [8, 16, 24, 32].includes(bitsPerSample)) return { formatTag: 1, channels, sampleRate, blockAlign, bitsPerSample };
	if (tag === 3 && [32, 64].includes(bitsPerSample)) return { formatTag: 3, channels, sampleRate, blockAlign, bitsPerSample };
	return undefined;
}

function sameFormat(a: WavFormat, b: WavFormat): boolean {
	return (
		a.formatTag === b.formatTag &&
		a.channels === b.channels &&
		a.sampleRate === b.sampleRate &&
		a.blockAlign === b.blockAlign &&
		a.bitsPerSample === b.bitsPerSample
	);
}

function joinWavs([first, ...rest]: [PcmWav, ...PcmWav[]], pauseMs: number): Buffer {
	const wavs = [first, ...rest];
	const { format, fmtChunk } = first;
	// Whole frames of silence, so that every later part stays aligned on its frames.
	const pauseFrames = Math.round((pauseMs * format.sampleRate) / 1000);
	const pauseBytes = pauseFrames * format.blockAlign;
	// Silence is the mid value: 0 for signed and float samples, 0x80 for unsigned 8-bit PCM.
	const silenceByte = format.formatTag === 1 && format.bitsPerSample === 8 ? 0x80 : 0;

	const dataSize = wavs.reduce((sum, wav) => sum + wav.data.length, 0) + pauseBytes * (wavs.length - 1);
	const fmtPad = fmtChunk.length % 2;
	// A non-PCM format (float, or extensible) is to carry a `fact` chunk with the frame count.
	const fact = fmtChunk.readUInt16LE(0) !== 1;
	const headerSize = 12 + 8 + fmtChunk.length + fmtPad + (fact ? 12 : 0) + 8;
	const dataPad = dataSize % 2;
	const riffSize = headerSize - 8 + dataSize + dataPad;
	if (riffSize > 0xffffffff) throw new AudioJoinError('too-large', 'the joined audio is too long for a WAV file');

	const out = Buffer.alloc(headerSize + dataSize + dataPad);
	let offset = 0;
	offset += out.write('RIFF', offset, 'latin1');
	offset = out.writeUInt32LE(riffSize, offset);
	offset += out.write('WAVE', offset, 'latin1');
	offset += out.write('fmt ', offset, 'latin1');
	offset = out.writeUInt32LE(fmtChunk.length, offset);
	offset += fmtChunk.copy(out, offset) + fmtPad;
	if (fact) {
		offset += out.write('fact', offset, 'latin1');
		offset = out.writeUInt32LE(4, offset);
		offset = out.writeUInt32LE(dataSize / format.blockAlign, offset);
	}
	offset += out.write('data', offset, 'latin1');
	offset = out.writeUInt32LE(dataSize, offset);
	for (const [i, wav] of wavs.entries()) {
		if (i > 0) {
			out.fill(silenceByte, offset, offset + pauseBytes);
			offset += pauseBytes;
		}
		offset += wav.data.copy(out, offset);
	}
	return out; // the pad byte, if any, is already 0
}

// ---------------------------------------------------------------------------------------------------
// Anything else, with ffmpeg

/**
 * Each part is written to a file (ffmpeg probes a file more reliably than a pipe, e.g. an M4A with its
 * index at the end), resampled to 48 kHz mono, padded with the pause, and the lot concatenated and
 * encoded as Ogg/Opus, the format of Discord's voice messages.
 */
async function joinWithFfmpeg(
	parts: Buffer[],
	ffmpegPath: string,
	pauseMs: number,
	signal: AbortSignal | undefined,
	comment: string | undefined,
): Promise<Buffer> {
	const dir = await mkdtemp(join(tmpdir(), 'xtts-join-'));
	try {
		const inputs: string[] = [];
		for (const [i, part] of parts.entries()) {
			const path = join(dir, `part-${i}`);
			await writeFile(path, part);
			inputs.push('-i', path);
		}
		const pad = (pauseMs / 1000).toFixed(3);
		const chains = parts.map((_, i) => {
			const apad = i < parts.length - 1 && pauseMs > 0 ? `,apad=pad_dur=${pad}` : '';
			return `[${i}:a:0]aresample=48000,aformat=sample_fmts=flt:sample_rates=48000:channel_layouts=mono${apad}[a${i}]`;
		});
		const labels = parts.map((_, i) => `[a${i}]`).join('');
		const filter = `${chains.join(';')};${labels}concat=n=${parts.length}:v=0:a=1[out]`;
		const output = join(dir, 'joined.ogg');
		try {
			await runFfmpeg(
				ffmpegPath,
				[
					...inputs,
					'-filter_complex',
					filter,
					'-map',
					'[out]',
					'-c:a',
					'libopus',
					'-b:a',
					'48k',
					'-ar',
					'48000',
					'-ac',
					'1',
					...commentMetadataArgs(comment),
					'-f',
					'ogg',
					output,
				],
				{ signal },
			);
		} catch (error) {
			throw new AudioJoinError('ffmpeg-failed', `ffmpeg could not join the audio: ${(error as Error).message}`, { cause: error });
		}
		return await readFile(output);
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}
