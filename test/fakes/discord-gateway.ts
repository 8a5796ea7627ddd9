/**
 * Loopback fake of Discord's gateway (API v10, JSON encoding, no compression), for running the REAL bot
 * process (discord.js 14 → @discordjs/ws 1.x) against it.
 *
 * What discord.js needs, and what this fake does (in order):
 *  1. `GET /api/v10/gateway/bot` over REST (@discordjs/ws `fetchGatewayInformation`). {@link attachGateway}
 *     answers it on the fake REST server with `{ url, shards: 1, session_start_limit }` (401 without the bot token).
 *  2. A WebSocket to `${url}?v=10&encoding=json` (no `compress` unless `zlib-sync` is installed; this fake
 *     refuses compression with 4002 so that such a setup fails loudly instead of hanging).
 *  3. HELLO (op 10, `heartbeat_interval`) at once. The client waits up to 60 s for it.
 *  4. IDENTIFY (op 2) → READY dispatch (op 0, s = 1) with `{ v, user, guilds: [{ id, unavailable: true }],
 *     session_id, resume_gateway_url, shard, application: { id, flags } }`, then one GUILD_CREATE per guild.
 *     discord.js marks the shard ready only when every guild listed in READY got its GUILD_CREATE (otherwise
 *     it waits `waitGuildTimeout`, 15 s), and only then emits `clientReady`.
 *  5. HEARTBEAT (op 1, d = last sequence) → HEARTBEAT_ACK (op 11). The first heartbeat comes after
 *     `heartbeat_interval × random()`; an unacknowledged one makes the client drop the connection and resume.
 *  6. RESUME (op 6) of a known session → RESUMED dispatch; of an unknown one → INVALID_SESSION (op 9, d: false).
 *
 * Like Discord, it closes with 4003 for a payload before IDENTIFY, 4004 for a wrong token, 4005 for a second
 * IDENTIFY, 4012 for another API version, 4013/4014 for invalid or privileged intents the app may not use,
 * 4001 for an unknown opcode and 4002 for an undecodable payload. Not modelled: heartbeat timeouts (Discord
 * closes a connection that stops beating), the 120-payloads-a-minute send limit, zombie replay.
 *
 * Sharding as Discord documents it: IDENTIFY's `shard: [shard_id, num_shards]` (4010 Invalid shard when the id is not
 * below the count, 4011 Sharding required below `minimumShards`); each shard gets READY and GUILD_CREATE for its
 * own guilds only, `shard_id = (guild_id >> 22) % num_shards`, and a guild's events go to its shard alone (DMs to
 * shard 0). `GET /gateway/bot` recommends `recommendedShards`.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { GatewayCloseCodes, GatewayDispatchEvents, GatewayIntentBits, GatewayOpcodes, type APIUser, type GatewayIdentifyData } from 'discord.js';
import { DEFAULT_APPLICATION_ID, DEFAULT_GUILD_ID, guildCreatePayload, TEST_BOT_TOKEN, type FakeAnswer, type FakeDiscord } from './discord-api.js';

/** Intents an application must be approved for (Developer Portal → Bot → Privileged Gateway Intents). */
export const PRIVILEGED_INTENTS = GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences | GatewayIntentBits.MessageContent;
/** Every intent bit Discord defines; others are 4013 Invalid intents. */
const ALL_INTENTS = Object.values(GatewayIntentBits)
	.filter((value): value is number => typeof value === 'number')
	.reduce((all, bit) => all | bit, 0);

/** Discord's usual interval. Tests pass a short one to see heartbeats within a run. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 41_250;

export interface GatewayPayload {
	op: number;
	d?: unknown;
	s?: number | null;
	t?: string | null;
}

export interface GatewayConnection {
	/** 1, 2, … in connection order. */
	id: number;
	/** The query string of the upgrade request (`v`, `encoding`, `compress`). */
	query: Record<string, string>;
	openedAt: number;
	/** Set by a successful IDENTIFY or RESUME. */
	sessionId?: string;
	/** The IDENTIFY payload's `d`, when one was accepted. */
	identify?: GatewayIdentifyData;
	/** Last sequence number sent on this connection (0 before READY). */
	seq: number;
	/** Payloads the client sent, in order. */
	received: GatewayPayload[];
	/** Payloads this fake sent, in order. */
	sent: GatewayPayload[];
	/** HEARTBEAT `d` values (the client's last sequence), in order. */
	heartbeats: Array<number | null>;
	closed?: { code: number; reason: string; by: 'client' | 'server'; at: number };
}

