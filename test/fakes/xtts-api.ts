/**
 * A loopback fake of the hosted XTTS v2 voice-clone API (gateway.pixazo.ai), following the provider's
 * documentation (shared/xtts-v2-api.md beside the project). It is a real node:http server on 127.0.0.1
 * (random port) that serves three surfaces from one origin:
 *
 *   POST /voice-clone/v1/xtts-v2/generate     → 202 { request_id, status: "QUEUED", polling_url }
 *   GET  /v2/requests/status/{request_id}     → 200 status JSON (each poll advances the job's script)
 *   GET  /media/{request_id}/output.ext       → the output bytes (stands in for the public R2 CDN: no key)
 *
 * It records every request, can inject faults per surface, and POSTs webhook callbacks.
 * Deterministic by design: no timers except `mediaDelayMs` and the `waitForRequest` timeout guard.
 *
 * Where the provider documentation is silent, the fake assumes (and says so here):
 * - request ids are `xtts-v2-api_<UUIDv7>` (the documented examples start with a time-ordered `019d…`);
 * - the key is checked by the gateway before anything else: a missing or wrong key is 401;
 * - the generate body must be sent as `Content-Type: application/json`, otherwise 400;
 * - validation failures are 400 `{ error: "Bad Request", message }`; `null` optional fields count as absent;
 * - unknown routes and unknown request ids are 404 `{ error: "Not Found", message }`;
 * - a media URL answers 404 until its job is COMPLETED; it never needs the key;
 * - webhooks are sent once per status change (creation is not a change), with no retries and no signature;
 *   `webhook_events_filter: ["completed"]` limits them to COMPLETED, FAILED and ERROR.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A request as the fake received it. `path` is the raw request target (path and query). */
export interface RecordedRequest {
	method: string;
	path: string;
	headers: Record<string, string | string[] | undefined>;
	/** Parsed JSON, or the raw text when it is not JSON, or undefined when the body was empty. */
	body: unknown;
	/** Date.now() when the request was fully read. */
	at: number;
}

