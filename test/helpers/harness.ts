import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
	ApplicationCommandOptionType,
	ComponentType,
	InteractionType,
	type APIApplicationCommandInteractionDataOption,
	type APIInteraction,
	type Client,
} from 'discord.js';
import { createBot, type Bot } from '../../src/bot.js';
import { discordClientOptions } from '../../src/discord/client.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/util/logger.js';
import type { Clock } from '../../src/util/clock.js';
import { createStores, type Stores } from '../../src/store/stores.js';
import { Agent } from 'undici';
import {
	attachmentPayload,
	chatInputPayload,
	createTestClient,
	injectInteraction,
	snowflake,
	startFakeDiscord,
	TEST_BOT_TOKEN,
	type ChatInputOptions,
	type FakeDiscord,
	type RecordedDiscordRequest,
} from '../fakes/discord-api.js';
import { startFakeXtts, type FakeXtts } from '../fakes/xtts-api.js';

export const XTTS_KEY = 'xtts-test-key-5f2b9c0e7d1a4b3c';
export { TEST_BOT_TOKEN };

/**
 * Virtual time for end-to-end runs. Automatic: sleeping advances the clock at once, so a job of many
 * "minutes" runs in milliseconds and deadlines and token expiry are still exercised exactly.
 * Manual: sleepers wake only when the test advances the clock past their time.
 */
export function virtualClock(start = Date.now(), mode: 'auto' | 'manual' = 'auto'): Clock & { advance(ms: number): void; sleepers(): number } {
	let now = start;
	const sleepers = new Set<{ wakeAt: number; wake: () => void }>();
	return {
		now: () => now,
		sleepers: () => sleepers.size,
		advance(ms) {
			now += ms;
			for (const sleeper of [...sleepers]) {
				if (sleeper.wakeAt <= now) {
					sleepers.delete(sleeper);
					sleeper.wake();
				}
			}
		},
		sleep: (ms, signal) =>
			new Promise<void>((resolve, reject) => {
				if (signal?.aborted) return reject(signal.reason);
				if (mode === 'auto') {
					setImmediate(() => {
						if (signal?.aborted) return reject(signal.reason);
						now += ms;
						resolve();
					});
					return;
				}
				const sleeper = { wakeAt: now + ms, wake: () => resolve() };
				sleepers.add(sleeper);
				signal?.addEventListener(
					'abort',
					() => {
						sleepers.delete(sleeper);
						reject(signal.reason);
					},
					{ once: true },
				);
			}),
	};
}

export interface Harness {
	xtts: FakeXtts;
	discord: FakeDiscord;
	bot: Bot;
	client: Client;
	config: Config;
	clock: ReturnType<typeof virtualClock>;
	storeUrl: string;
	/** Every JSON log line the bot wrote. */
	logs: string[];
	/** Runs /clone as a member would: the file is put on the fake CDN and the interaction injected. */
	clone(options: CloneOptions): InjectedInteraction;
	/** Injects any chat-input interaction. */
	command(options: ChatInputOptions): InjectedInteraction;
	/** Submits the "Clone this voice" form (a modal) as a member would. */
	submitModal(options: { customId: string; text: string; language?: string; userId?: string; locale?: string }): SubmittedModal;
	/** Submits any form: one text input per field, in order. */
	submitForm(options: { customId: string; fields: Record<string, string>; userId?: string; locale?: string }): SubmittedModal;
	/** Stops the bot and starts a new one on the same store (a restart). */
	restart(): Promise<Bot>;
	/** Starts another bot on the same store beside the running one (a second process sharing Redis). */
	another(): Promise<Bot>;
	close(): Promise<void>;
}

export interface SubmittedModal {
	callback(): Promise<RecordedDiscordRequest>;
	/** The reply's last edit: the result or the failure. */
	final(): Promise<RecordedDiscordRequest>;
}

