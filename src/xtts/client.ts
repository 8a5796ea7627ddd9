import type { ApiObservation } from '../util/metrics.js';
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../util/logger.js';
import { describeNetworkError, download, DownloadError, headerValue } from '../util/http.js';
import { linkedSignal } from '../util/abort.js';
import { abortableSleep, type Sleep } from '../util/clock.js';

import {
	apiMessageOf,
	parseJson,
	parseRetryAfter,
	parseStatusBody,
	submittedSchema,
	toStatus,
	XttsError,
	type GenerateRequest,
	type JobStatus,
	type SubmittedJob,
} from './contract.js';

/**
 * The hosted XTTS v2 API, exactly as ../shared/xtts-v2-api.md documents it, and nothing Discord-specific.
 * Where the documentation is silent the assumptions are written next to the code that makes them.
 */

export interface RetryPolicy {
	/** Retries after the first attempt. */
	maxRetries: number;
	baseDelayMs: number;
	maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 4, baseDelayMs: 1_000, maxDelayMs: 30_000 };
/** The longest Retry-After honoured (a job's default lifetime); a longer one is taken as this. */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

export interface XttsClientOptions {
	/** The API origin; the key is sent to this origin and no other. */
	apiUrl: string;
	apiKey: string;
	dispatcher: Dispatcher;
	/** For media downloads (they never carry the key); defaults to `dispatcher`. */
	mediaDispatcher?: Dispatcher;
	logger: Logger;
	retry?: Partial<RetryPolicy>;
	/** Injected for tests: jitter source in [0, 1). */
	random?: () => number;
	sleep?: Sleep;
	now?: () => number;
	/** Told of every request to the API and every download: how long it took and how it ended (for metrics). */
	observe?: (observation: ApiObservation) => void;
}

export interface XttsClient {
	/**
	 * `signal` aborts everything, a request on the wire included (which may then have been charged without us
	 * knowing its id); `cancelWaits` ends only the waits between attempts, when nothing is on the wire.
	 */
	submit(job: GenerateRequest, options?: { signal?: AbortSignal; cancelWaits?: AbortSignal }): Promise<SubmittedJob>;
	getStatus(requestId: string, options?: { pollingUrl?: string; signal?: AbortSignal }): Promise<JobStatus>;
	downloadMedia(url: string, options: { maxBytes: number; signal?: AbortSignal }): Promise<Buffer>;
	/** The URL a status request for this job goes to (the polling_url only when it is on the API origin). */
	statusUrl(requestId: string, pollingUrl?: string): string;
}

