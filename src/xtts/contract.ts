import { z } from 'zod';
import type { LanguageCode } from './languages.js';

/**
 * The hosted XTTS v2 API's contract, exactly as ../shared/xtts-v2-api.md documents it: its statuses, its
 * errors, and the bodies it sends (status answers and webhook callbacks have one shape). No I/O here.
 */

export const XTTS_STATUSES = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'ERROR'] as const;
export type XttsStatus = (typeof XTTS_STATUSES)[number];
export const FINAL_STATUSES: ReadonlySet<XttsStatus> = new Set(['COMPLETED', 'FAILED', 'ERROR']);

export type XttsErrorKind =
	| 'bad-request' // 400, e.g. "Model not found"
	| 'auth' // 401 / 403: the key is wrong or lacks access
	| 'balance' // 402: the wallet is empty
	| 'rate-limited' // 429 that outlasted our retries
	| 'server' // 5xx
	| 'not-found' // 404 on a status request: the API doesn't know the request id
	| 'bad-response' // a body that isn't what the documentation promises
	| 'network' // connection refused / reset / timed out before an answer
	| 'too-large' // the output is over the caller's byte limit
	| 'download'; // the media URL could not be fetched

export class XttsError extends Error {
	override name = 'XttsError';
	readonly kind: XttsErrorKind;
	readonly status: number | undefined;
	/** The API's own `message`/`error` text, when it sent one. */
	readonly apiMessage: string | undefined;
	readonly retryAfterMs: number | undefined;
	/** True when a generate request may have created (and be charged for) a job despite the error. */
	readonly ambiguous: boolean;
	/** For 'too-large': the size the server announced, when it did. */
	readonly bytes: number | undefined;

	constructor(
		kind: XttsErrorKind,
		message: string,
		details: { status?: number; apiMessage?: string; retryAfterMs?: number; ambiguous?: boolean; bytes?: number; cause?: unknown } = {},
	) {
		super(message, details.cause === undefined ? undefined : { cause: details.cause });
		this.kind = kind;
		this.status = details.status;
		this.apiMessage = details.apiMessage;
		this.retryAfterMs = details.retryAfterMs;
		this.ambiguous = details.ambiguous ?? false;
		this.bytes = details.bytes;
	}

	/** Worth asking again later (the job itself may be fine). */
	get transient(): boolean {
		return this.kind === 'rate-limited' || this.kind === 'server' || this.kind === 'network' || this.kind === 'bad-response';
	}
}

export interface GenerateRequest {
	/** URL of 3–10 s of clear speech (wav, mp3, m4a, ogg or flv). */
	speaker: string;
	text: string;
	language: LanguageCode;
	cleanupVoice?: boolean;
	/** Where the API should POST status callbacks (sent as the X-Webhook-URL header). */
	webhookUrl?: string;
}

export interface SubmittedJob {
	requestId: string;
	status: XttsStatus;
	pollingUrl: string | undefined;
}

export interface JobStatus {
	requestId: string;
	status: XttsStatus;
	error: string | null;
	mediaUrls: string[];
	mediaType: string | undefined;
	/** The API's created_at and completed_at (ms, its clock), when the body has them: its own job time. */
	createdAt?: number;
	completedAt?: number;
}

export const submittedSchema = z.object({
	request_id: z.string().min(1),
	status: z.string(),
	polling_url: z.string().optional().nullable(),
});

const statusSchema = z.object({
	request_id: z.string().min(1).optional(),
	status: z.string(),
	error: z.string().nullable().optional(),
	output: z
		.object({
			media_url: z
				.union([z.array(z.string()), z.string()])
				.optional()
				.nullable(),
			media_type: z.string().optional().nullable(),
		})
		.nullable()
		.optional(),
});

/**
 * A status body, from the status endpoint or a webhook callback (the documentation gives both the same shape).
 * Undefined when it isn't one, or its status is not a documented value.
 */
export function parseStatusBody(body: unknown, requestId: string): JobStatus | undefined {
	const parsed = statusSchema.safeParse(body);
	if (!parsed.success) return undefined;
	const status = toStatus(parsed.data.status);
	if (!status) return undefined;
	const media = parsed.data.output?.media_url;
	return {
		requestId: parsed.data.request_id ?? requestId,
		status,
		error: parsed.data.error ?? null,
		mediaUrls: media == null ? [] : Array.isArray(media) ? media : [media],
		mediaType: parsed.data.output?.media_type ?? undefined,
		...timestamps(body),
	};
}

function timestamps(body: unknown): { createdAt?: number; completedAt?: number } {
	const created = Date.parse(String((body as { created_at?: unknown }).created_at ?? ''));
	const completed = completedAtOf(body);
	return { ...(Number.isFinite(created) ? { createdAt: created } : {}), ...(completed === undefined ? {} : { completedAt: completed }) };
}

/** A status body's `completed_at` (documented, ISO 8601) in ms, when it has a valid one. */
export function completedAtOf(body: unknown): number | undefined {
	const raw = (body as { completed_at?: unknown } | null | undefined)?.completed_at;
	if (typeof raw !== 'string') return undefined;
	const at = Date.parse(raw);
	return Number.isFinite(at) ? at : undefined;
}

export function toStatus(value: string): XttsStatus | undefined {
	const upper = value.toUpperCase();
	return (XTTS_STATUSES as readonly string[]).includes(upper) ? (upper as XttsStatus) : undefined;
}

export function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** The documented error bodies are `{ error, message }`; keep the human part, short. */
export function apiMessageOf(text: string): string | undefined {
	const body = parseJson(text);
	if (body && typeof body === 'object') {
		const { message, error } = body as { message?: unknown; error?: unknown };
		const picked = typeof message === 'string' && message ? message : typeof error === 'string' ? error : undefined;
		return picked?.slice(0, 300);
	}
	return undefined;
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
	if (!value) return undefined;
	const trimmed = value.trim();
	if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
	const date = Date.parse(trimmed);
	return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
