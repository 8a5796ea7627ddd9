/**
 * Loopback fake of Discord's HTTP API (v10) + attachment CDN, and helpers that
 * drive the REAL discord.js `Client` against it without a gateway connection.
 *
 * - The Client's REST layer (@discordjs/rest) builds URLs as
 *   `${rest.api}/v${rest.version}${route}${query}`, so `rest.api` must be
 *   `http://127.0.0.1:PORT/api` (no version, no trailing slash).
 * - Injected interactions go through `client.ws.handlePacket()`, i.e. the very
 *   dispatcher that runs `handlers/INTERACTION_CREATE.js`
 *   (`client.actions.InteractionCreate.handle(packet.d)`) for real gateway events.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
	ApplicationCommandType,
	ApplicationIntegrationType,
	ChannelType,
	Client,
	ClientApplication,
	ClientUser,
	Events,
	GatewayDispatchEvents,
	GatewayIntentBits,
	GatewayOpcodes,
	InteractionContextType,
	InteractionResponseType,
	InteractionType,
	MessageFlags,
	MessageType,
	PermissionFlagsBits,
	PermissionsBitField,
	SnowflakeUtil,
	Status,
	type APIApplicationCommand,
	type APIApplicationCommandInteractionDataOption,
	type APIAttachment,
	type APIChannel,
	type APIChatInputApplicationCommandInteraction,
	type APIInteraction,
	type APIInteractionDataResolved,
	type APIMessage,
	type APIUser,
	type ClientOptions,
	type Guild,
} from 'discord.js';

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/** Application id (= bot user id) used when none is given. */
export const DEFAULT_APPLICATION_ID = '1180000000000000001';
/** Guild id used by {@link chatInputPayload} when `guildId` is omitted. */
export const DEFAULT_GUILD_ID = '1180000000000000100';
/** Channel id used by {@link chatInputPayload} when `channelId` is omitted. */
export const DEFAULT_CHANNEL_ID = '1180000000000000200';
/** Id of the default invoking user. */
export const DEFAULT_USER_ID = '1180000000000000300';
/** Bot token given to clients made by {@link createTestClient} (sent as `Authorization: Bot <token>`). */
export const TEST_BOT_TOKEN = 'MTE4MDAwMDAwMDAwMDAwMDAwMQ.FAKE00.fake-discord-bot-token-for-tests';
/** Discord's default (non-boosted) upload limit: 10 MiB. */
export const DEFAULT_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024;

/** Permissions a typical bot has in a guild text channel / bot DM (used for `app_permissions`). */
export const DEFAULT_APP_PERMISSIONS = PermissionsBitField.resolve([
	PermissionFlagsBits.ViewChannel,
	PermissionFlagsBits.SendMessages,
	PermissionFlagsBits.SendMessagesInThreads,
	PermissionFlagsBits.EmbedLinks,
	PermissionFlagsBits.AttachFiles,
	PermissionFlagsBits.ReadMessageHistory,
	PermissionFlagsBits.AddReactions,
	PermissionFlagsBits.UseExternalEmojis,
	PermissionFlagsBits.UseApplicationCommands,
]).toString();
/** Permissions of an ordinary member (Discord's default @everyone set). */
export const DEFAULT_MEMBER_PERMISSIONS = PermissionsBitField.Default.toString();

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/** One uploaded multipart file part. */
export interface RecordedFile {
	fieldName: string;
	filename: string;
	contentType?: string;
	data: Buffer;
}

/** A request that reached the fake API (everything under `/api`). */
export interface RecordedDiscordRequest {
	method: string;
	/**
	 * Path without the `/api/v10` prefix, percent-decoded per segment, e.g. `/interactions/123/tok/callback` or
	 * `/webhooks/1/tok/messages/@original` (discord-api-types' Routes send `@original` as `%40original`).
	 */
	path: string;
	/** The path as sent (still percent-encoded), without the `/api/v10` prefix. */
	rawPath: string;
	/** Raw query string without the leading `?` (e.g. `with_response=false`), '' if none. */
	query: string;
	headers: Record<string, string | string[] | undefined>;
	/** Parsed `payload_json` (multipart) or JSON body; for multipart without payload_json the string fields; `undefined` if no body. */
	json: any;
	files: RecordedFile[];
	/** `Date.now()` when the request arrived (its headers were parsed; before its body was read and answered). */
	at: number;
}

/** What the fake answers with. `body` objects are JSON encoded; strings/Buffers are sent raw; omitted → empty body. */
export interface FakeAnswer {
	status: number;
	body?: unknown;
	headers?: Record<string, string>;
}

export type FakeAnswerFn = (req: RecordedDiscordRequest) => FakeAnswer | Promise<FakeAnswer>;

/** A request made to the fake CDN (`/attachments/...`). */
export interface AttachmentRequest {
	method: string;
	path: string;
	range?: string;
}