export function createXttsClient(options: XttsClientOptions): XttsClient {
	const origin = new URL(options.apiUrl).origin;
	const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
	const random = options.random ?? Math.random;
	const sleep = options.sleep ?? abortableSleep;
	const now = options.now ?? Date.now;
	const log = options.logger.child({ component: 'xtts-client' });
	const mediaProtocols = [...new Set(['https:', new URL(origin).protocol])];

	const keyedHeaders = {
		'ocp-apim-subscription-key': options.apiKey,
		'cache-control': 'no-cache',
		accept: 'application/json',
	};

	function statusUrl(requestId: string, pollingUrl?: string): string {
		if (pollingUrl) {
			try {
				// The key goes with every status request, so a polling_url on any other origin is not followed.
				if (new URL(pollingUrl).origin === origin) return pollingUrl;
				log.warn({ requestId }, 'polling_url is not on the configured API origin; using the documented status path');
			} catch {
				log.warn({ requestId }, 'polling_url is not a URL; using the documented status path');
			}
		}
		return `${origin}/v2/requests/status/${encodeURIComponent(requestId)}`;
	}

	async function send(method: 'GET' | 'POST', url: string, body: string | undefined, extraHeaders: Record<string, string>, signal?: AbortSignal) {
		const started = now();
		const response = await request(url, {
			dispatcher: options.dispatcher,
			method,
			headers: { ...keyedHeaders, ...extraHeaders },
			body,
			signal,
		});
		const text = await response.body.text();
		log.debug({ method, path: new URL(url).pathname, status: response.statusCode, ms: now() - started }, 'xtts request');
		return { statusCode: response.statusCode, headers: response.headers, text };
	}

	/** Runs `attempt` again while `retryable` says so, waiting with exponential backoff, jitter and Retry-After. */
	async function withRetries<T>(
		label: string,
		attempt: () => Promise<T>,
		retryable: (error: XttsError) => boolean,
		signal?: AbortSignal,
		cancelWaits?: AbortSignal,
	): Promise<T> {
		for (let retry = 0; ; retry++) {
			try {
				return await attempt();
			} catch (error) {
				if (!(error instanceof XttsError) || !retryable(error) || retry >= policy.maxRetries || signal?.aborted) throw error;
				if (cancelWaits?.aborted) throw cancelWaits.reason;
				const delay = retryDelay(retry, error.retryAfterMs);
				log.info({ label, kind: error.kind, status: error.status, retry: retry + 1, delayMs: delay }, 'xtts request will be retried');
				const wait = linkedSignal(...[signal, cancelWaits].filter((given): given is AbortSignal => given !== undefined));
				try {
					await sleep(delay, wait.signal);
				} finally {
					wait.dispose();
				}
			}
		}
	}

	function retryDelay(retry: number, retryAfterMs: number | undefined): number {
		// The API's own word on when to come back is honoured; only an absurd one (over 10 minutes) is cut short.
		if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), MAX_RETRY_AFTER_MS);
		const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
		// "Equal jitter": never less than half the step, so the backoff still grows.
		return Math.round(ceiling / 2 + (random() * ceiling) / 2);
	}

	function errorFromResponse(statusCode: number, headers: Dispatcher.ResponseData['headers'], text: string, ambiguous: boolean): XttsError {
		const apiMessage = apiMessageOf(text);
		const retryAfterMs = parseRetryAfter(headerValue(headers['retry-after']), now());
		const details = { status: statusCode, apiMessage, retryAfterMs };
		switch (statusCode) {
			case 400:
				return new XttsError('bad-request', `XTTS API rejected the request (400${apiMessage ? `: ${apiMessage}` : ''})`, details);
			case 401:
			case 403:
				return new XttsError('auth', `XTTS API refused the key (${statusCode})`, details);
			case 402:
				return new XttsError('balance', 'XTTS API: insufficient balance (402)', details);
			case 404:
				return new XttsError('not-found', 'XTTS API does not know this request (404)', details);
			case 429:
				return new XttsError('rate-limited', 'XTTS API is rate limiting us (429)', details);
			default:
				if (statusCode >= 500) return new XttsError('server', `XTTS API server error (${statusCode})`, { ...details, ambiguous });
				return new XttsError('bad-response', `XTTS API answered an unexpected HTTP ${statusCode}`, { ...details, ambiguous });
		}
	}

	async function submitOnce(job: GenerateRequest, signal?: AbortSignal): Promise<SubmittedJob> {
		const body = JSON.stringify({
			speaker: job.speaker,
			text: job.text,
			language: job.language,
			...(job.cleanupVoice === undefined ? {} : { cleanup_voice: job.cleanupVoice }),
		});
		const headers: Record<string, string> = { 'content-type': 'application/json' };
		if (job.webhookUrl) headers['x-webhook-url'] = job.webhookUrl;

		let response: Awaited<ReturnType<typeof send>>;
		try {
			response = await send('POST', `${origin}/voice-clone/v1/xtts-v2/generate`, body, headers, signal);
		} catch (error) {
			if (signal?.aborted) throw error;
			const code = describeNetworkError(error);
			// Only a connection that never opened certainly created no job; anything later may have been charged.
			const certain = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'UND_ERR_CONNECT_TIMEOUT';
			throw new XttsError('network', `XTTS API unreachable (${code})`, { ambiguous: !certain, cause: error });
		}
		// 202 is documented; any other 2xx is taken as accepted too (assumption: same body).
		if (response.statusCode < 200 || response.statusCode >= 300) {
			throw errorFromResponse(response.statusCode, response.headers, response.text, true);
		}
		const parsed = submittedSchema.safeParse(parseJson(response.text));
		if (!parsed.success) {
			throw new XttsError('bad-response', 'XTTS API accepted the request but its answer has no request_id', {
				status: response.statusCode,
				ambiguous: true,
			});
		}
		return {
			requestId: parsed.data.request_id,
			status: toStatus(parsed.data.status) ?? 'QUEUED',
			pollingUrl: parsed.data.polling_url ?? undefined,
		};
	}

	async function statusOnce(requestId: string, pollingUrl: string | undefined, signal?: AbortSignal): Promise<JobStatus> {
		let response: Awaited<ReturnType<typeof send>>;
		try {
			response = await send('GET', statusUrl(requestId, pollingUrl), undefined, {}, signal);
		} catch (error) {
			if (signal?.aborted) throw error;
			throw new XttsError('network', `XTTS API unreachable (${describeNetworkError(error)})`, { cause: error });
		}
		if (response.statusCode !== 200) throw errorFromResponse(response.statusCode, response.headers, response.text, false);
		const body = parseJson(response.text);
		const status = parseStatusBody(body, requestId);
		if (!status) {
			const raw = (body as { status?: unknown } | undefined)?.status;
			throw new XttsError(
				'bad-response',
				typeof raw === 'string' ? `XTTS status answer has an unknown status "${raw.slice(0, 40)}"` : 'XTTS status answer is not the documented JSON',
				{ status: 200 },
			);
		}
		return status;
	}

	/** Times one attempt and tells `observe` how it ended. */
	async function observed<T>(kind: ApiObservation['kind'], attempt: () => Promise<T>, requestId?: string): Promise<T> {
		if (!options.observe) return attempt();
		const started = performance.now();
		const tell = (outcome: string) => options.observe?.({ kind, seconds: (performance.now() - started) / 1000, outcome, ...(requestId ? { requestId } : {}) });
		try {
			const result = await attempt();
			tell('ok');
			return result;
		} catch (error) {
			tell(error instanceof XttsError ? error.kind : error instanceof DownloadError ? `download-${error.kind}` : 'aborted');
			throw error;
		}
	}

	return {
		statusUrl,

		submit(job, { signal, cancelWaits } = {}) {
			// A double submit is a double charge: retry only what certainly created no job.
			return withRetries(
				'generate',
				() => observed('generate', () => submitOnce(job, signal)),
				(error) => error.kind === 'rate-limited' || (error.kind === 'network' && !error.ambiguous),
				signal,
				cancelWaits,
			);
		},

		getStatus(requestId, { pollingUrl, signal } = {}) {
			return withRetries(
				'status',
				() => observed('status', () => statusOnce(requestId, pollingUrl, signal), requestId),
				(error) => error.kind === 'rate-limited' || error.kind === 'server' || error.kind === 'network',
				signal,
			);
		},

		async downloadMedia(url, { maxBytes, signal }) {
			try {
				// The media lives on a CDN (R2): no key goes there.
				const result = await observed('download', () =>
					download(options.mediaDispatcher ?? options.dispatcher, url, { maxBytes, protocols: mediaProtocols, signal }),
				);
				return result.data;
			} catch (error) {
				if (error instanceof DownloadError) {
					throw new XttsError(error.kind === 'too-large' ? 'too-large' : 'download', error.message, {
						...(error.details.status === undefined ? {} : { status: error.details.status }),
						...(error.details.totalBytes === undefined ? {} : { bytes: error.details.totalBytes }),
						cause: error,
					});
				}
				throw error;
			}
		},
	};
}