export interface FakeGatewayOptions {
	/** Bot token IDENTIFY must carry (default {@link TEST_BOT_TOKEN}). */
	token?: string;
	/** Application id = bot user id (default {@link DEFAULT_APPLICATION_ID}). */
	applicationId?: string;
	botUsername?: string;
	/** Guilds the bot is in: listed unavailable in READY, then one GUILD_CREATE each (default [DEFAULT_GUILD_ID]). */
	guildIds?: string[];
	/** Privileged intents the application is approved for (default none: asking for one closes with 4014). */
	approvedPrivilegedIntents?: number;
	/** HELLO's `heartbeat_interval` (default {@link DEFAULT_HEARTBEAT_INTERVAL_MS}). */
	heartbeatIntervalMs?: number;
	/** What `GET /gateway/bot` answers as `shards` (default 1). */
	recommendedShards?: number;
	/** Fewer shards than this closes with 4011 Sharding required (default 1). */
	minimumShards?: number;
}

export interface FakeGateway {
	/** `ws://127.0.0.1:PORT`, what `GET /gateway/bot` answers. */
	url: string;
	applicationId: string;
	botUser: APIUser;
	guildIds: readonly string[];
	recommendedShards: number;
	/** Every connection so far, in order. */
	connections: GatewayConnection[];
	/** Accepted IDENTIFY payloads (`d`), in order. */
	identifies(): GatewayIdentifyData[];
	/** Connections that completed IDENTIFY/RESUME and are still open. */
	sessions(): GatewayConnection[];
	/**
	 * Sends a dispatch (op 0) with the next sequence number to every open session; returns how many got it.
	 * Throws when no session is open (Discord would not deliver the event either).
	 */
	dispatch(t: string, d: unknown): number;
	/** Resolves with `check()`'s first truthy value, re-checked on every gateway event; rejects after `timeoutMs` (default 5000). */
	waitFor<T>(check: () => T | undefined | null | false, timeoutMs?: number, what?: string): Promise<T>;
	/** Closes every connection (1001 Going Away) and the server. */
	close(): Promise<void>;
}

/** Discord's rule: the shard that receives a guild's events. */
export const shardOf = (guildId: string, shardCount: number) => Number((BigInt(guildId) >> 22n) % BigInt(shardCount));