export interface CloneOptions {
	file: Buffer;
	filename?: string;
	contentType?: string | null;
	durationSecs?: number;
	text?: string;
	language?: string;
	cleanupVoice?: boolean;
	/** The member; by default a new one each time, so that per-member limits don't get in the way. */
	userId?: string;
	extra?: Partial<ChatInputOptions>;
}

export interface InjectedInteraction {
	id: string;
	token: string;
	injectedAt: number;
	speakerUrl?: string;
	/** The first request to this interaction's callback. */
	callback(): Promise<RecordedDiscordRequest>;
	/** The edit of the original reply for which `pred` holds (content checks, usually). */
	edit(pred: (content: string, request: RecordedDiscordRequest) => boolean, timeoutMs?: number): Promise<RecordedDiscordRequest>;
	/** The first follow-up message (a POST to the interaction's webhook). */
	followUp(timeoutMs?: number): Promise<RecordedDiscordRequest>;
	/** Every request for this interaction's webhook (edits, follow-ups, deletes). */
	webhookRequests(): RecordedDiscordRequest[];
}

export async function startHarness(
	options: {
		env?: Record<string, string>;
		storeUrl?: string;
		clock?: ReturnType<typeof virtualClock>;
		ffmpegPath?: string | null;
		/** The pool for Discord REST calls other than acknowledgements (default: one without a connection limit). */
		discordApiAgent?: Agent;
	} = {},
): Promise<Harness> {
	const xtts = await startFakeXtts({ apiKey: XTTS_KEY });
	const discord = await startFakeDiscord();
	const dir = await mkdtemp(path.join(tmpdir(), 'xtts-bot-'));
	const storeUrl = options.storeUrl ?? `sqlite://${path.join(dir, 'bot.sqlite')}`;
	const clock = options.clock ?? virtualClock();
	const logs: string[] = [];
	const config = loadConfig({
		DISCORD_TOKEN: TEST_BOT_TOKEN,
		DISCORD_API_URL: discord.apiUrl,
		XTTS_API_KEY: XTTS_KEY,
		XTTS_API_URL: xtts.origin,
		STORE_URL: storeUrl,
		LOG_LEVEL: 'debug',
		...options.env,
	});
	const logger = createLogger({ level: 'debug', secrets: [TEST_BOT_TOKEN, XTTS_KEY], destination: { write: (line: string) => void logs.push(line) } });

	const discordAgent = options.discordApiAgent ?? new Agent();
	const callbackAgent = new Agent();
	const bots: Bot[] = [];
	const clients: Client[] = [];
	const extraStores: Stores[] = [];
	async function boot(stores?: Stores): Promise<Bot> {
		// The bot's own client options (REST transport, caches), as in production.
		const client = createTestClient(discord, { clientOptions: discordClientOptions(config, { api: discordAgent, callbacks: callbackAgent }) });
		clients.push(client);
		const bot = await createBot({ config, logger, client, clock, ffmpegPath: options.ffmpegPath ?? null, stopGraceMs: 300, ...(stores ? { stores } : {}) });
		bots.push(bot);
		await bot.start({ login: false, registerCommands: false });
		return bot;
	}
	let bot = await boot();

	function command(chat: ChatInputOptions, target: Bot = bot): InjectedInteraction {
		const payload = chatInputPayload(chat);
		const injectedAt = Date.now();
		injectInteraction(target.client, payload);
		const mine = (request: RecordedDiscordRequest) => request.path.startsWith(`/interactions/${payload.id}/`) || request.path.includes(`/${payload.token}`);
		return {
			id: payload.id,
			token: payload.token,
			injectedAt,
			callback: () => discord.waitForRequest((request) => request.path === `/interactions/${payload.id}/${payload.token}/callback`),
			edit: (pred, timeoutMs = 5_000) =>
				discord.waitForRequest(
					(request) =>
						request.method === 'PATCH' && request.path.endsWith(`/${payload.token}/messages/@original`) && pred(String(request.json?.content ?? ''), request),
					timeoutMs,
				),
			followUp: (timeoutMs = 5_000) =>
				discord.waitForRequest(
					(request) => request.method === 'POST' && request.path.endsWith(`/webhooks/${payload.application_id}/${payload.token}`),
					timeoutMs,
				),
			webhookRequests: () => discord.requests.filter((request) => mine(request) && !request.path.endsWith('/callback')),
		};
	}

	const harness: Harness = {
		xtts,
		discord,
		get bot() {
			return bot;
		},
		get client() {
			return bot.client;
		},
		config,
		clock,
		storeUrl,
		logs,
		command: (chat) => command(chat),
		submitModal({ customId, text, language = '', userId, locale }) {
			return harness.submitForm({ customId, fields: { text, language }, ...(userId ? { userId } : {}), ...(locale ? { locale } : {}) });
		},
		submitForm({ customId, fields, userId, locale }) {
			const base = chatInputPayload({ commandName: 'unused', ...(userId ? { user: { id: userId } } : {}), ...(locale ? { locale } : {}) }) as unknown as Record<
				string,
				unknown
			>;
			const payload = {
				...base,
				type: InteractionType.ModalSubmit,
				data: {
					custom_id: customId,
					components: Object.entries(fields).map(([name, value]) => ({
						type: ComponentType.ActionRow,
						components: [{ type: ComponentType.TextInput, custom_id: name, value }],
					})),
				},
			} as unknown as APIInteraction & { id: string; token: string };
			injectInteraction(bot.client, payload);
			return {
				callback: () => discord.waitForRequest((request) => request.path === `/interactions/${payload.id}/${payload.token}/callback`),
				final: () =>
					discord.waitForRequest((request) => request.method === 'PATCH' && request.path.includes(payload.token) && !contentOf(request).startsWith('🎙️'), 5_000),
			};
		},
		clone(clone) {
			const filename = clone.filename ?? 'voice.wav';
			const url = discord.addAttachment(filename, clone.file, clone.contentType ?? undefined);
			const attachmentId = snowflake();
			const options: APIApplicationCommandInteractionDataOption[] = [
				{ name: 'speaker', type: ApplicationCommandOptionType.Attachment, value: attachmentId },
				{ name: 'text', type: ApplicationCommandOptionType.String, value: clone.text ?? 'Hello from the test suite.' },
			];
			if (clone.language) options.push({ name: 'language', type: ApplicationCommandOptionType.String, value: clone.language });
			if (clone.cleanupVoice !== undefined) options.push({ name: 'cleanup_voice', type: ApplicationCommandOptionType.Boolean, value: clone.cleanupVoice });
			const injected = command({
				commandName: 'clone',
				options,
				resolved: {
					attachments: {
						[attachmentId]: attachmentPayload({
							id: attachmentId,
							filename,
							url,
							size: clone.file.length,
							...(clone.contentType === null ? {} : { contentType: clone.contentType ?? 'audio/x-wav' }),
							...(clone.durationSecs === undefined ? {} : { durationSecs: clone.durationSecs }),
						}),
					},
				},
				user: { id: clone.userId ?? snowflake() },
				...clone.extra,
			});
			return { ...injected, speakerUrl: url };
		},
		async restart() {
			await bot.stop();
			const stores = await createStores(storeUrl, logger);
			extraStores.push(stores);
			bot = await boot(stores);
			return bot;
		},
		async another() {
			const stores = await createStores(storeUrl, logger);
			extraStores.push(stores);
			return boot(stores);
		},
		async close() {
			for (const running of bots) await running.stop().catch(() => undefined);
			for (const stores of extraStores) await stores.close().catch(() => undefined);
			await Promise.allSettled([xtts.close(), discord.close(), discordAgent.close(), callbackAgent.close()]);
			await rm(dir, { recursive: true, force: true });
		},
	};
	return harness;
}

/** The content of a recorded message request. */
export function contentOf(request: RecordedDiscordRequest): string {
	return String(request.json?.content ?? '');
}
