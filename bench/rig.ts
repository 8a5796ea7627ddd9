import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationCommandOptionType, ClientApplication, ClientUser, InteractionResponseType, Status, type APIUser, type Client } from 'discord.js';
import { createBot, type Bot } from '../src/bot.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/util/logger.js';
import { systemClock, type Clock } from '../src/util/clock.js';
import { attachmentPayload, chatInputPayload, DEFAULT_APPLICATION_ID, injectInteraction, snowflake, TEST_BOT_TOKEN } from '../test/fakes/discord-api.js';
import { startFakes, type Fakes } from './fakes.js';
import { startNaivePeer } from './naive-peer.js';
import { BENCH_XTTS_KEY, benchText, type FakeSettings, type FakesMessage } from './protocol.js';

/**
 * The bot exactly as production builds it (createBot makes its discord.js client, HTTP pools and stores; SQLite
 * in a temp dir), with interactions injected into discord.js as gateway dispatches (test/fakes/discord-api.ts)
 * and every HTTP call going over loopback to the fakes' process. What each simulated member saw is kept in a Trace.
 */

export interface Trace {
	member: string;
	interactionId: string;
	/** When the interaction was injected (for a batch: when the batch started). */
	injectedAt: number;
	/** When the fake received the interaction callback. */
	ackAt?: number;
	/** The private answer, when the request was refused instead of deferred. */
	refused?: string;
	/** When the fake API turned the job COMPLETED. */
	completedAt?: number;
	/** When each result upload (a clone.* file) was received. */
	uploads: number[];
	/** A final message without audio (a failure). */
	failure?: string;
	/** The last progress edit. */
	progress?: string;
}

export interface Rig {
	/** The bot under test; undefined for the naive peer. */
	bot: Bot | undefined;
	/** Requests the bot (or the peer) is working on. */
	active(): number;
	fakes: Fakes;
	traces: Map<string, Trace>;
	/** Warn and error lines the bot logged. */
	warnings: string[];
	/** Injects `count` /clone interactions back to back, each from a new member in a new server (`textOf`: its line). */
	clone(count?: number, textOf?: (member: string, index: number) => string): Trace[];
	/** Follows a trace made outside `clone` (the floor's bare requests): its acknowledgement and uploads are recorded. */
	watch(trace: Trace): void;
	/** Resolves once `done()` holds (checked on every event from the fakes); rejects after timeoutMs. */
	waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void>;
	close(): Promise<void>;
}

export interface RigOptions {
	env?: Record<string, string>;
	clock?: Clock;
	fakes?: FakeSettings;
	/** Drive the naive peer (bench/naive-peer.ts), polling every `pollMs`, instead of the bot. */
	naive?: { pollMs: number };
}

/** What the bench changes of the bot's defaults, printed with the figures. */
export const BOT_OVERRIDES =
	'MAX_JOBS_IN_FLIGHT=1000 (default 20); no ffmpeg; XTTS_POLL_INTERVAL_MS per scenario (acknowledgement 1000, the others the default 5000); the throughput scenario ends every wait at once (poll interval, backoff, the 2 s "Sending" notice), so that the bot\'s own work is measured';

/** Real time, but every wait (poll interval, backoff) ends at once: the API's answers, not the cadence, pace each job. */
export const instantClock: Clock = {
	now: () => Date.now(),
	sleep: (_ms, signal) =>
		new Promise<void>((resolve, reject) => {
			if (signal?.aborted) return reject(signal.reason);
			setImmediate(() => (signal?.aborted ? reject(signal.reason) : resolve()));
		}),
};

export const isSettled = (trace: Trace) => trace.uploads.length > 0 || trace.failure !== undefined || trace.refused !== undefined;
export const isSubmitted = (trace: Trace) => isSettled(trace) || /\*\*(Queued|Processing)\*\*/.test(trace.progress ?? '');

/**
 * What logging in and the gateway's READY would do (as createTestClient in test/fakes/discord-api.ts does for its
 * own clients): the token, the bot user and application, and a Ready status, so that injected dispatches are handled.
 */
