import { Agent, request, type Dispatcher } from 'undici';

/**
 * The keep-alive pool for every outgoing HTTP call that is not Discord's (discord.js has its own).
 * Timeouts are explicit so that a stuck peer can never hold a job forever.
 */
export function createHttpAgent(options: { connections?: number; connectTimeoutMs?: number; headersTimeoutMs?: number; bodyTimeoutMs?: number } = {}): Agent {
	return new Agent({
		keepAliveTimeout: 10_000,
		keepAliveMaxTimeout: 60_000,
		connections: options.connections ?? 64,
		connect: { timeout: options.connectTimeoutMs ?? 10_000 },
		headersTimeout: options.headersTimeoutMs ?? 30_000,
		bodyTimeout: options.bodyTimeoutMs ?? 60_000,
	});
}

/** Downloads follow at most this many redirects, each checked like the first URL. */
export const MAX_REDIRECTS = 3;

export class DownloadError extends Error {
	override name = 'DownloadError';
	constructor(
		message: string,
		readonly kind: 'too-large' | 'http-status' | 'network' | 'refused-url',
		readonly details: { status?: number; totalBytes?: number } = {},
		options?: ErrorOptions,
	) {
		super(message, options);
	}
}

export interface DownloadOptions {
	/** Refuse (and stop reading) past this many bytes. */
	maxBytes: number;
	/** Read only the first bytes (sent as a Range request, and cut off whatever the server sends). */
	headBytes?: number;
	/** URL schemes allowed, e.g. ['https:']. */
	protocols: readonly string[];
	signal?: AbortSignal;
}

export interface Downloaded {
	data: Buffer;
	/** The full size, when the server said it (Content-Length or Content-Range). */
	totalBytes: number | undefined;
	contentType: string | undefined;
}

/**
 * Streams a URL into memory, never holding more than `maxBytes` (or `headBytes`). Redirects are followed
 * by hand so that every hop must use an allowed scheme (no https → http downgrade).
 */
export async function download(dispatcher: Dispatcher, url: string, options: DownloadOptions): Promise<Downloaded> {
	const limit = options.headBytes ?? options.maxBytes;
	let target = url;
	let response: Dispatcher.ResponseData;
	for (let hop = 0; ; hop++) {
		let parsed: URL;
		try {
			parsed = new URL(target);
		} catch {
			throw new DownloadError('not a URL', 'refused-url');
		}
		if (!options.protocols.includes(parsed.protocol)) throw new DownloadError(`refused ${parsed.protocol} URL`, 'refused-url');
		try {
			response = await request(parsed, {
				dispatcher,
				method: 'GET',
				headers: options.headBytes ? { range: `bytes=0-${options.headBytes - 1}` } : {},
				signal: options.signal,
			});
		} catch (error) {
			if (options.signal?.aborted) throw error;
			throw new DownloadError(`download failed: ${describeNetworkError(error)}`, 'network', {}, { cause: error });
		}
		const location = headerValue(response.headers.location);
		if (response.statusCode < 300 || response.statusCode >= 400 || !location) break;
		await response.body.dump();
		if (hop >= MAX_REDIRECTS) throw new DownloadError('too many redirects', 'http-status', { status: response.statusCode });
		target = new URL(location, parsed).toString();
	}

	const { statusCode, headers, body } = response;
	if (statusCode !== 200 && statusCode !== 206) {
		await body.dump();
		throw new DownloadError(`download answered HTTP ${statusCode}`, 'http-status', { status: statusCode });
	}
	const totalBytes = totalSize(headers);
	if (!options.headBytes && totalBytes !== undefined && totalBytes > options.maxBytes) {
		discard(body);
		throw new DownloadError(`file is ${totalBytes} bytes, over the ${options.maxBytes} byte limit`, 'too-large', { totalBytes });
	}

	const chunks: Buffer[] = [];
	let received = 0;
	try {
		for await (const chunk of body as AsyncIterable<Buffer>) {
			const room = limit - received;
			if (chunk.length > room) {
				if (!options.headBytes) {
					throw new DownloadError(`file is over the ${options.maxBytes} byte limit`, 'too-large');
				}
				chunks.push(chunk.subarray(0, room));
				received += room;
				break;
			}
			chunks.push(chunk);
			received += chunk.length;
			if (options.headBytes && received >= limit) break;
		}
	} catch (error) {
		discard(body);
		if (error instanceof DownloadError || options.signal?.aborted) throw error;
		throw new DownloadError(`download failed: ${describeNetworkError(error)}`, 'network', {}, { cause: error });
	}
	discard(body);
	return { data: Buffer.concat(chunks, received), totalBytes, contentType: headerValue(headers['content-type']) };
}

/**
 * Stops reading a body early. undici reports a destroy before the end as an 'error' event, which would be an
 * uncaught exception (and a crashed bot) without a listener.
 */
function discard(body: Dispatcher.ResponseData['body']): void {
	if (body.destroyed) return;
	body.on('error', () => undefined);
	body.destroy();
}

function totalSize(headers: Dispatcher.ResponseData['headers']): number | undefined {
	const range = headerValue(headers['content-range'])?.match(/\/(\d+)$/);
	if (range) return Number(range[1]);
	const length = headerValue(headers['content-length']);
	return length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
}

export function headerValue(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

/** A short, secret-free description of a network failure (undici error codes are enough to act on). */
export function describeNetworkError(error: unknown): string {
	if (error && typeof error === 'object') {
		const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
		if (typeof code === 'string') return code;
		if (error instanceof Error) return error.name;
	}
	return 'unknown error';
}
