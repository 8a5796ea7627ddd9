import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { RESTOptions, ResponseLike } from 'discord.js';
import { request, type Dispatcher } from 'undici';

/**
 * The HTTP transport discord.js uses for REST calls, on our own undici 7 pool.
 *
 * Why: discord.js 14 ships undici 6, and undici 7 (ours) installs itself as the process-wide default
 * dispatcher when it loads. discord.js then hands its undici-6 FormData to undici 7, which fails on file
 * uploads ("action is not a function"). Encoding the multipart body here, and sending everything through
 * one explicit pool, keeps uploads independent of which undici loaded first.
 */
export interface DiscordDispatchers {
	/** Every REST call but the acknowledgements. */
	api: Dispatcher;
	/**
	 * Interaction callbacks, the answers Discord wants within 3 s, on connections of their own: they never wait
	 * for a connection behind uploads and edits that may hold every connection of `api`. Defaults to `api`.
	 */
	callbacks?: Dispatcher;
}

const CALLBACK_PATH = /\/interactions\/\d+\/[^/]+\/callback(?:\?|$)/;

export function createDiscordTransport({ api, callbacks = api }: DiscordDispatchers): RESTOptions['makeRequest'] {
	return async (url, init) => {
		const dispatcher = CALLBACK_PATH.test(url) ? callbacks : api;
		const headers = new Headers(init.headers as ConstructorParameters<typeof Headers>[0]);
		let body: string | Uint8Array | Readable | undefined;
		if (isFormData(init.body)) {
			const encoded = encodeMultipart(init.body);
			headers.set('content-type', encoded.contentType);
			headers.set('content-length', String(encoded.length));
			body = Readable.from(encoded.body(), { objectMode: false });
		} else if (typeof init.body === 'string' || init.body instanceof Uint8Array) {
			body = init.body;
		} else if (init.body instanceof ArrayBuffer) {
			body = new Uint8Array(init.body);
		} else if (init.body != null) {
			throw new TypeError('unsupported Discord request body');
		}
		const response = await request(url, {
			dispatcher,
			method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
			headers: Object.fromEntries(headers),
			body,
			signal: init.signal ?? undefined,
		});
		const responseHeaders = new Headers();
		for (const [name, value] of Object.entries(response.headers)) {
			if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item);
			else if (value !== undefined) responseHeaders.set(name, value);
		}
		return {
			body: response.body,
			arrayBuffer: () => response.body.arrayBuffer(),
			json: () => response.body.json(),
			text: () => response.body.text(),
			get bodyUsed() {
				return response.body.bodyUsed;
			},
			headers: responseHeaders,
			status: response.statusCode,
			statusText: '',
			ok: response.statusCode >= 200 && response.statusCode < 300,
		} as ResponseLike;
	};
}

interface FormDataLike {
	entries(): IterableIterator<[string, unknown]>;
}

function isFormData(body: unknown): body is FormDataLike {
	return Boolean(body && typeof body === 'object' && (body as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'FormData');
}

interface BlobLike {
	readonly size: number;
	stream(): AsyncIterable<Uint8Array>;
	type?: string;
	name?: string;
}

/**
 * multipart/form-data as RFC 7578 describes it (quotes and line breaks in names escaped as browsers do), as a
 * stream of its pieces with its length known beforehand: a file is read from discord.js's Blob as it is sent,
 * never copied whole once more.
 */
export function encodeMultipart(form: FormDataLike): { body: () => AsyncIterable<Uint8Array>; length: number; contentType: string } {
	const boundary = `----xtts-bot-${randomBytes(12).toString('hex')}`;
	const escapeQuoted = (value: string) => value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
	const pieces: (Uint8Array | BlobLike)[] = [];
	for (const [name, value] of form.entries()) {
		if (typeof value === 'string') {
			pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(name)}"\r\n\r\n${value}\r\n`));
			continue;
		}
		const blob = value as BlobLike;
		const filename = blob.name ?? 'blob';
		const type = blob.type || 'application/octet-stream';
		pieces.push(
			Buffer.from(
				`--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(name)}"; filename="${escapeQuoted(filename)}"\r\nContent-Type: ${type}\r\n\r\n`,
			),
			blob,
			Buffer.from('\r\n'),
		);
	}
	pieces.push(Buffer.from(`--${boundary}--\r\n`));
	const length = pieces.reduce((sum, piece) => sum + (piece instanceof Uint8Array ? piece.byteLength : piece.size), 0);
	async function* body(): AsyncIterable<Uint8Array> {
		for (const piece of pieces) {
			if (piece instanceof Uint8Array) yield piece;
			else yield* piece.stream();
		}
	}
	return { body, length, contentType: `multipart/form-data; boundary=${boundary}` };
}