function markReady(client: Client): void {
	const user = { id: DEFAULT_APPLICATION_ID, username: 'xtts-bench-bot', discriminator: '0', global_name: null, avatar: null, bot: true } as APIUser;
	client.token = TEST_BOT_TOKEN;
	client.rest.setToken(TEST_BOT_TOKEN);
	client.user = new (ClientUser as unknown as new (client: Client, data: APIUser) => ClientUser)(client, user);
	client.users.cache.set(user.id, client.user);
	client.application = new (ClientApplication as unknown as new (client: Client, data: unknown) => ClientApplication)(client, { id: user.id, flags: 0 });
	const internals = client as unknown as { ws: { status: Status }; readyTimestamp: number | null };
	internals.ws.status = Status.Ready;
	internals.readyTimestamp = Date.now();
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
	const fakes = await startFakes(options.fakes);
	const dir = await mkdtemp(path.join(tmpdir(), 'xtts-bench-'));
	const config = loadConfig({
		DISCORD_TOKEN: TEST_BOT_TOKEN,
		DISCORD_API_URL: fakes.discordApiUrl,
		XTTS_API_KEY: BENCH_XTTS_KEY,
		XTTS_API_URL: fakes.xttsOrigin,
		STORE_URL: `sqlite://${path.join(dir, 'bot.sqlite')}`,
		// The 1000-jobs scenario wants them all at the API at once (the default lets 20 there, the rest wait in line).
		MAX_JOBS_IN_FLIGHT: '1000',
		...options.env,
	});
	const warnings: string[] = [];
	// The production level (info), every line formatted and scrubbed as in production; only warnings are kept.
	const logger = createLogger({
		level: config.logLevel,
		secrets: [TEST_BOT_TOKEN, BENCH_XTTS_KEY],
		destination: { write: (line: string) => void (/"level":"(warn|error|fatal)"/.test(line) && warnings.push(line)) },
	});
	const clock = options.clock ?? systemClock;
	const peer = options.naive
		? startNaivePeer({
				discordApiUrl: fakes.discordApiUrl,
				xttsOrigin: fakes.xttsOrigin,
				apiKey: BENCH_XTTS_KEY,
				pollMs: options.naive.pollMs,
				sleep: (ms) => clock.sleep(ms),
			})
		: undefined;
	// The bot builds its own discord.js client, exactly as in production; only the gateway login is skipped.
	const bot = peer ? undefined : await createBot({ config, logger, clock, ffmpegPath: null });
	const client = peer?.client ?? (bot as Bot).client;
	markReady(client);
	await bot?.start({ login: false, registerCommands: false });

	const traces = new Map<string, Trace>();
	const byInteraction = new Map<string, Trace>();
	const checks = new Set<() => void>();
	// The checks run once per turn of the event loop, not once per message: a burst brings hundreds of
	// messages, and what the bench does in this process is time the bot's own work cannot use.
	let checking = false;
	fakes.onMessage((message: FakesMessage) => {
		record(message);
		if (checking) return;
		checking = true;
		setImmediate(() => {
			checking = false;
			for (const check of checks) check();
		});
	});

	function record(message: FakesMessage): void {
		if (message.ev === 'completed') {
			const trace = traces.get(message.member);
			if (trace) trace.completedAt = message.at;
			return;
		}
		if (message.ev !== 'discord') return;
		const trace = message.interactionId ? byInteraction.get(message.interactionId) : message.member ? traces.get(message.member) : undefined;
		if (!trace) return;
		if (message.interactionId) {
			trace.ackAt ??= message.at;
			if (message.callbackType !== InteractionResponseType.DeferredChannelMessageWithSource) trace.refused = message.content;
		} else if (message.uploads.length > 0) trace.uploads.push(message.at);
		else if (message.content.startsWith('🎙️')) trace.progress = message.content;
		else trace.failure = message.content;
	}

	function clone(count = 1, textOf: (member: string, index: number) => string = benchText): Trace[] {
		const payloads = Array.from({ length: count }, (_, index) => {
			const member = snowflake();
			const attachmentId = snowflake();
			return {
				member,
				payload: chatInputPayload({
					id: snowflake(),
					commandName: 'clone',
					guildId: snowflake(),
					user: { id: member },
					options: [
						{ name: 'speaker', type: ApplicationCommandOptionType.Attachment, value: attachmentId },
						{ name: 'text', type: ApplicationCommandOptionType.String, value: textOf(member, index) },
					],
					resolved: {
						attachments: {
							[attachmentId]: attachmentPayload({
								id: attachmentId,
								filename: 'voice.wav',
								url: fakes.speakerUrl,
								size: fakes.speakerBytes,
								contentType: 'audio/x-wav',
							}),
						},
					},
				}),
			};
		});
		const injectedAt = Date.now();
		return payloads.map(({ member, payload }) => {
			const trace: Trace = { member, interactionId: payload.id, injectedAt, uploads: [] };
			traces.set(member, trace);
			byInteraction.set(payload.id, trace);
			injectInteraction(client, payload);
			return trace;
		});
	}

	function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
		if (done()) return Promise.resolve();
		return new Promise((resolve, reject) => {
			const check = () => {
				if (!done()) return;
				finish();
				resolve();
			};
			const finish = () => {
				checks.delete(check);
				clearTimeout(timer);
			};
			const timer = setTimeout(() => {
				finish();
				const all = [...traces.values()];
				const tally = `${all.length} requests: ${all.filter((t) => t.ackAt).length} acknowledged, ${all.filter(isSubmitted).length} submitted, ${all.filter((t) => t.uploads.length > 0).length} delivered, ${all.filter((t) => t.failure || t.refused).length} failed or refused`;
				reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${tally}); bot warnings: ${warnings.slice(0, 3).join(' | ') || 'none'}`));
			}, timeoutMs);
			checks.add(check);
		});
	}

	return {
		bot,
		active: () => peer?.active() ?? bot?.runner.active ?? 0,
		fakes,
		traces,
		warnings,
		clone,
		watch(trace) {
			traces.set(trace.member, trace);
			byInteraction.set(trace.interactionId, trace);
		},
		waitFor,
		async close() {
			await (bot ?? peer)?.stop().catch(() => undefined);
			await fakes.close();
			await rm(dir, { recursive: true, force: true });
		},
	};
}