/** Starts the fake gateway on an ephemeral loopback port. */
export async function startFakeGateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
	const token = options.token ?? TEST_BOT_TOKEN;
	const applicationId = options.applicationId ?? DEFAULT_APPLICATION_ID;
	const guildIds = [...(options.guildIds ?? [DEFAULT_GUILD_ID])];
	const approved = options.approvedPrivilegedIntents ?? 0;
	const heartbeatInterval = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
	const recommendedShards = options.recommendedShards ?? 1;
	const minimumShards = options.minimumShards ?? 1;
	const botUser = {
		id: applicationId,
		username: options.botUsername ?? 'xtts-test-bot',
		discriminator: '4242',
		global_name: null,
		avatar: null,
		bot: true,
		public_flags: 0,
		flags: 0,
	} as unknown as APIUser;

	const connections: GatewayConnection[] = [];
	const sockets = new Map<GatewayConnection, WebSocket>();
	/** Sessions by id, kept after a disconnect so that a RESUME can find them. */
	const knownSessions = new Map<string, { seq: number }>();
	const listeners = new Set<() => void>();
	const changed = () => {
		for (const listener of [...listeners]) listener();
	};

	const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
	await new Promise<void>((resolve, reject) => {
		wss.once('listening', () => resolve());
		wss.once('error', reject);
	});
	const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;

	function send(conn: GatewayConnection, payload: GatewayPayload): void {
		const socket = sockets.get(conn);
		if (!socket || socket.readyState !== socket.OPEN) return;
		const full = { op: payload.op, d: payload.d ?? null, s: payload.s ?? null, t: payload.t ?? null };
		conn.sent.push(full);
		socket.send(JSON.stringify(full));
	}

	function sendDispatch(conn: GatewayConnection, t: string, d: unknown): void {
		conn.seq += 1;
		if (conn.sessionId) knownSessions.set(conn.sessionId, { seq: conn.seq });
		send(conn, { op: GatewayOpcodes.Dispatch, t, s: conn.seq, d });
	}

	function closeWith(conn: GatewayConnection, code: number, reason: string): void {
		const socket = sockets.get(conn);
		if (!socket) return;
		conn.closed ??= { code, reason, by: 'server', at: Date.now() };
		socket.close(code, reason);
		changed();
	}

	function onIdentify(conn: GatewayConnection, d: GatewayIdentifyData | undefined): void {
		if (conn.sessionId) {
			closeWith(conn, GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
			return;
		}
		if (!d || typeof d !== 'object' || d.token !== token) {
			closeWith(conn, GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
			return;
		}
		const intents = Number(d.intents);
		if (!Number.isInteger(intents) || intents < 0 || (intents & ~ALL_INTENTS) !== 0) {
			closeWith(conn, GatewayCloseCodes.InvalidIntents, 'Invalid intent(s).');
			return;
		}
		if ((intents & PRIVILEGED_INTENTS & ~approved) !== 0) {
			closeWith(conn, GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s).');
			return;
		}
		const [shardId, shardCount] = d.shard ?? [0, 1];
		if (!Number.isInteger(shardId) || !Number.isInteger(shardCount) || shardId < 0 || shardCount < 1 || shardId >= shardCount) {
			closeWith(conn, GatewayCloseCodes.InvalidShard, 'Invalid shard.');
			return;
		}
		if (shardCount < minimumShards) {
			closeWith(conn, GatewayCloseCodes.ShardingRequired, 'Sharding required.');
			return;
		}
		const ownGuilds = guildIds.filter((id) => shardOf(id, shardCount) === shardId);
		conn.identify = d;
		conn.sessionId = randomBytes(16).toString('hex');
		knownSessions.set(conn.sessionId, { seq: 0 });
		sendDispatch(conn, GatewayDispatchEvents.Ready, {
			v: 10,
			user_settings: {},
			user: botUser,
			guilds: ownGuilds.map((id) => ({ id, unavailable: true })),
			session_id: conn.sessionId,
			session_type: 'normal',
			resume_gateway_url: url,
			shard: [shardId, shardCount],
			application: { id: applicationId, flags: 0 },
			private_channels: [],
			presences: [],
			relationships: [],
			geo_ordered_rtc_regions: [],
			guild_join_requests: [],
			auth: {},
			_trace: ['["fake-discord-gateway",{"micros":0}]'],
		});
		for (const guildId of ownGuilds) sendDispatch(conn, GatewayDispatchEvents.GuildCreate, guildCreatePayload(guildId, botUser));
		changed();
	}

	function onResume(conn: GatewayConnection, d: { token?: string; session_id?: string; seq?: number } | undefined): void {
		if (conn.sessionId) {
			closeWith(conn, GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
			return;
		}
		if (!d || d.token !== token) {
			closeWith(conn, GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
			return;
		}
		const known = d.session_id ? knownSessions.get(d.session_id) : undefined;
		if (!known || typeof d.seq !== 'number' || d.seq > known.seq) {
			send(conn, { op: GatewayOpcodes.InvalidSession, d: false });
			changed();
			return;
		}
		// Nothing is replayed: this fake only sends events while a session is connected.
		conn.sessionId = d.session_id!;
		conn.seq = known.seq;
		sendDispatch(conn, GatewayDispatchEvents.Resumed, { _trace: ['["fake-discord-gateway",{"micros":0}]'] });
		changed();
	}

	function onMessage(conn: GatewayConnection, data: RawData, isBinary: boolean): void {
		let payload: GatewayPayload;
		try {
			if (isBinary) throw new Error('binary frame with encoding=json');
			const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
			payload = JSON.parse(text) as GatewayPayload;
			if (!payload || typeof payload !== 'object' || typeof payload.op !== 'number') throw new Error('not a payload');
		} catch {
			closeWith(conn, GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
			return;
		}
		conn.received.push(payload);
		switch (payload.op) {
			case GatewayOpcodes.Heartbeat:
				conn.heartbeats.push(typeof payload.d === 'number' ? payload.d : null);
				send(conn, { op: GatewayOpcodes.HeartbeatAck });
				break;
			case GatewayOpcodes.Identify:
				onIdentify(conn, payload.d as GatewayIdentifyData | undefined);
				break;
			case GatewayOpcodes.Resume:
				onResume(conn, payload.d as { token?: string; session_id?: string; seq?: number } | undefined);
				break;
			case GatewayOpcodes.PresenceUpdate:
			case GatewayOpcodes.VoiceStateUpdate:
			case GatewayOpcodes.RequestGuildMembers:
			case GatewayOpcodes.RequestSoundboardSounds:
				if (!conn.sessionId) {
					closeWith(conn, GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
					return;
				}
				break;
			default:
				closeWith(conn, GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
				return;
		}
		changed();
	}

	wss.on('connection', (socket, request) => {
		const query = Object.fromEntries(new URL(request.url ?? '/', url).searchParams);
		const conn: GatewayConnection = { id: connections.length + 1, query, openedAt: Date.now(), seq: 0, received: [], sent: [], heartbeats: [] };
		connections.push(conn);
		sockets.set(conn, socket);
		socket.on('message', (data, isBinary) => onMessage(conn, data, isBinary));
		socket.on('close', (code, reason) => {
			conn.closed ??= { code, reason: reason.toString('utf8'), by: 'client', at: Date.now() };
			sockets.delete(conn);
			changed();
		});
		socket.on('error', () => undefined);
		if (query.v !== '10') return closeWith(conn, GatewayCloseCodes.InvalidAPIVersion, 'Invalid API version.');
		if (query.encoding !== 'json')
			return closeWith(conn, GatewayCloseCodes.DecodeError, 'Error while decoding payload (only encoding=json is supported by this fake).');
		if (query.compress) return closeWith(conn, GatewayCloseCodes.DecodeError, 'Compression is not supported by this fake.');
		send(conn, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: heartbeatInterval, _trace: ['["fake-discord-gateway",{"micros":0}]'] } });
		changed();
	});

	const gateway: FakeGateway = {
		url,
		applicationId,
		botUser,
		guildIds,
		recommendedShards,
		connections,
		identifies: () => connections.flatMap((conn) => (conn.identify ? [conn.identify] : [])),
		sessions: () => connections.filter((conn) => conn.sessionId && !conn.closed && sockets.has(conn)),
		dispatch(t, d) {
			// A guild's events go to the shard that has it; the rest (DMs) to shard 0.
			const guildId = (d as { guild_id?: string } | null)?.guild_id;
			const open = gateway.sessions().filter((conn) => {
				const [shardId, shardCount] = conn.identify?.shard ?? [0, 1];
				return (guildId ? shardOf(guildId, shardCount) : 0) === shardId;
			});
			if (open.length === 0) throw new Error(`dispatch ${t}: no gateway session of its shard is connected`);
			for (const conn of open) sendDispatch(conn, t, d);
			changed();
			return open.length;
		},
		waitFor(check, timeoutMs = 5000, what = 'gateway condition') {
			return new Promise((resolve, reject) => {
				const test = (): boolean => {
					const value = check();
					if (!value) return false;
					listeners.delete(test);
					clearTimeout(timer);
					resolve(value);
					return true;
				};
				const timer = setTimeout(() => {
					listeners.delete(test);
					const seen = connections
						.map(
							(c) =>
								`#${c.id} ${c.sessionId ? 'session' : 'no session'}, got ops [${c.received.map((p) => p.op).join(',')}]${c.closed ? `, closed ${c.closed.code} by ${c.closed.by}` : ''}`,
						)
						.join('; ');
					reject(new Error(`waitFor(${what}): not within ${timeoutMs} ms (connections: ${seen || 'none'})`));
				}, timeoutMs);
				listeners.add(test);
				test();
			});
		},
		async close() {
			for (const [conn, socket] of sockets) {
				conn.closed ??= { code: 1001, reason: 'Discord WebSocket closing', by: 'server', at: Date.now() };
				socket.terminate();
			}
			sockets.clear();
			await new Promise<void>((resolve) => wss.close(() => resolve()));
		},
	};
	return gateway;
}

/**
 * Makes the fake REST server answer `GET /gateway/bot` (what discord.js asks before connecting) with this
 * gateway's URL: 401 without `Authorization: Bot <token>`, like Discord.
 */
export function attachGateway(discord: FakeDiscord, gateway: FakeGateway, token: string = TEST_BOT_TOKEN): void {
	discord.respond('GET', /^\/gateway\/bot$/, (request): FakeAnswer => {
		if (request.headers.authorization !== `Bot ${token}`) return { status: 401, body: { message: '401: Unauthorized', code: 0 } };
		return {
			status: 200,
			body: {
				url: gateway.url,
				shards: gateway.recommendedShards,
				session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
			},
		};
	});
}
