import { spawn } from 'node:child_process';

/** Running ffmpeg: the one place that spawns it, for transcoding, joining and voice messages. */

const FFMPEG_TIMEOUT_MS = 120_000;

export class FfmpegError extends Error {
	override readonly name = 'FfmpegError';
	constructor(
		message: string,
		/** ffmpeg's exit code; null when it was killed (timeout, abort, output limit) or never started. */
		readonly exitCode: number | null,
		readonly stderr: string,
		options?: { cause?: unknown; overLimit?: boolean },
	) {
		super(message, options);
		this.overLimit = options?.overLimit ?? false;
	}

	/** Stopped because its output passed the caller's byte limit. */
	readonly overLimit: boolean;
}

export interface RunFfmpegOptions {
	/** Written to ffmpeg's stdin (for `-i pipe:0`). */
	input?: Buffer | undefined;
	signal?: AbortSignal | undefined;
	timeoutMs?: number | undefined;
	/** ffmpeg is killed, and the call fails, once its stdout passes this many bytes. */
	maxOutputBytes?: number | undefined;
}

/** Runs ffmpeg quietly and resolves its stdout; rejects with FfmpegError when it fails. */
export function runFfmpeg(ffmpegPath: string, args: string[], options: RunFfmpegOptions = {}): Promise<Buffer> {
	const maxOutputBytes = options.maxOutputBytes ?? Number.POSITIVE_INFINITY;
	return new Promise((resolve, reject) => {
		const child = spawn(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], {
			stdio: ['pipe', 'pipe', 'pipe'],
			timeout: options.timeoutMs ?? FFMPEG_TIMEOUT_MS,
			killSignal: 'SIGKILL',
			...(options.signal ? { signal: options.signal } : {}),
		});
		const chunks: Buffer[] = [];
		let size = 0;
		let overLimit = false;
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > maxOutputBytes) {
				overLimit = true;
				child.kill('SIGKILL');
			} else chunks.push(chunk);
		});
		child.stderr.on('data', (chunk: Buffer) => {
			if (stderr.length < 4_000) stderr += chunk.toString();
		});
		child.once('error', (error) => reject(new FfmpegError(`ffmpeg could not run: ${error.message}`, null, stderr, { cause: error })));
		child.once('close', (code, signal) => {
			if (overLimit) return reject(new FfmpegError(`ffmpeg's output passed ${maxOutputBytes} bytes`, null, stderr, { overLimit: true }));
			if (code === 0) return resolve(Buffer.concat(chunks, size));
			const detail = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 300);
			reject(new FfmpegError(`ffmpeg exited with ${code ?? signal ?? 'an error'}${detail ? `: ${detail}` : ''}`, code, stderr));
		});
		// ffmpeg may stop reading early (an error, or killed): that's reported by 'close', not here.
		child.stdin.on('error', () => undefined);
		child.stdin.end(options.input);
	});
}

/** `-metadata comment=…` (ffmpeg writes it into Ogg as the Vorbis comment `DESCRIPTION=…`), or nothing. */
export function commentMetadataArgs(comment: string | undefined): string[] {
	return comment === undefined ? [] : ['-metadata', `comment=${comment}`];
}

/**
 * Ogg/Opus, 48 kHz mono: what Discord's own voice messages use. Resolves undefined when the result
 * would be over `maxBytes` (ffmpeg is stopped as soon as it is). A `comment` (see ai-marking.ts) is
 * written into the Ogg's comment header.
 */
export async function transcodeToOpus(
	ffmpegPath: string,
	input: Buffer,
	maxBytes: number,
	signal?: AbortSignal,
	comment?: string,
): Promise<Buffer | undefined> {
	const output = ['-c:a', 'libopus', '-b:a', '48k', ...commentMetadataArgs(comment), '-f', 'ogg', 'pipe:1'];
	try {
		return await runFfmpeg(ffmpegPath, ['-i', 'pipe:0', '-vn', '-ac', '1', '-ar', '48000', ...output], {
			input,
			signal,
			maxOutputBytes: maxBytes,
		});
	} catch (error) {
		if (error instanceof FfmpegError && error.overLimit) return undefined;
		throw error;
	}
}

/** The ffmpeg on the PATH, if it runs and can encode Opus. */
export function detectFfmpeg(command = 'ffmpeg'): Promise<string | undefined> {
	return new Promise((resolve) => {
		const child = spawn(command, ['-hide_banner', '-encoders'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.once('error', () => resolve(undefined));
		child.once('close', (code) => resolve(code === 0 && /libopus/.test(output) ? command : undefined));
	});
}
