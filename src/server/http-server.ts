import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../util/logger.js';

/**
 * The XTTS callback receiver and the health endpoint.
 * Callbacks arrive at `{WEBHOOK_PUBLIC_URL}/xtts/callback/{jobId}/{token}` where the token is an HMAC of the
 * job id, so nobody who doesn't hold the secret can forge a callback for a job.
 */

export const CALLBACK_PATH = '/xtts/callback';
const CALLBACK_PATTERN = /\/xtts\/callback\/([^/]+)\/([^/]+)$/;
/** A status body is a few hundred bytes; anything much larger is not from the API. */
export const MAX_CALLBACK_BYTES = 16 * 1024;

export function callbackToken(secret: string, jobId: string): string {
	return createHmac('sha256', secret).update(`xtts-callback:${jobId}`).digest('base64url');
}

export function callbackUrl(publicUrl: string, secret: string, jobId: string): string {
	return `${publicUrl.replace(/\/+$/, '')}${CALLBACK_PATH}/${encodeURIComponent(jobId)}/${callbackToken(secret, jobId)}`;
}

/**
 * 'taken' (200), 'unknown' job (404), 'invalid': not a status body (400), or 'elsewhere': a job this process
 * can't act on now (503, worth retrying).
 */
export type CallbackHandler = (jobId: string, body: unknown) => Promise<'taken' | 'unknown' | 'elsewhere' | 'invalid'>;

export interface HealthReport {
	ok: boolean;
	[key: string]: unknown;
}

export interface WebhookServerOptions {
	host: string;
	port: number;
	secret?: string;
	onCallback?: CallbackHandler;
	health: () => Promise<HealthReport>;
	/** GET /metrics (Prometheus text format); `token`, when set, is required as `Authorization: Bearer <token>`. */
	metrics?: { render(): Promise<{ contentType: string; body: string }>; token?: string | undefined };
	logger: Logger;
}

export interface WebhookServer {
	readonly port: number;
	close(): Promise<void>;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
	const log = options.logger.child({ component: 'webhook-server' });

	async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const url = new URL(request.url ?? '/', 'http://receiver');
		if (url.pathname === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
			const report = await options.health().catch((error: unknown) => ({ ok: false, error: String(error) }));
			return send(response, report.ok ? 200 : 503, report);
		}
		if (url.pathname === '/metrics' && options.metrics && (request.method === 'GET' || request.method === 'HEAD')) {
			const { token } = options.metrics;
			const given = /^Bearer\s+(\S+)\s*$/i.exec(headerOf(request, 'authorization'))?.[1] ?? '';
			if (token && !sameToken(given, token)) return send(response, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
			const { contentType, body } = await options.metrics.render();
			response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
			response.end(request.method === 'HEAD' ? undefined : body);
			return;
		}
		// Any prefix before the callback path is accepted: WEBHOOK_PUBLIC_URL may have a path that a proxy passes on.
		const match = CALLBACK_PATTERN.exec(url.pathname);
		if (!options.onCallback || !options.secret || !match) return send(response, 404, { error: 'not found' });
		if (request.method !== 'POST') return send(response, 405, { error: 'method not allowed' }, { allow: 'POST' });

		const jobId = safeDecode(match[1] ?? '');
		const token = safeDecode(match[2] ?? '');
		if (!jobId || !token) return send(response, 404, { error: 'not found' });
		if (!sameToken(token, callbackToken(options.secret, jobId))) {
			log.warn({ jobId }, 'callback with a wrong token refused');
			return send(response, 403, { error: 'forbidden' });
		}
		const declared = Number(request.headers['content-length'] ?? 0);
		if (declared > MAX_CALLBACK_BYTES) return send(response, 413, { error: 'body too large' }, { connection: 'close' });
		const raw = await readBody(request, MAX_CALLBACK_BYTES);
		if (raw === undefined) return send(response, 413, { error: 'body too large' }, { connection: 'close' });
		let body: unknown;
		try {
			body = JSON.parse(raw.toString('utf8'));
		} catch {
			return send(response, 400, { error: 'body is not JSON' });
		}
		if (!body || typeof body !== 'object' || Array.isArray(body)) return send(response, 400, { error: 'body is not a JSON object' });
		const outcome = await options.onCallback(jobId, body);
		if (outcome === 'invalid') return send(response, 400, { error: 'body is not a status' });
		if (outcome === 'unknown') return send(response, 404, { error: 'unknown job' });
		// The slow safety poll of the process running the job covers it if the API doesn't retry.
		if (outcome === 'elsewhere') return send(response, 503, { error: 'job not running here' }, { 'retry-after': '5' });
		return send(response, 200, { ok: true });
	}

	const server: Server = createServer((request, response) => {
		handle(request, response).catch((error: unknown) => {
			log.error({ err: error }, 'webhook request failed');
			if (!response.headersSent) send(response, 500, { error: 'internal error' });
		});
	});
	// Slow or idle peers don't get to hold sockets.
	server.requestTimeout = 10_000;
	server.headersTimeout = 5_000;
	server.keepAliveTimeout = 5_000;

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port, options.host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const port = (server.address() as AddressInfo).port;
	log.info({ host: options.host, port, callbacks: Boolean(options.onCallback) }, 'HTTP receiver listening');

	return {
		port,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

const headerOf = (request: IncomingMessage, name: string) => {
	const value = request.headers[name];
	return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
};

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
	response.end(text);
}

/** Reads at most `limit` bytes; undefined when the body is larger (the rest is not read). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		request.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				// Stop keeping it; the 413 goes out with Connection: close, which ends the upload.
				resolve(undefined);
				return;
			}
			chunks.push(chunk);
		});
		request.on('end', () => resolve(Buffer.concat(chunks)));
		request.on('error', reject);
	});
}

/** Compared as digests: in constant time, and without telling the expected token's length. */
function sameToken(given: string, expected: string): boolean {
	const digest = (value: string) => createHash('sha256').update(value).digest();
	return timingSafeEqual(digest(given), digest(expected));
}

function safeDecode(part: string): string {
	try {
		return decodeURIComponent(part);
	} catch {
		return '';
	}
}