/** A fault replaces the fake's normal answer to one request. */
export type Fault =
	/** Answer with this status; an object body is sent as JSON, a string as text/plain; no body → a plausible JSON error. */
	| { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
	/** Destroy the socket without answering (after reading the request). */
	| { kind: 'drop' }
	/** Never answer (until close()). */
	| { kind: 'hang' }
	/** Answer as usual, but only once `until` settles: the request stays on the wire meanwhile. */
	| { kind: 'delay'; until: Promise<unknown> };

export type XttsStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'ERROR';

export interface FakeJobOptions {
	/** Statuses returned by successive status polls; the last one repeats forever. Default ['QUEUED','PROCESSING','COMPLETED']. */
	script?: XttsStatus[];
	/** Error text for FAILED/ERROR (a default text is used otherwise). */
	error?: string;
	/**
	 * Output bytes, or a function of the job's index (0 for the first job created) giving each job its own.
	 * Default: makeWav() (0.5 s of 16 kHz mono 16-bit 440 Hz tone).
	 */
	media?: Buffer | ((index: number) => Buffer);
	/** Serve the media in chunks without a Content-Length (chunked transfer), as a CDN streaming it may. */
	chunkedMedia?: boolean;
	/** Options for a job by its generate request's text, over the others (a long text's parts, told apart). */
	byText?: (text: string) => Omit<FakeJobOptions, 'byText'> | undefined;
}

export interface FakeJob {
	id: string;
	chunkedMedia?: boolean;
	/** Media bytes handed to the socket so far (all downloads of this job). */
	mediaBytesSent: number;
	script: XttsStatus[];
	/** Number of status polls answered for this job. */
	polls: number;
	status: XttsStatus;
	/** Error text reported while the status is FAILED or ERROR. */
	error?: string | undefined;
	media: Buffer;
	webhookUrl?: string | undefined;
	eventsFilter?: string[] | undefined;
	createdAt: string;
	updatedAt: string;
	completedAt: string | null;
	/** The generate request's text. */
	text: string;
	/** Order of events at this fake: when the job was accepted, and when it first reached a final status. */
	acceptedSeq: number;
	finalSeq?: number;
}

export interface WebhookDelivery {
	url: string;
	body: unknown;
	/** The receiver's HTTP status, or 'network-error' when no response came back. */
	status: number | 'network-error';
}

export interface FakeXtts {
	/** 'http://127.0.0.1:PORT' */
	origin: string;
	apiKey: string;
	/** Every request received, in order (including media downloads). */
	requests: RecordedRequest[];
	generateRequests(): RecordedRequest[];
	statusRequests(requestId?: string): RecordedRequest[];
	mediaRequests(): RecordedRequest[];
	/** Each webhook attempt, in completion order (per job in transition order). */
	webhookDeliveries: WebhookDelivery[];
	/** Options applied to jobs created from now on (mutable). */
	nextJob: FakeJobOptions;
	jobs: Map<string, FakeJob>;
	/** If set, polling_url in 202 responses uses this origin instead (to test a foreign origin). */
	pollingOrigin?: string | undefined;
	/** Queue faults for the next generate calls (each consumed once). */
	failNextGenerate(...faults: Fault[]): void;
	/** Queue faults for the next status calls (each consumed once; a faulted poll does not advance the job). */
	failNextStatus(...faults: Fault[]): void;
	/** Queue faults for the next media downloads (each consumed once). */
	failNextMedia(...faults: Fault[]): void;
	/**
	 * Force a transition now and pin it: later polls keep returning `status`. If the status changed and
	 * a webhook is configured, POSTs it and resolves after that POST finished. Rejects for an unknown id.
	 */
	setStatus(requestId: string, status: XttsStatus, error?: string): Promise<void>;
	lastJobId(): string | undefined;
	/**
	 * The most jobs that were at the API at once (accepted and not yet final), as this fake saw them; with `groupOf`
	 * (of the job's text), the most of any one group.
	 */
	peakAtApi(groupOf?: (text: string) => string): number;
	/** Resolves on an existing or future matching request; rejects after timeoutMs (default 2000). */
	waitForRequest(pred: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
	/** Resolves once every webhook delivery started so far (e.g. by a poll) has finished. */
	idle(): Promise<void>;
	/** Closes the server, hanging requests, keep-alive sockets and in-flight webhooks. */
	close(): Promise<void>;
}

const MODEL_ID = 'xtts-v2-api';
const KEY_HEADER = 'ocp-apim-subscription-key';
const GENERATE_PATH = '/voice-clone/v1/xtts-v2/generate';
const STATUS_PREFIX = '/v2/requests/status/';
const MEDIA_RE = /^\/media\/([^/]+)\/output\.ext$/;
const DEFAULT_SCRIPT: readonly XttsStatus[] = ['QUEUED', 'PROCESSING', 'COMPLETED'];
const STATUSES: readonly XttsStatus[] = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'ERROR'];
const TERMINAL: ReadonlySet<XttsStatus> = new Set<XttsStatus>(['COMPLETED', 'FAILED', 'ERROR']);
const LANGUAGES: ReadonlySet<string> = new Set(['en', 'es', 'fr', 'de', 'it', 'pt', 'pl', 'tr', 'ru', 'nl', 'cs', 'ar', 'zh', 'hu', 'ko', 'hi']);
const DEFAULT_ERROR: Record<'FAILED' | 'ERROR', string> = {
	FAILED: 'Generation failed: the speaker audio could not be processed',
	ERROR: 'Internal error while processing the request',
};

type Route = 'generate' | 'status' | 'media' | 'other';

/** Builds a valid PCM 16-bit little-endian WAV holding a 440 Hz tone at quarter amplitude. */
export function makeWav(opts: { seconds?: number; sampleRate?: number; channels?: number } = {}): Buffer {
	const { seconds = 0.5, sampleRate = 16000, channels = 1 } = opts;
	if (!(seconds >= 0) || !Number.isFinite(seconds)) throw new RangeError(`bad seconds: ${seconds}`);
	if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`bad sampleRate: ${sampleRate}`);
	if (!Number.isInteger(channels) || channels <= 0) throw new RangeError(`bad channels: ${channels}`);
	const frames = Math.round(seconds * sampleRate);
	const blockAlign = channels * 2;
	const dataSize = frames * blockAlign;
	const buf = Buffer.alloc(44 + dataSize);
	buf.write('RIFF', 0, 'ascii');
	buf.writeUInt32LE(36 + dataSize, 4);
	buf.write('WAVE', 8, 'ascii');
	buf.write('fmt ', 12, 'ascii');
	buf.writeUInt32LE(16, 16); // fmt chunk size
	buf.writeUInt16LE(1, 20); // PCM
	buf.writeUInt16LE(channels, 22);
	buf.writeUInt32LE(sampleRate, 24);
	buf.writeUInt32LE(sampleRate * blockAlign, 28); // byte rate
	buf.writeUInt16LE(blockAlign, 32);
	buf.writeUInt16LE(16, 34); // bits per sample
	buf.write('data', 36, 'ascii');
	buf.writeUInt32LE(dataSize, 40);
	for (let i = 0; i < frames; i++) {
		const sample = Math.round(Math.sin((2 * Math.PI * 440 * i) / sampleRate) * 0.25 * 32767);
		for (let c = 0; c < channels; c++) buf.writeInt16LE(sample, 44 + i * blockAlign + c * 2);
	}
	return buf;
}