export interface FakeDiscord {
	/** Value for the Client's `rest.api`, e.g. `http://127.0.0.1:PORT/api`. */
	apiUrl: string;
	/** `http://127.0.0.1:PORT` */
	origin: string;
	/** Where attachments are served: `origin`, or an origin of its own with `startFakeDiscord({ separateCdn: true })`. */
	cdnOrigin: string;
	/** Every API request received, in arrival order (recorded before the answer is sent). */
	requests: RecordedDiscordRequest[];
	/** Author used for channel messages (set by {@link createTestClient}). */
	botUser: APIUser;
	/**
	 * Serve `data` on the fake CDN and return its URL (`${cdnOrigin}/attachments/<id>/<filename>`).
	 * GET/HEAD supported, including single `Range: bytes=…` requests (206 / 416).
	 */
	addAttachment(filename: string, data: Buffer, contentType?: string): string;
	/** CDN requests received so far (also includes fetches of files uploaded through the API). */
	attachmentRequests(): AttachmentRequest[];
	/** Make `GET /channels/:id` answer with this channel (otherwise 404 Unknown Channel). */
	addChannel(channel: APIChannel): void;
	/**
	 * Override the answer for `method` (case-insensitive, `'*'` = any) + `pathPattern` (tested against
	 * `path`, i.e. without `/api/v10` and without the query). Overrides are checked in registration
	 * order, before the default routes; the first match wins and is removed when `once` is true.
	 * The request is recorded either way.
	 */
	respond(method: string, pathPattern: RegExp, answer: FakeAnswer | FakeAnswerFn, once?: boolean): void;
	/** Resolve with the first recorded request (already received or future) matching `pred`; rejects after `timeoutMs` (default 3000). */
	waitForRequest(pred: (r: RecordedDiscordRequest) => boolean, timeoutMs?: number): Promise<RecordedDiscordRequest>;
	/**
	 * Tell the fake about an interaction so that its messages get the right channel_id / interaction_metadata and
	 * uploads are checked against its `attachment_size_limit`. {@link injectInteraction} calls this automatically
	 * for clients made by {@link createTestClient}.
	 */
	registerInteraction(payload: APIInteraction): void;
	/** Current state of a stored message (as it would be returned by GET), or undefined if unknown/deleted. */
	getMessage(messageId: string): APIMessage | undefined;
	/** Stops the server (and drops keep-alive connections); pending waitForRequest calls reject. */
	close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** A fresh snowflake for "now". */
export function snowflake(): string {
	return SnowflakeUtil.generate().toString();
}

function randomToken(id: string): string {
	const rand = randomBytes(48).toString('base64url');
	return `aW50ZXJhY3Rpb246${Buffer.from(id).toString('base64url')}${rand}`;
}

function apiError(status: number, code: number, message: string, errors?: unknown): FakeAnswer {
	return { status, body: errors === undefined ? { message, code } : { message, code, errors } };
}

const NOT_FOUND = (): FakeAnswer => apiError(404, 0, '404: Not Found');
const UNAUTHORIZED = (): FakeAnswer => apiError(401, 0, '401: Unauthorized');
const UNKNOWN_MESSAGE = (): FakeAnswer => apiError(404, 10008, 'Unknown Message');
const UNKNOWN_WEBHOOK = (): FakeAnswer => apiError(404, 10015, 'Unknown Webhook');
const INVALID_WEBHOOK_TOKEN = (): FakeAnswer => apiError(401, 50027, 'Invalid Webhook Token');

function formError(path: string[], code: string, message: string): FakeAnswer {
	let errors: Record<string, unknown> = { _errors: [{ code, message }] };
	for (const key of [...path].reverse()) errors = { [key]: errors };
	return apiError(400, 50035, 'Invalid Form Body', errors);
}

const MIME_BY_EXT: Record<string, string> = {
	wav: 'audio/x-wav',
	mp3: 'audio/mpeg',
	ogg: 'audio/ogg',
	oga: 'audio/ogg',
	opus: 'audio/ogg',
	flac: 'audio/flac',
	m4a: 'audio/mp4',
	aac: 'audio/aac',
	webm: 'video/webm',
	mp4: 'video/mp4',
	png: 'image/png',
	jpg: 'image/jpeg',
	jpeg: 'image/jpeg',
	gif: 'image/gif',
	webp: 'image/webp',
	txt: 'text/plain; charset=utf-8',
	json: 'application/json; charset=utf-8',
};

function guessContentType(filename: string, given?: string): string | undefined {
	const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase();
	const byExt = ext ? MIME_BY_EXT[ext] : undefined;
	if (byExt) return byExt;
	if (given && given !== 'application/octet-stream') return given;
	return undefined;
}

function decodePath(path: string): string {
	return path
		.split('/')
		.map((seg) => {
			try {
				return decodeURIComponent(seg);
			} catch {
				return seg;
			}
		})
		.join('/');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

async function parseBody(contentType: string | undefined, body: Buffer, origin: string): Promise<{ json: any; files: RecordedFile[] }> {
	if (body.length === 0) return { json: undefined, files: [] };
	const ct = contentType ?? '';
	if (/^multipart\/form-data/i.test(ct)) {
		const form = await new Request(origin, { method: 'POST', headers: { 'content-type': ct }, body: new Uint8Array(body) }).formData();
		const files: RecordedFile[] = [];
		const fields: Record<string, string> = {};
		let json: any;
		for (const [name, value] of form.entries()) {
			if (typeof value === 'string') {
				if (name === 'payload_json') json = JSON.parse(value);
				else fields[name] = value;
			} else {
				files.push({
					fieldName: name,
					filename: value.name,
					...(value.type ? { contentType: value.type } : {}),
					data: Buffer.from(await value.arrayBuffer()),
				});
			}
		}
		if (json === undefined && Object.keys(fields).length > 0) json = fields;
		return { json, files };
	}
	const text = body.toString('utf8');
	if (/json/i.test(ct)) return { json: JSON.parse(text), files: [] };
	try {
		return { json: JSON.parse(text), files: [] };
	} catch {
		return { json: text, files: [] };
	}
}

function sendAnswer(res: ServerResponse, answer: FakeAnswer, head = false): void {
	const headers: Record<string, string> = { ...answer.headers };
	let payload: Buffer | undefined;
	if (answer.status !== 204 && answer.body !== undefined) {
		if (Buffer.isBuffer(answer.body)) {
			payload = answer.body;
			headers['content-type'] ??= 'application/octet-stream';
		} else if (typeof answer.body === 'string') {
			payload = Buffer.from(answer.body);
			headers['content-type'] ??= 'text/plain; charset=utf-8';
		} else {
			payload = Buffer.from(JSON.stringify(answer.body));
			headers['content-type'] ??= 'application/json';
		}
	}
	if (payload && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
		headers['content-length'] = String(payload.length);
	}
	res.writeHead(answer.status, headers);
	res.end(head ? undefined : payload);
}

/** Parses a single `bytes=` range. Returns null if absent/unsupported (→ full body), 'unsatisfiable' for 416. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
	if (!header) return null;
	const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
	if (!m) return null; // multiple ranges or other units: serve the whole entity (allowed by RFC 9110)
	const [, s, e] = m as unknown as [string, string, string];
	if (s === '' && e === '') return null;
	let start: number;
	let end: number;
	if (s === '') {
		const suffix = Number(e);
		if (suffix === 0) return 'unsatisfiable';
		start = Math.max(0, size - suffix);
		end = size - 1;
	} else {
		start = Number(s);
		end = e === '' ? size - 1 : Math.min(Number(e), size - 1);
		if (e !== '' && Number(e) < start) return null;
	}
	if (start >= size) return 'unsatisfiable';
	return { start, end };
}

// ---------------------------------------------------------------------------
// The fake server
// ---------------------------------------------------------------------------

interface StoredAttachment {
	data: Buffer;
	contentType?: string;
}

interface InteractionState {
	id: string;
	token: string;
	applicationId: string;
	type: InteractionType;
	commandType?: ApplicationCommandType;
	commandName?: string;
	channelId: string;
	user?: APIUser;
	authorizingIntegrationOwners: Record<string, string>;
	attachmentSizeLimit: number;
	/** Message a component interaction was attached to. */
	componentMessageId?: string;
}

interface TokenState {
	applicationId: string;
	interactionId: string;
	acknowledged: boolean;
	originalId?: string;
	/** Ids of messages created with this token (followups + original). */
	messageIds: Set<string>;
}

interface Override {
	method: string;
	pattern: RegExp;
	answer: FakeAnswer | FakeAnswerFn;
	once: boolean;
}

interface Waiter {
	pred: (r: RecordedDiscordRequest) => boolean;
	resolve: (r: RecordedDiscordRequest) => void;
	reject: (e: Error) => void;
	timer: NodeJS.Timeout;
}

type Ctx = { channelId: string; ephemeral: boolean; sizeLimit: number };

/**
 * Start the fake Discord API + CDN on an ephemeral loopback port. With `separateCdn` the CDN listens on a port of
 * its own, as Discord's (cdn.discordapp.com) is another host than its API: a client then keeps separate
 * connection pools for the two, as it does in production.
 */
export async function startFakeDiscord(options: { separateCdn?: boolean } = {}): Promise<FakeDiscord> {
	const requests: RecordedDiscordRequest[] = [];
	const cdnRequests: AttachmentRequest[] = [];
	const cdn = new Map<string, StoredAttachment>(); // key: path below /attachments
	const channels = new Map<string, APIChannel>();
	const overrides: Override[] = [];
	const waiters = new Set<Waiter>();
	const interactions = new Map<string, InteractionState>(); // by interaction id
	const tokens = new Map<string, TokenState>(); // by interaction token
	const messages = new Map<string, APIMessage>();
	const commands = new Map<string, APIApplicationCommand[]>(); // `${appId}:${guildId|'global'}`
	let origin = '';
	let cdnOrigin = '';

	const fake: FakeDiscord = {
		apiUrl: '',
		origin: '',
		cdnOrigin: '',
		requests,
		botUser: makeBotUser(DEFAULT_APPLICATION_ID),
		addAttachment(filename, data, contentType) {
			const id = snowflake();
			const key = `/${id}/${encodeURIComponent(filename)}`;
			cdn.set(key, { data: Buffer.from(data), ...(contentType ? { contentType } : {}) });
			return `${cdnOrigin}/attachments${key}`;
		},
		attachmentRequests: () => cdnRequests.map((r) => ({ ...r })),
		addChannel(channel) {
			channels.set(channel.id, channel);
		},
		respond(method, pathPattern, answer, once = false) {
			overrides.push({ method: method.toUpperCase(), pattern: pathPattern, answer, once });
		},
		waitForRequest(pred, timeoutMs = 3000) {
			const existing = requests.find(pred);
			if (existing) return Promise.resolve(existing);
			return new Promise<RecordedDiscordRequest>((resolve, reject) => {
				const waiter: Waiter = {
					pred,
					resolve,
					reject,
					timer: setTimeout(() => {
						waiters.delete(waiter);
						const seen = requests.map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ''}`).join(', ');
						reject(new Error(`waitForRequest: no matching request within ${timeoutMs}ms (received: ${seen || 'none'})`));
					}, timeoutMs),
				};
				waiters.add(waiter);
			});
		},
		registerInteraction(payload) {
			const p = payload as APIInteraction & Record<string, any>;
			const user: APIUser | undefined = p.user ?? p.member?.user;
			const state: InteractionState = {
				id: p.id,
				token: p.token,
				applicationId: p.application_id,
				type: p.type,
				...(p.data && 'type' in p.data && p.type !== InteractionType.MessageComponent
					? { commandType: (p.data as { type: ApplicationCommandType }).type }
					: {}),
				...(p.data && 'name' in p.data ? { commandName: String((p.data as { name: string }).name) } : {}),
				channelId: p.channel?.id ?? p.channel_id ?? DEFAULT_CHANNEL_ID,
				...(user ? { user } : {}),
				authorizingIntegrationOwners: { ...(p.authorizing_integration_owners ?? {}) },
				attachmentSizeLimit: p.attachment_size_limit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT,
			};
			if (p.message) {
				messages.set(p.message.id, structuredClone(p.message));
				state.componentMessageId = p.message.id;
			}
			interactions.set(p.id, state);
		},
		getMessage: (id) => {
			const m = messages.get(id);
			return m ? structuredClone(m) : undefined;
		},
		async close() {
			for (const w of waiters) {
				clearTimeout(w.timer);
				w.reject(new Error('fake Discord closed'));
			}
			waiters.clear();
			await Promise.all(
				[server, ...(cdnServer ? [cdnServer] : [])].map(
					(listening) =>
						new Promise<void>((resolve) => {
							listening.close(() => resolve());
							listening.closeAllConnections();
						}),
				),
			);
		},
	};

	// ---- message helpers ---------------------------------------------------

	function makeAttachment(file: RecordedFile, meta: Record<string, any>, ctx: Ctx): APIAttachment {
		const id = snowflake();
		const filename = typeof meta.filename === 'string' ? meta.filename : file.filename;
		const contentType = guessContentType(filename, file.contentType);
		const key = `/${ctx.channelId}/${id}/${encodeURIComponent(filename)}`;
		cdn.set(key, { data: file.data, ...(contentType ? { contentType } : {}) });
		const att: APIAttachment & Record<string, unknown> = {
			id,
			filename,
			size: file.data.length,
			url: `${cdnOrigin}/attachments${key}`,
			proxy_url: `${cdnOrigin}/media/attachments${key}`,
			...(contentType ? { content_type: contentType } : {}),
		};
		if (typeof meta.description === 'string') att.description = meta.description;
		if (typeof meta.title === 'string') att.title = meta.title;
		if (typeof meta.duration_secs === 'number') att.duration_secs = meta.duration_secs;
		if (typeof meta.waveform === 'string') att.waveform = meta.waveform;
		if (typeof meta.flags === 'number') att.flags = meta.flags;
		if (ctx.ephemeral) att.ephemeral = true;
		return att;
	}

	/** v10 semantics: `attachments` (if given) is the complete list; entries are existing ids or `files[n]` indexes. */
	function resolveAttachments(payload: Record<string, any>, files: RecordedFile[], existing: APIAttachment[], ctx: Ctx): APIAttachment[] | FakeAnswer {
		for (const f of files) {
			if (f.data.length > ctx.sizeLimit) return apiError(413, 40005, 'Request entity too large');
		}
		const byIndex = new Map<string, RecordedFile>();
		files.forEach((f, i) => {
			byIndex.set(/^files\[(\d+)\]$/.exec(f.fieldName)?.[1] ?? String(i), f);
		});
		if (!Array.isArray(payload.attachments)) {
			return [...existing, ...files.map((f) => makeAttachment(f, {}, ctx))];
		}
		const used = new Set<RecordedFile>();
		const out: APIAttachment[] = [];
		for (const entry of payload.attachments as Array<Record<string, any>>) {
			const id = String(entry.id);
			const file = byIndex.get(id);
			if (file) {
				used.add(file);
				out.push(makeAttachment(file, entry, ctx));
				continue;
			}
			const kept = existing.find((a) => a.id === id);
			if (kept) out.push(typeof entry.description === 'string' ? { ...kept, description: entry.description } : kept);
		}
		for (const f of files) if (!used.has(f)) out.push(makeAttachment(f, {}, ctx));
		return out;
	}

	function validateContent(m: APIMessage): FakeAnswer | undefined {
		if (m.content.length > 2000) return formError(['content'], 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.');
		const isV2 = ((m.flags ?? 0) & MessageFlags.IsComponentsV2) !== 0;
		const empty =
			m.content === '' &&
			m.embeds.length === 0 &&
			m.attachments.length === 0 &&
			(m.components?.length ?? 0) === 0 &&
			!(m as { poll?: unknown }).poll &&
			!(m as { sticker_items?: unknown[] }).sticker_items?.length;
		if (empty && !isV2) return apiError(400, 50006, 'Cannot send an empty message');
		return undefined;
	}

	function normalizeEmbeds(embeds: unknown): APIMessage['embeds'] {
		if (!Array.isArray(embeds)) return [];
		return embeds.map((e: Record<string, unknown>) => ({ type: 'rich', ...e })) as APIMessage['embeds'];
	}

	const SENDABLE_FLAGS =
		MessageFlags.Ephemeral | MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications | MessageFlags.IsVoiceMessage | MessageFlags.IsComponentsV2;
	const EDITABLE_FLAGS = MessageFlags.SuppressEmbeds | MessageFlags.IsComponentsV2;

	function interactionMetadata(inter: InteractionState | undefined, originalId?: string): Record<string, unknown> {
		if (!inter) return {};
		const meta: Record<string, unknown> = {
			id: inter.id,
			type: inter.type,
			...(inter.user ? { user: inter.user } : {}),
			authorizing_integration_owners: inter.authorizingIntegrationOwners,
		};
		if (inter.commandType !== undefined) meta.command_type = inter.commandType;
		if (inter.commandName !== undefined && inter.commandType === ApplicationCommandType.ChatInput) meta.name = inter.commandName;
		if (originalId) meta.original_response_message_id = originalId;
		return {
			interaction_metadata: meta,
			interaction: {
				id: inter.id,
				type: inter.type,
				name: inter.commandName ?? '',
				...(inter.user ? { user: inter.user } : {}),
			},
		};
	}

	function webhookAuthor(appId: string): APIUser {
		return appId === fake.botUser.id ? fake.botUser : makeBotUser(appId);
	}

	/** Build a new message from a create payload. */
	function createMessage(
		payload: Record<string, any>,
		files: RecordedFile[],
		opts: { channelId: string; author: APIUser; sizeLimit: number; type: MessageType; extra?: Record<string, unknown>; flags?: number },
	): APIMessage | FakeAnswer {
		const flags = opts.flags ?? Number(payload.flags ?? 0) & SENDABLE_FLAGS;
		const ctx: Ctx = { channelId: opts.channelId, ephemeral: (flags & MessageFlags.Ephemeral) !== 0, sizeLimit: opts.sizeLimit };
		const attachments = resolveAttachments(payload, files, [], ctx);
		if (!Array.isArray(attachments)) return attachments;
		const msg = {
			id: snowflake(),
			type: opts.type,
			content: typeof payload.content === 'string' ? payload.content : '',
			channel_id: opts.channelId,
			author: opts.author,
			attachments,
			embeds: normalizeEmbeds(payload.embeds),
			mentions: [],
			mention_roles: [],
			pinned: false,
			mention_everyone: false,
			tts: Boolean(payload.tts),
			timestamp: new Date().toISOString(),
			edited_timestamp: null,
			flags,
			components: Array.isArray(payload.components) ? payload.components : [],
			...(payload.poll ? { poll: payload.poll } : {}),
			...opts.extra,
		} as APIMessage;
		if (!(flags & MessageFlags.Loading)) {
			const err = validateContent(msg);
			if (err) return err;
		}
		return msg;
	}

	/** Apply an edit payload to a stored message; returns the new version (not yet stored) or an error. */
	function editMessage(existing: APIMessage, payload: Record<string, any>, files: RecordedFile[], sizeLimit: number): APIMessage | FakeAnswer {
		const wasLoading = ((existing.flags ?? 0) & MessageFlags.Loading) !== 0;
		const ephemeral = ((existing.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
		const ctx: Ctx = { channelId: existing.channel_id, ephemeral, sizeLimit };
		const attachments = resolveAttachments(payload, files, existing.attachments, ctx);
		if (!Array.isArray(attachments)) return attachments;
		let flags = (existing.flags ?? 0) & ~MessageFlags.Loading;
		if (typeof payload.flags === 'number') flags = (flags & ~EDITABLE_FLAGS) | (payload.flags & EDITABLE_FLAGS);
		const next: APIMessage = {
			...existing,
			content: 'content' in payload ? (payload.content ?? '') : existing.content,
			embeds: 'embeds' in payload ? normalizeEmbeds(payload.embeds) : existing.embeds,
			components: 'components' in payload ? (payload.components ?? []) : (existing.components ?? []),
			attachments,
			flags,
			edited_timestamp: wasLoading ? null : new Date().toISOString(),
			...(payload.poll ? { poll: payload.poll } : {}),
		};
		const err = validateContent(next);
		return err ?? next;
	}

	const isAnswer = (v: APIMessage | FakeAnswer): v is FakeAnswer => !('id' in v);

	// ---- routes -------------------------------------------------------------

	function hasBotAuth(req: RecordedDiscordRequest): boolean {
		const auth = req.headers.authorization;
		return typeof auth === 'string' && /^Bot \S+/.test(auth);
	}

	function interactionCallback(id: string, token: string, req: RecordedDiscordRequest): FakeAnswer {
		const inter = interactions.get(id);
		if (inter && inter.token !== token) return apiError(404, 10062, 'Unknown interaction');
		let tok = tokens.get(token);
		if (tok?.acknowledged) return apiError(400, 40060, 'Interaction has already been acknowledged.');
		const body = (req.json ?? {}) as { type?: number; data?: Record<string, any> };
		const appId = inter?.applicationId ?? fake.botUser.id;
		const sizeLimit = inter?.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT;
		const msgType =
			inter?.commandType === ApplicationCommandType.User || inter?.commandType === ApplicationCommandType.Message
				? MessageType.ContextMenuCommand
				: MessageType.ChatInputCommand;
		const channelId = inter?.channelId ?? DEFAULT_CHANNEL_ID;
		let message: APIMessage | undefined;
		const newToken = (): TokenState => ({ applicationId: appId, interactionId: id, acknowledged: false, messageIds: new Set() });

		switch (body.type) {
			case InteractionResponseType.ChannelMessageWithSource:
			case InteractionResponseType.DeferredChannelMessageWithSource: {
				const deferred = body.type === InteractionResponseType.DeferredChannelMessageWithSource;
				const data = body.data ?? {};
				const ephemeral = (Number(data.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
				const created = createMessage(deferred ? {} : data, deferred ? [] : req.files, {
					channelId,
					author: webhookAuthor(appId),
					sizeLimit,
					type: msgType,
					extra: { application_id: appId, webhook_id: appId, ...interactionMetadata(inter) },
					...(deferred ? { flags: MessageFlags.Loading | (ephemeral ? MessageFlags.Ephemeral : 0) } : {}),
				});
				if (isAnswer(created)) return created;
				message = created;
				messages.set(message.id, message);
				tok ??= newToken();
				tok.originalId = message.id;
				tok.messageIds.add(message.id);
				break;
			}
			case InteractionResponseType.DeferredMessageUpdate:
			case InteractionResponseType.UpdateMessage: {
				const target = inter?.componentMessageId ? messages.get(inter.componentMessageId) : undefined;
				if (target && body.type === InteractionResponseType.UpdateMessage) {
					const edited = editMessage(target, body.data ?? {}, req.files, sizeLimit);
					if (isAnswer(edited)) return edited;
					messages.set(edited.id, edited);
					message = edited;
				} else {
					message = target;
				}
				tok ??= newToken();
				if (target) {
					tok.originalId = target.id;
					tok.messageIds.add(target.id);
				}
				break;
			}
			case InteractionResponseType.ApplicationCommandAutocompleteResult:
			case InteractionResponseType.Modal:
			case InteractionResponseType.LaunchActivity:
			case InteractionResponseType.Pong:
				tok ??= newToken();
				break;
			default:
				return formError(
					['type'],
					'BASE_TYPE_CHOICES',
					`Value must be one of ${Object.values(InteractionResponseType)
						.filter((v) => typeof v === 'number')
						.join(', ')}.`,
				);
		}
		tok.acknowledged = true;
		tokens.set(token, tok);

		if (new URLSearchParams(req.query).get('with_response') === 'true') {
			const flags = message?.flags ?? 0;
			return {
				status: 200,
				body: {
					interaction: {
						id,
						type: inter?.type ?? InteractionType.ApplicationCommand,
						...(message
							? {
									response_message_id: message.id,
									response_message_loading: (flags & MessageFlags.Loading) !== 0,
									response_message_ephemeral: (flags & MessageFlags.Ephemeral) !== 0,
								}
							: {}),
					},
					resource: { type: body.type, ...(message ? { message } : {}) },
				},
			};
		}
		return { status: 204 };
	}

	/** Common checks for /webhooks/:appId/:token… routes used with interaction tokens. */
	function webhookToken(appId: string, token: string): TokenState | FakeAnswer {
		const tok = tokens.get(token);
		if (!tok) {
			const inter = [...interactions.values()].find((i) => i.token === token);
			if (inter && inter.applicationId !== appId) return INVALID_WEBHOOK_TOKEN();
			return UNKNOWN_WEBHOOK(); // interaction webhooks exist only once the interaction was acknowledged
		}
		if (tok.applicationId !== appId) return INVALID_WEBHOOK_TOKEN();
		return tok;
	}

	function webhookMessageRoute(method: string, appId: string, token: string, which: string, req: RecordedDiscordRequest): FakeAnswer {
		const tok = webhookToken(appId, token);
		if (!('messageIds' in tok)) return tok;
		const messageId = which === '@original' ? tok.originalId : which;
		const msg = messageId && tok.messageIds.has(messageId) ? messages.get(messageId) : undefined;
		if (!msg) return UNKNOWN_MESSAGE();
		switch (method) {
			case 'GET':
				return { status: 200, body: msg };
			case 'DELETE':
				messages.delete(msg.id);
				return { status: 204 };
			case 'PATCH': {
				const sizeLimit = interactions.get(tok.interactionId)?.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT;
				const edited = editMessage(msg, (req.json ?? {}) as Record<string, any>, req.files, sizeLimit);
				if (isAnswer(edited)) return edited;
				messages.set(edited.id, edited);
				return { status: 200, body: edited };
			}
			default:
				return apiError(405, 0, '405: Method Not Allowed');
		}
	}

	function executeWebhook(appId: string, token: string, req: RecordedDiscordRequest): FakeAnswer {
		const tok = webhookToken(appId, token);
		if (!('messageIds' in tok)) return tok;
		const inter = interactions.get(tok.interactionId);
		// Discord: a follow-up sent while the deferred "thinking" message is still loading resolves that message
		// instead of creating one, and keeps its visibility (the follow-up's own ephemeral flag is ignored).
		const loading = tok.originalId ? messages.get(tok.originalId) : undefined;
		if (loading && ((loading.flags ?? 0) & MessageFlags.Loading) !== 0) {
			const { flags: _ignored, ...payload } = (req.json ?? {}) as Record<string, any>;
			const resolved = editMessage(loading, payload, req.files, inter?.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT);
			if (isAnswer(resolved)) return resolved;
			messages.set(resolved.id, resolved);
			if (new URLSearchParams(req.query).get('wait') !== 'true') return { status: 204 };
			return { status: 200, body: resolved };
		}
		const msgType =
			inter?.commandType === ApplicationCommandType.User || inter?.commandType === ApplicationCommandType.Message
				? MessageType.ContextMenuCommand
				: MessageType.ChatInputCommand;
		const created = createMessage((req.json ?? {}) as Record<string, any>, req.files, {
			channelId: inter?.channelId ?? DEFAULT_CHANNEL_ID,
			author: webhookAuthor(appId),
			sizeLimit: inter?.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT,
			type: msgType,
			extra: { application_id: appId, webhook_id: appId, ...interactionMetadata(inter, tok.originalId) },
		});
		if (isAnswer(created)) return created;
		messages.set(created.id, created);
		tok.messageIds.add(created.id);
		if (new URLSearchParams(req.query).get('wait') !== 'true') return { status: 204 };
		return { status: 200, body: created };
	}

	const COMMAND_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

	function validateCommand(cmd: Record<string, any>, path: string[]): FakeAnswer | undefined {
		const type = cmd.type ?? ApplicationCommandType.ChatInput;
		if (typeof cmd.name !== 'string' || cmd.name.length < 1 || cmd.name.length > 32)
			return formError([...path, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.');
		if (type === ApplicationCommandType.ChatInput || path.includes('options')) {
			if (!COMMAND_NAME.test(cmd.name) || cmd.name !== cmd.name.toLowerCase())
				return formError([...path, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
			if (typeof cmd.description !== 'string' || cmd.description.length < 1 || cmd.description.length > 100)
				return formError([...path, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
		}
		if (Array.isArray(cmd.options)) {
			for (const [i, opt] of (cmd.options as Array<Record<string, any>>).entries()) {
				const err = validateCommand(opt, [...path, 'options', String(i)]);
				if (err) return err;
			}
		}
		return undefined;
	}

	function normalizeCommand(appId: string, guildId: string | undefined, cmd: Record<string, any>, id: string): APIApplicationCommand {
		const type = cmd.type ?? ApplicationCommandType.ChatInput;
		return {
			...cmd,
			id,
			application_id: appId,
			version: snowflake(),
			type,
			name: cmd.name,
			description: cmd.description ?? '',
			default_member_permissions: cmd.default_member_permissions ?? null,
			nsfw: cmd.nsfw ?? false,
			integration_types: cmd.integration_types ?? [ApplicationIntegrationType.GuildInstall],
			contexts: cmd.contexts ?? null,
			...(guildId ? { guild_id: guildId } : { dm_permission: cmd.dm_permission ?? true }),
		} as APIApplicationCommand;
	}

	function commandsRoute(method: string, appId: string, guildId: string | undefined, commandId: string | undefined, req: RecordedDiscordRequest): FakeAnswer {
		if (!hasBotAuth(req)) return UNAUTHORIZED();
		const key = `${appId}:${guildId ?? 'global'}`;
		const list = commands.get(key) ?? [];
		const unknownCommand = (): FakeAnswer => apiError(404, 10063, 'Unknown application command');
		if (commandId !== undefined) {
			const idx = list.findIndex((c) => c.id === commandId);
			if (idx < 0) return unknownCommand();
			if (method === 'GET') return { status: 200, body: list[idx] };
			if (method === 'DELETE') {
				commands.set(
					key,
					list.filter((c) => c.id !== commandId),
				);
				return { status: 204 };
			}
			if (method === 'PATCH') {
				const merged = { ...list[idx], ...(req.json as Record<string, any>) };
				const err = validateCommand(merged, []);
				if (err) return err;
				const next = normalizeCommand(appId, guildId, merged, commandId);
				commands.set(
					key,
					list.map((c, i) => (i === idx ? next : c)),
				);
				return { status: 200, body: next };
			}
			return apiError(405, 0, '405: Method Not Allowed');
		}
		if (method === 'GET') return { status: 200, body: list };
		const sameKind = (a: Record<string, any>, b: Record<string, any>) =>
			a.name === b.name && (a.type ?? ApplicationCommandType.ChatInput) === (b.type ?? ApplicationCommandType.ChatInput);
		if (method === 'PUT') {
			if (!Array.isArray(req.json)) return formError([], 'BASE_TYPE_ARRAY', 'Must be an array.');
			const body = req.json as Array<Record<string, any>>;
			for (const [i, cmd] of body.entries()) {
				const err = validateCommand(cmd, [String(i)]);
				if (err) return err;
				if (body.findIndex((o) => sameKind(o, cmd)) !== i)
					return formError([String(i), 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', `Application command names must be unique`);
			}
			const next = body.map((cmd) => normalizeCommand(appId, guildId, cmd, list.find((c) => sameKind(c, cmd))?.id ?? snowflake()));
			commands.set(key, next);
			return { status: 200, body: next };
		}
		if (method === 'POST') {
			const cmd = (req.json ?? {}) as Record<string, any>;
			const err = validateCommand(cmd, []);
			if (err) return err;
			const existing = list.find((c) => sameKind(c, cmd));
			const next = normalizeCommand(appId, guildId, cmd, existing?.id ?? snowflake());
			commands.set(key, existing ? list.map((c) => (c === existing ? next : c)) : [...list, next]);
			return { status: existing ? 200 : 201, body: next };
		}
		return apiError(405, 0, '405: Method Not Allowed');
	}

	function defaultRoute(req: RecordedDiscordRequest): FakeAnswer {
		const { method, path } = req;
		const seg = path.split('/').slice(1);
		let m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
		if (m && method === 'POST') {
			return interactionCallback(m[1]!, seg[2]!, req);
		}
		m = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/.exec(path);
		if (m) {
			return webhookMessageRoute(method, m[1]!, seg[2]!, m[3]!, req);
		}
		m = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(path);
		if (m && method === 'POST') {
			return executeWebhook(m[1]!, seg[2]!, req);
		}
		m = /^\/channels\/(\d+)$/.exec(path);
		if (m && method === 'GET') {
			if (!hasBotAuth(req)) return UNAUTHORIZED();
			const ch = channels.get(m[1]!);
			return ch ? { status: 200, body: ch } : apiError(404, 10003, 'Unknown Channel');
		}
		m = /^\/channels\/(\d+)\/messages$/.exec(path);
		if (m && method === 'POST') {
			if (!hasBotAuth(req)) return UNAUTHORIZED();
			const payload = (req.json ?? {}) as Record<string, any>;
			const created = createMessage(payload, req.files, {
				channelId: m[1]!,
				author: fake.botUser,
				sizeLimit: DEFAULT_ATTACHMENT_SIZE_LIMIT,
				type: payload.message_reference ? MessageType.Reply : MessageType.Default,
				extra: payload.message_reference ? { message_reference: { type: 0, channel_id: m[1]!, ...payload.message_reference } } : {},
			});
			if (isAnswer(created)) return created;
			messages.set(created.id, created);
			return { status: 200, body: created };
		}
		m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path);
		if (m && (method === 'PATCH' || method === 'DELETE' || method === 'GET')) {
			if (!hasBotAuth(req)) return UNAUTHORIZED();
			const msg = messages.get(m[2] ?? '');
			if (!msg || msg.channel_id !== m[1]) return UNKNOWN_MESSAGE();
			if (method === 'GET') return { status: 200, body: msg };
			// A bot deletes its own messages freely; another's needs Manage Messages, which the fake's bot is given.
			if (method === 'DELETE') {
				messages.delete(msg.id);
				return { status: 204 };
			}
			// Discord: "You can only edit messages that have been sent by the current user."
			if (msg.author.id !== fake.botUser.id) return apiError(403, 50005, 'Cannot edit a message authored by another user');
			const edited = editMessage(msg, (req.json ?? {}) as Record<string, any>, req.files, DEFAULT_ATTACHMENT_SIZE_LIMIT);
			if (isAnswer(edited)) return edited;
			messages.set(edited.id, edited);
			return { status: 200, body: edited };
		}
		m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands(?:\/(\d+))?$/.exec(path);
		if (m) {
			return commandsRoute(method, m[1]!, m[2], m[3], req);
		}
		return NOT_FOUND();
	}

	// ---- CDN ----------------------------------------------------------------

	function serveCdn(req: IncomingMessage, res: ServerResponse, pathname: string): void {
		const method = (req.method ?? 'GET').toUpperCase();
		const range = req.headers.range;
		cdnRequests.push({ method, path: pathname, ...(range ? { range } : {}) });
		const key = pathname.replace(/^\/media/, '').replace(/^\/attachments/, '');
		const file = cdn.get(key);
		if (!file) {
			sendAnswer(res, { status: 404, body: 'This content is no longer available.' });
			return;
		}
		if (method !== 'GET' && method !== 'HEAD') {
			sendAnswer(res, { status: 405, body: 'Method Not Allowed' });
			return;
		}
		const headers: Record<string, string> = {
			'accept-ranges': 'bytes',
			'content-type': file.contentType ?? 'application/octet-stream',
			'cache-control': 'public, max-age=31536000',
		};
		const size = file.data.length;
		const r = parseRange(range, size);
		if (r === 'unsatisfiable') {
			sendAnswer(res, { status: 416, headers: { ...headers, 'content-range': `bytes */${size}` } }, method === 'HEAD');
			return;
		}
		if (r) {
			sendAnswer(
				res,
				{ status: 206, body: file.data.subarray(r.start, r.end + 1), headers: { ...headers, 'content-range': `bytes ${r.start}-${r.end}/${size}` } },
				method === 'HEAD',
			);
			return;
		}
		sendAnswer(res, { status: 200, body: file.data, headers }, method === 'HEAD');
	}

	// ---- dispatcher ---------------------------------------------------------

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		// Taken first: when many requests arrive at once, the fake's own queue is not part of the client's latency.
		const arrivedAt = Date.now();
		const url = new URL(req.url ?? '/', origin);
		if (/^\/(media\/)?attachments\//.test(url.pathname)) return serveCdn(req, res, url.pathname);
		const api = /^\/api(?:\/v\d+)?(\/.*)?$/.exec(url.pathname);
		if (!api) return sendAnswer(res, NOT_FOUND());
		const raw = await readBody(req);
		const { json, files } = await parseBody(req.headers['content-type'], raw, origin);
		const rec: RecordedDiscordRequest = {
			method: (req.method ?? 'GET').toUpperCase(),
			path: decodePath(api[1] ?? '/'),
			rawPath: api[1] ?? '/',
			query: url.search.replace(/^\?/, ''),
			headers: { ...req.headers },
			json,
			files,
			at: arrivedAt,
		};
		requests.push(rec);
		for (const w of [...waiters]) {
			let hit = false;
			try {
				hit = w.pred(rec);
			} catch {
				hit = false;
			}
			if (hit) {
				waiters.delete(w);
				clearTimeout(w.timer);
				w.resolve(rec);
			}
		}
		let answer: FakeAnswer | undefined;
		const idx = overrides.findIndex((o) => {
			o.pattern.lastIndex = 0;
			return (o.method === '*' || o.method === rec.method) && o.pattern.test(rec.path);
		});
		if (idx >= 0) {
			const o = overrides[idx]!;
			if (o.once) overrides.splice(idx, 1);
			answer = typeof o.answer === 'function' ? await o.answer(rec) : o.answer;
		}
		sendAnswer(res, answer ?? defaultRoute(rec), rec.method === 'HEAD');
	}

	const server = createServer((req, res) => {
		handle(req, res).catch((err: unknown) => {
			console.error('[fake-discord] handler error', err);
			if (!res.headersSent) sendAnswer(res, apiError(500, 0, '500: Internal Server Error'));
			else res.destroy();
		});
	});
	const cdnServer = options.separateCdn
		? createServer((req, res) => {
				const { pathname } = new URL(req.url ?? '/', 'http://cdn');
				if (/^\/(media\/)?attachments\//.test(pathname)) serveCdn(req, res, pathname);
				else sendAnswer(res, NOT_FOUND());
			})
		: undefined;
	const listen = (listening: typeof server) =>
		new Promise<string>((resolve, reject) => {
			listening.once('error', reject);
			listening.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(listening.address() as AddressInfo).port}`));
		});
	origin = await listen(server);
	cdnOrigin = cdnServer ? await listen(cdnServer) : origin;
	fake.origin = origin;
	fake.cdnOrigin = cdnOrigin;
	fake.apiUrl = `${origin}/api`;
	return fake;
}

// ---------------------------------------------------------------------------
// discord.js client helpers
// ---------------------------------------------------------------------------

function makeBotUser(id: string, username = 'xtts-test-bot'): APIUser {
	return {
		id,
		username,
		discriminator: '4242',
		global_name: null,
		avatar: null,
		bot: true,
		public_flags: 0,
		flags: 0,
	} as unknown as APIUser;
}

/** Internals of discord.js we touch (private in the typings). */
interface ClientInternals {
	ws: { status: Status; destroyed: boolean; handlePacket(packet?: unknown, shard?: unknown): boolean; emit(event: string, ...args: unknown[]): boolean };
	guilds: { _add(data: unknown, cache?: boolean): Guild };
	readyTimestamp: number | null;
}

const fakeOfClient = new WeakMap<Client, FakeDiscord>();
const sequenceOfClient = new WeakMap<Client, number>();

export interface TestClientOptions {
	/** Application id = bot user id (default {@link DEFAULT_APPLICATION_ID}). */
	applicationId?: string;
	/** Bot username (default `xtts-test-bot`). */
	botUsername?: string;
	/** Extra Client options (e.g. the bot's own partials / rest.timeout). `rest.api` always points to the fake. */
	clientOptions?: Partial<ClientOptions>;
}

/**
 * A real discord.js Client wired to the fake: `rest.api` (and `rest.cdn`) point at it, a bot token is set,
 * and the state the gateway READY packet would create (client.user, client.application, ws status Ready)
 * is in place — but no gateway connection is made. No guilds/channels are cached (see {@link cacheGuild}).
 * Call `client.destroy()` when done.
 */
export function createTestClient(fake: FakeDiscord, opts: TestClientOptions = {}): Client<true> {
	const applicationId = opts.applicationId ?? DEFAULT_APPLICATION_ID;
	const extra = opts.clientOptions ?? {};
	const client = new Client({
		intents: [GatewayIntentBits.Guilds],
		...extra,
		rest: { cdn: fake.cdnOrigin, ...extra.rest, api: fake.apiUrl },
	});
	client.token = TEST_BOT_TOKEN;
	client.rest.setToken(TEST_BOT_TOKEN);

	// What handlers/READY.js does with the READY payload.
	const botUser = makeBotUser(applicationId, opts.botUsername);
	fake.botUser = botUser;
	const ClientUserCtor = ClientUser as unknown as new (c: Client, d: APIUser) => ClientUser;
	const ClientApplicationCtor = ClientApplication as unknown as new (c: Client, d: unknown) => ClientApplication;
	client.user = new ClientUserCtor(client, botUser);
	client.users.cache.set(client.user.id, client.user);
	client.application = new ClientApplicationCtor(client, { id: applicationId, flags: 0 });

	// What WebSocketManager#triggerClientReady does, so handlePacket() dispatches instead of queueing.
	const internals = client as unknown as ClientInternals;
	internals.ws.status = Status.Ready;
	internals.readyTimestamp = Date.now();

	fakeOfClient.set(client, fake);
	return client as Client<true>;
}

/**
 * Deliver `payload` as a gateway `INTERACTION_CREATE` dispatch, exactly like WebSocketManager does for the
 * `@discordjs/ws` Dispatch event: emits `raw`, the ws-level event, then `client.ws.handlePacket()` which runs
 * `handlers/INTERACTION_CREATE.js` → `client.actions.InteractionCreate.handle(d)` → `interactionCreate`
 * (synchronously). Also registers the interaction with the fake if the client came from {@link createTestClient}.
 */
export function injectInteraction(client: Client, payload: APIInteraction): void {
	const internals = client as unknown as ClientInternals;
	if (internals.ws.status !== Status.Ready || internals.ws.destroyed) {
		throw new Error('injectInteraction: client is not Ready (create it with createTestClient, and do not destroy it first)');
	}
	fakeOfClient.get(client)?.registerInteraction(payload);
	const s = (sequenceOfClient.get(client) ?? 0) + 1;
	sequenceOfClient.set(client, s);
	const packet = { op: GatewayOpcodes.Dispatch, t: GatewayDispatchEvents.InteractionCreate, s, d: payload };
	const shardId = 0;
	client.emit(Events.Raw, packet, shardId);
	internals.ws.emit(packet.t, packet.d, shardId);
	internals.ws.handlePacket(packet, undefined);
}

/**
 * Put a guild (with one text channel, the @everyone role and the bot's member) into the client's cache, like
 * GUILD_CREATE would. Only needed to test behaviour that depends on a cached guild (interaction.inCachedGuild()).
 */
export function cacheGuild(client: Client, opts: { guildId?: string; channelId?: string; name?: string; channelName?: string; ownerId?: string } = {}): Guild {
	const botUser = client.user
		? ({ id: client.user.id, username: client.user.username, discriminator: client.user.discriminator, avatar: null, bot: true, global_name: null } as APIUser)
		: undefined;
	return (client as unknown as ClientInternals).guilds._add(
		guildCreatePayload(opts.guildId ?? DEFAULT_GUILD_ID, botUser, opts.channelId ?? DEFAULT_CHANNEL_ID, opts),
	);
}

/** A GUILD_CREATE `d` for an available guild with one text channel, @everyone and the bot's member. */
export function guildCreatePayload(
	guildId: string,
	botUser: APIUser | undefined,
	channelId: string = DEFAULT_CHANNEL_ID,
	opts: { name?: string; channelName?: string; ownerId?: string } = {},
): Record<string, unknown> {
	const now = new Date().toISOString();
	return {
		id: guildId,
		name: opts.name ?? 'Test Guild',
		icon: null,
		splash: null,
		discovery_splash: null,
		owner_id: opts.ownerId ?? DEFAULT_USER_ID,
		afk_channel_id: null,
		afk_timeout: 300,
		verification_level: 0,
		default_message_notifications: 0,
		explicit_content_filter: 0,
		features: [],
		mfa_level: 0,
		system_channel_id: channelId,
		system_channel_flags: 0,
		rules_channel_id: null,
		vanity_url_code: null,
		description: null,
		banner: null,
		premium_tier: 0,
		premium_subscription_count: 0,
		preferred_locale: 'en-US',
		public_updates_channel_id: null,
		nsfw_level: 0,
		premium_progress_bar_enabled: false,
		safety_alerts_channel_id: null,
		large: false,
		lazy: true,
		member_count: 2,
		joined_at: now,
		unavailable: false,
		application_command_counts: {},
		roles: [
			{
				id: guildId,
				name: '@everyone',
				color: 0,
				hoist: false,
				icon: null,
				unicode_emoji: null,
				position: 0,
				permissions: DEFAULT_APP_PERMISSIONS,
				managed: false,
				mentionable: false,
				flags: 0,
			},
		],
		emojis: [],
		stickers: [],
		channels: [
			{
				id: channelId,
				type: ChannelType.GuildText,
				name: opts.channelName ?? 'general',
				position: 0,
				permission_overwrites: [],
				nsfw: false,
				topic: null,
				last_message_id: null,
				parent_id: null,
				rate_limit_per_user: 0,
				flags: 0,
			},
		],
		threads: [],
		members: botUser
			? [
					{
						user: botUser,
						roles: [],
						joined_at: now,
						deaf: false,
						mute: false,
						flags: 0,
						pending: false,
						nick: null,
						avatar: null,
						premium_since: null,
						communication_disabled_until: null,
					},
				]
			: [],
		voice_states: [],
		presences: [],
		stage_instances: [],
		guild_scheduled_events: [],
		soundboard_sounds: [],
		embedded_activities: [],
	};
}

// ---------------------------------------------------------------------------
// Payload builders
// ---------------------------------------------------------------------------

export interface ChatInputOptions {
	commandName: string;
	options?: APIApplicationCommandInteractionDataOption[];
	resolved?: APIInteractionDataResolved;
	/** Guild id (default {@link DEFAULT_GUILD_ID}); `null` = bot DM. */
	guildId?: string | null;
	channelId?: string;
	/** Merged over the default invoking user. */
	user?: Partial<APIUser>;
	locale?: string;
	/** Invoking member's permissions in the channel (guild only). Default: @everyone defaults. */
	memberPermissions?: string;
	/** `app_permissions`. Default {@link DEFAULT_APP_PERMISSIONS}. */
	appPermissions?: string;
	/** `attachment_size_limit` in bytes. Default 10 MiB. */
	attachmentSizeLimit?: number;
	id?: string;
	token?: string;
	applicationId?: string;
	commandId?: string;
	/** ApplicationCommandType (default ChatInput = 1). For User/Message context menus also pass `targetId` and `resolved`. */
	commandType?: number;
	targetId?: string;
	/** Override `context` (default Guild for guild interactions, BotDM for DMs). */
	context?: InteractionContextType;
	/** Override `authorizing_integration_owners` (default: guild install, `{"0": guildId}` or `{"0": "0"}` in bot DMs). */
	authorizingIntegrationOwners?: Partial<Record<ApplicationIntegrationType, string>>;
}

/** Default invoking user (merged with `overrides`). */
export function userPayload(overrides: Partial<APIUser> = {}): APIUser {
	return {
		id: DEFAULT_USER_ID,
		username: 'tester',
		discriminator: '0',
		global_name: 'Tester',
		avatar: null,
		public_flags: 0,
		avatar_decoration_data: null,
		...overrides,
	} as APIUser;
}

/**
 * A realistic raw application command interaction as Discord sends it over the gateway (version 1,
 * app_permissions, entitlements: [], authorizing_integration_owners, context, attachment_size_limit,
 * `member` (with `user`) in guilds / `user` in DMs, and the partial `channel` object).
 */
export function chatInputPayload(opts: ChatInputOptions): APIChatInputApplicationCommandInteraction {
	const id = opts.id ?? snowflake();
	const applicationId = opts.applicationId ?? DEFAULT_APPLICATION_ID;
	const guildId = opts.guildId === undefined ? DEFAULT_GUILD_ID : opts.guildId;
	const channelId = opts.channelId ?? DEFAULT_CHANNEL_ID;
	const user = userPayload(opts.user);
	const locale = opts.locale ?? 'en-US';
	const appPermissions = opts.appPermissions ?? DEFAULT_APP_PERMISSIONS;
	const commandType = opts.commandType ?? ApplicationCommandType.ChatInput;

	const data: Record<string, unknown> = {
		id: opts.commandId ?? '1180000000000000900',
		name: opts.commandName,
		type: commandType,
	};
	if (opts.options) data.options = opts.options;
	if (opts.resolved) data.resolved = opts.resolved;
	if (commandType !== ApplicationCommandType.ChatInput) {
		data.target_id = opts.targetId;
		data.resolved ??= {};
	}

	const base: Record<string, unknown> = {
		app_permissions: appPermissions,
		application_id: applicationId,
		attachment_size_limit: opts.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT,
		data,
		entitlements: [],
		id,
		locale,
		token: opts.token ?? randomToken(id),
		type: InteractionType.ApplicationCommand,
		version: 1,
		channel_id: channelId,
	};

	if (guildId !== null) {
		const memberPermissions = opts.memberPermissions ?? DEFAULT_MEMBER_PERMISSIONS;
		Object.assign(base, {
			guild_id: guildId,
			guild: { id: guildId, locale: 'en-US', features: [] },
			guild_locale: 'en-US',
			context: opts.context ?? InteractionContextType.Guild,
			authorizing_integration_owners: opts.authorizingIntegrationOwners ?? { [ApplicationIntegrationType.GuildInstall]: guildId },
			member: {
				user,
				roles: [],
				premium_since: null,
				permissions: memberPermissions,
				pending: false,
				nick: null,
				mute: false,
				joined_at: '2024-01-01T00:00:00.000000+00:00',
				flags: 0,
				deaf: false,
				communication_disabled_until: null,
				unusual_dm_activity_until: null,
				avatar: null,
				banner: null,
			},
			channel: {
				id: channelId,
				type: ChannelType.GuildText,
				guild_id: guildId,
				name: 'general',
				position: 0,
				nsfw: false,
				topic: null,
				last_message_id: null,
				parent_id: null,
				rate_limit_per_user: 0,
				flags: 0,
				permissions: memberPermissions,
			},
		});
	} else {
		Object.assign(base, {
			user,
			context: opts.context ?? InteractionContextType.BotDM,
			authorizing_integration_owners: opts.authorizingIntegrationOwners ?? { [ApplicationIntegrationType.GuildInstall]: '0' },
			channel: {
				id: channelId,
				type: ChannelType.DM,
				flags: 0,
				last_message_id: null,
				recipients: [user],
			},
		});
	}
	return base as unknown as APIChatInputApplicationCommandInteraction;
}

/** A resolved attachment as it appears in `data.resolved.attachments` (url/proxy_url on the fake CDN). */
export function attachmentPayload(opts: {
	id?: string;
	filename: string;
	url: string;
	size: number;
	contentType?: string;
	durationSecs?: number;
	waveform?: string;
	/** Resolved option attachments are ephemeral (true by default, as Discord sends them). */
	ephemeral?: boolean;
}): APIAttachment {
	const att: APIAttachment & Record<string, unknown> = {
		id: opts.id ?? snowflake(),
		filename: opts.filename,
		size: opts.size,
		url: opts.url,
		proxy_url: /^http:\/\/127\.0\.0\.1:\d+\/attachments\//.test(opts.url) ? opts.url.replace('/attachments/', '/media/attachments/') : opts.url,
		ephemeral: opts.ephemeral ?? true,
	};
	if (opts.contentType !== undefined) att.content_type = opts.contentType;
	if (opts.durationSecs !== undefined) att.duration_secs = opts.durationSecs;
	if (opts.waveform !== undefined) att.waveform = opts.waveform;
	return att;
}