/** Starts the fake on 127.0.0.1 with a random port. */
export async function startFakeXtts(options: { apiKey?: string; mediaDelayMs?: number } = {}): Promise<FakeXtts> {
	const apiKey = options.apiKey ?? 'test-subscription-key';
	const mediaDelayMs = options.mediaDelayMs ?? 0;
	const defaultMedia = makeWav();

	const requests: RecordedRequest[] = [];
	const jobs = new Map<string, FakeJob>();
	let eventSeq = 0;
	const faults: Record<Exclude<Route, 'other'>, Fault[]> = { generate: [], status: [], media: [] };
	const waiters = new Set<{
		pred: (r: RecordedRequest) => boolean;
		resolve: (r: RecordedRequest) => void;
		reject: (e: Error) => void;
		timer: NodeJS.Timeout;
	}>();
	const mediaTimers = new Set<NodeJS.Timeout>();
	const webhookChains = new Map<string, Promise<void>>(); // per job, keeps deliveries in transition order
	const pendingWebhooks = new Set<Promise<void>>();
	const webhookAbort = new AbortController();
	let closing: Promise<void> | undefined;

	const server = createServer((req, res) => {
		handle(req, res).catch(() => {
			if (!res.headersSent) sendJson(res, 500, defaultBody(500, 'other'));
			else res.destroy();
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	const fake: FakeXtts = {
		origin,
		apiKey,
		requests,
		generateRequests: () => requests.filter((r) => routeOf(r.method, r.path).route === 'generate'),
		statusRequests: (requestId) =>
			requests.filter((r) => {
				const { route, id } = routeOf(r.method, r.path);
				return route === 'status' && (requestId === undefined || id === requestId);
			}),
		mediaRequests: () => requests.filter((r) => routeOf(r.method, r.path).route === 'media'),
		webhookDeliveries: [],
		nextJob: {},
		jobs,
		pollingOrigin: undefined,
		failNextGenerate: (...f) => void faults.generate.push(...f),
		failNextStatus: (...f) => void faults.status.push(...f),
		failNextMedia: (...f) => void faults.media.push(...f),
		async setStatus(requestId, status, error) {
			const job = jobs.get(requestId);
			if (!job) throw new Error(`setStatus: unknown request id ${requestId}`);
			if (!STATUSES.includes(status)) throw new Error(`setStatus: unknown status ${String(status)}`);
			job.script = [status]; // pinned: later polls keep answering this status
			await transition(job, status, error);
		},
		lastJobId: () => [...jobs.keys()].at(-1),
		peakAtApi(groupOf = () => '') {
			// +1 when accepted, -1 when final: the running count's highest point, per group.
			const events = [...jobs.values()].flatMap((job) => [
				{ seq: job.acceptedSeq, delta: 1, group: groupOf(job.text) },
				...(job.finalSeq === undefined ? [] : [{ seq: job.finalSeq, delta: -1, group: groupOf(job.text) }]),
			]);
			const counts = new Map<string, number>();
			let peak = 0;
			for (const event of events.sort((a, b) => a.seq - b.seq)) {
				const count = (counts.get(event.group) ?? 0) + event.delta;
				counts.set(event.group, count);
				peak = Math.max(peak, count);
			}
			return peak;
		},
		waitForRequest(pred, timeoutMs = 2000) {
			const found = requests.find(pred);
			if (found) return Promise.resolve(found);
			if (closing) return Promise.reject(new Error('waitForRequest: the fake is closed'));
			return new Promise<RecordedRequest>((resolve, reject) => {
				const waiter = {
					pred,
					resolve,
					reject,
					timer: setTimeout(() => {
						waiters.delete(waiter);
						const seen = requests.map((r) => `${r.method} ${r.path}`).join(', ') || 'none';
						reject(new Error(`waitForRequest: no matching request within ${timeoutMs} ms (received: ${seen})`));
					}, timeoutMs),
				};
				waiters.add(waiter);
			});
		},
		async idle() {
			while (pendingWebhooks.size > 0) await Promise.all([...pendingWebhooks]);
		},
		close() {
			closing ??= (async () => {
				for (const t of mediaTimers) clearTimeout(t);
				mediaTimers.clear();
				for (const w of waiters) {
					clearTimeout(w.timer);
					w.reject(new Error('waitForRequest: the fake was closed'));
				}
				waiters.clear();
				webhookAbort.abort();
				await fake.idle();
				await new Promise<void>((resolve) => {
					server.close(() => resolve());
					server.closeAllConnections();
				});
			})();
			return closing;
		},
	};

	function record(req: IncomingMessage, raw: Buffer): RecordedRequest {
		const rec: RecordedRequest = {
			method: req.method ?? 'GET',
			path: req.url ?? '/',
			headers: { ...req.headers },
			body: parseLoose(raw),
			at: Date.now(),
		};
		requests.push(rec);
		for (const w of waiters) {
			let matched: boolean;
			try {
				matched = w.pred(rec);
			} catch (e) {
				waiters.delete(w);
				clearTimeout(w.timer);
				w.reject(e instanceof Error ? e : new Error(String(e)));
				continue;
			}
			if (matched) {
				waiters.delete(w);
				clearTimeout(w.timer);
				w.resolve(rec);
			}
		}
		return rec;
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const raw = await readBody(req);
		const rec = record(req, raw);
		const { route, id } = routeOf(rec.method, rec.path);

		if (route === 'other') {
			sendJson(res, 404, { error: 'Not Found', message: `No route for ${rec.method} ${pathnameOf(rec.path)}` });
			return;
		}

		const fault = faults[route].shift();
		if (fault?.kind === 'delay') await fault.until.catch(() => undefined);
		else if (fault) {
			applyFault(fault, route, req, res);
			return;
		}

		if (route === 'media') {
			serveMedia(res, id);
			return;
		}

		if (!checkKey(req, res)) return;

		if (route === 'status') {
			const job = jobs.get(id);
			if (!job) {
				sendJson(res, 404, { error: 'Not Found', message: `Request '${id}' not found` });
				return;
			}
			const next = job.script[Math.min(job.polls, job.script.length - 1)] ?? job.status;
			job.polls++;
			// The poll answers at once; the webhook (if any) goes out in the background, see idle().
			void transition(job, next);
			sendJson(res, 200, statusJson(job, origin));
			return;
		}

		generate(req, res, raw);
	}

	function generate(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
		const contentType = req.headers['content-type'] ?? '';
		if (!/^application\/json\s*(;|$)/i.test(contentType)) {
			badRequest(res, "Content-Type must be 'application/json'");
			return;
		}
		let body: unknown;
		try {
			body = JSON.parse(raw.toString('utf8'));
		} catch {
			badRequest(res, 'Request body is not valid JSON');
			return;
		}
		if (typeof body !== 'object' || body === null || Array.isArray(body)) {
			badRequest(res, 'Request body must be a JSON object');
			return;
		}
		const input = body as Record<string, unknown>;
		const problem = validate(input);
		if (problem) {
			badRequest(res, problem);
			return;
		}

		const headerHook = req.headers['x-webhook-url'];
		const webhookUrl = typeof headerHook === 'string' && headerHook !== '' ? headerHook : (input.webhook ?? undefined);
		if (webhookUrl !== undefined && !isHttpUrl(webhookUrl)) {
			badRequest(res, "'X-Webhook-URL' must be an http(s) URL");
			return;
		}

		const id = `${MODEL_ID}_${uuidv7()}`;
		const now = new Date().toISOString();
		const opts = { ...fake.nextJob, ...fake.nextJob.byText?.(String(input.text)) };
		jobs.set(id, {
			id,
			script: opts.script && opts.script.length > 0 ? [...opts.script] : [...DEFAULT_SCRIPT],
			polls: 0,
			status: 'QUEUED',
			error: opts.error,
			media: (typeof opts.media === 'function' ? opts.media(jobs.size) : opts.media) ?? defaultMedia,
			...(opts.chunkedMedia ? { chunkedMedia: true } : {}),
			mediaBytesSent: 0,
			webhookUrl: webhookUrl as string | undefined,
			eventsFilter: (input.webhook_events_filter ?? undefined) as string[] | undefined,
			createdAt: now,
			updatedAt: now,
			completedAt: null,
			text: String(input.text),
			acceptedSeq: ++eventSeq,
		});
		sendJson(res, 202, {
			request_id: id,
			status: 'QUEUED',
			polling_url: `${fake.pollingOrigin ?? origin}${STATUS_PREFIX}${id}`,
		});
	}

	function serveMedia(res: ServerResponse, id: string): void {
		const job = jobs.get(id);
		if (job?.status !== 'COMPLETED') {
			sendText(res, 404, 'Not Found');
			return;
		}
		const media = job.media;
		const answer = (): void => {
			res.setHeader('Content-Type', 'application/octet-stream');
			if (!job.chunkedMedia) {
				res.setHeader('Content-Length', String(media.length));
				res.writeHead(200);
				job.mediaBytesSent += media.length;
				res.end(media); // node drops the body for HEAD
				return;
			}
			// 16 KiB at a time, each only once the socket took the last: a client that stops reading stops it.
			res.writeHead(200);
			let offset = 0;
			const more = (): void => {
				while (offset < media.length && !res.destroyed) {
					const chunk = media.subarray(offset, offset + 16 * 1024);
					offset += chunk.length;
					job.mediaBytesSent += chunk.length;
					if (!res.write(chunk)) return void res.once('drain', more);
				}
				if (!res.destroyed) res.end();
			};
			more();
		};
		if (mediaDelayMs <= 0) {
			answer();
			return;
		}
		const timer = setTimeout(() => {
			mediaTimers.delete(timer);
			answer();
		}, mediaDelayMs);
		mediaTimers.add(timer);
	}

	function checkKey(req: IncomingMessage, res: ServerResponse): boolean {
		const key = req.headers[KEY_HEADER];
		if (typeof key === 'string' && key === apiKey) return true;
		const missing = key === undefined || key === '';
		sendJson(res, 401, {
			error: 'Unauthorized',
			message: missing
				? 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.'
				: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
		});
		return false;
	}

	function applyFault(fault: Fault, route: Route, req: IncomingMessage, res: ServerResponse): void {
		switch (fault.kind) {
			case 'status': {
				const headers = fault.headers ?? (fault.status === 429 ? { 'Retry-After': '1' } : {});
				const body = fault.body === undefined ? defaultBody(fault.status, route) : fault.body;
				if (typeof body === 'string') sendText(res, fault.status, body, headers);
				else sendJson(res, fault.status, body, headers);
				return;
			}
			case 'drop':
				req.socket.destroy();
				return;
			case 'hang':
				return; // the socket stays open until the client gives up or close() runs
			case 'delay':
				return; // handled before the normal answer
		}
	}

	/** Applies a status change; fires (and returns) the webhook delivery when the status changed. */
	function transition(job: FakeJob, status: XttsStatus, error?: string): Promise<void> {
		if (error !== undefined) job.error = error;
		if (job.status === status) return Promise.resolve();
		const now = new Date().toISOString();
		job.status = status;
		job.updatedAt = now;
		job.completedAt = TERMINAL.has(status) ? now : null;
		if (TERMINAL.has(status) && job.finalSeq === undefined) job.finalSeq = ++eventSeq;
		const url = job.webhookUrl;
		const filter = job.eventsFilter ?? ['*'];
		if (url === undefined || !(filter.includes('*') || (filter.includes('completed') && TERMINAL.has(status)))) {
			return Promise.resolve();
		}
		const body = statusJson(job, origin);
		const delivery = (webhookChains.get(job.id) ?? Promise.resolve())
			.then(() => postJson(url, body, webhookAbort.signal))
			.then((result) => void fake.webhookDeliveries.push({ url, body, status: result }));
		webhookChains.set(job.id, delivery);
		pendingWebhooks.add(delivery);
		void delivery.then(() => pendingWebhooks.delete(delivery));
		return delivery;
	}

	return fake;
}

/** The status endpoint's JSON for a job (also the webhook payload). */
function statusJson(job: FakeJob, origin: string): Record<string, unknown> {
	const failed = job.status === 'FAILED' || job.status === 'ERROR';
	return {
		request_id: job.id,
		status: job.status,
		model_id: MODEL_ID,
		error: failed ? (job.error ?? DEFAULT_ERROR[job.status as 'FAILED' | 'ERROR']) : null,
		output: job.status === 'COMPLETED' ? { media_url: [`${origin}/media/${job.id}/output.ext`], media_type: 'application/octet-stream' } : null,
		created_at: job.createdAt,
		updated_at: job.updatedAt,
		completed_at: job.completedAt,
	};
}

/** Returns a problem message for an invalid generate body, or undefined. */
function validate(input: Record<string, unknown>): string | undefined {
	const present = (k: string): boolean => input[k] !== undefined && input[k] !== null;
	if (!present('speaker')) return "'speaker' is required";
	if (!isHttpUrl(input.speaker)) return "'speaker' must be an http(s) URL to an audio file";
	if (present('text') && typeof input.text !== 'string') return "'text' must be a string";
	if (present('language') && (typeof input.language !== 'string' || !LANGUAGES.has(input.language))) {
		return `'language' must be one of: ${[...LANGUAGES].join(', ')}`;
	}
	if (present('cleanup_voice') && typeof input.cleanup_voice !== 'boolean') return "'cleanup_voice' must be a boolean";
	if (present('webhook') && !isHttpUrl(input.webhook)) return "'webhook' must be an http(s) URL";
	if (present('webhook_events_filter')) {
		const f = input.webhook_events_filter;
		if (!Array.isArray(f) || !f.every((e) => e === '*' || e === 'completed')) {
			return '\'webhook_events_filter\' must be an array of "*" or "completed"';
		}
	}
	return undefined;
}

function isHttpUrl(value: unknown): value is string {
	if (typeof value !== 'string') return false;
	try {
		const u = new URL(value);
		return u.protocol === 'http:' || u.protocol === 'https:';
	} catch {
		return false;
	}
}

function routeOf(method: string, target: string): { route: Route; id: string } {
	const path = pathnameOf(target);
	if (method === 'POST' && path === GENERATE_PATH) return { route: 'generate', id: '' };
	if (method === 'GET' && path.startsWith(STATUS_PREFIX)) {
		const id = path.slice(STATUS_PREFIX.length);
		if (id !== '' && !id.includes('/')) return { route: 'status', id: safeDecode(id) };
	}
	const media = MEDIA_RE.exec(path);
	if ((method === 'GET' || method === 'HEAD') && media?.[1]) return { route: 'media', id: safeDecode(media[1]) };
	return { route: 'other', id: '' };
}

function defaultBody(status: number, route: Route): unknown {
	switch (status) {
		case 400:
			return route === 'generate'
				? { error: 'Model not found', message: `Model '${MODEL_ID}' not found or is disabled` }
				: { error: 'Bad Request', message: 'The request could not be understood' };
		case 401:
			return { error: 'Unauthorized', message: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.' };
		case 402:
			return { error: 'Insufficient Balance', message: 'Your wallet does not have enough balance.' };
		case 403:
			return { error: 'Forbidden', message: 'Your subscription does not have access to this API.' };
		case 404:
			return { error: 'Not Found', message: 'Resource not found' };
		case 429:
			return { error: 'Too Many Requests', message: 'Rate limit is exceeded. Try again in 1 seconds.' };
		case 500:
			return { error: 'Internal Server Error', message: 'An unexpected error occurred. Please try again later.' };
		default:
			return { error: STATUS_CODES[status] ?? 'Error', message: `HTTP ${status}` };
	}
}

function badRequest(res: ServerResponse, message: string): void {
	sendJson(res, 400, { error: 'Bad Request', message });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	send(res, status, Buffer.from(JSON.stringify(body)), 'application/json; charset=utf-8', headers);
}

function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
	send(res, status, Buffer.from(body), 'text/plain; charset=utf-8', headers);
}

function send(res: ServerResponse, status: number, payload: Buffer, type: string, headers: Record<string, string>): void {
	res.setHeader('Content-Type', type);
	res.setHeader('Content-Length', String(payload.length));
	for (const [name, value] of Object.entries(headers)) res.setHeader(name, value); // case-insensitive override
	res.writeHead(status);
	res.end(payload);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

function parseLoose(raw: Buffer): unknown {
	if (raw.length === 0) return undefined;
	const text = raw.toString('utf8');
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return text;
	}
}

function pathnameOf(target: string): string {
	try {
		return new URL(target, 'http://fake.invalid').pathname;
	} catch {
		return target;
	}
}

function safeDecode(s: string): string {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}

/** POSTs JSON without keep-alive; resolves with the response status or 'network-error'. */
function postJson(url: string, body: unknown, signal: AbortSignal): Promise<number | 'network-error'> {
	return new Promise((resolve) => {
		let target: URL;
		try {
			target = new URL(url);
		} catch {
			resolve('network-error');
			return;
		}
		const payload = Buffer.from(JSON.stringify(body));
		const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
		const req = send(
			target,
			{
				method: 'POST',
				agent: false,
				signal,
				headers: { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) },
			},
			(res) => {
				res.on('error', () => resolve('network-error'));
				res.on('end', () => resolve(res.statusCode ?? 0));
				res.on('close', () => resolve(res.complete ? (res.statusCode ?? 0) : 'network-error'));
				res.resume();
			},
		);
		req.on('error', () => resolve('network-error'));
		req.end(payload);
	});
}

/** A time-ordered UUID (version 7), like the documented `xtts-v2-api_019d…` ids. */
function uuidv7(): string {
	const b = randomBytes(16);
	b.writeUIntBE(Date.now(), 0, 6);
	b.writeUInt8((b.readUInt8(6) & 0x0f) | 0x70, 6);
	b.writeUInt8((b.readUInt8(8) & 0x3f) | 0x80, 8);
	const h = b.toString('hex');
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
