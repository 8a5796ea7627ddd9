import { randomBytes } from 'node:crypto';
import { Client, Events, GatewayIntentBits, Options, REST, type ClientOptions, type Interaction } from 'discord.js';
import { cloneThisVoiceCommand, commandDefinitions, commandsByName, handleJobButton, MODAL_PREFIX, type CommandContext } from './discord/registry.js';
import { answerPrivately, replyPrivately } from './discord/replies.js';
import type { Config } from './config.js';
import type { Logger } from './util/logger.js';
import { systemClock, type Clock } from './util/clock.js';
import { syncCommands } from './discord/command-sync.js';
import { createDelivery } from './discord/delivery.js';
import { createDiscordTransport, type DiscordDispatchers } from './discord/rest-transport.js';
import { createHttpAgent } from './util/http.js';
import { createJobRunner, type JobRunner } from './jobs/runner.js';
import { createJobStore } from './store/job-store.js';
import { createOwnership } from './store/ownership.js';
import { createPendingVoices } from './store/pending-voices.js';
import { failureMessage, refusal } from './discord/presenter.js';
import { createSettingsService, type SettingsService } from './store/settings.js';
import { createStores, type Stores } from './store/stores.js';
import { createXttsClient } from './xtts/client.js';
import { detectFfmpeg } from './audio/ffmpeg.js';
import { createAudioPreparer } from './jobs/prepare-audio.js';
import { callbackUrl, startWebhookServer, type HealthReport, type WebhookServer } from './server/http-server.js';

export interface BotOptions {
	config: Config;
	logger: Logger;
	/** A ready client (tests point one at a loopback Discord); by default one is made from the config. */
	client?: Client;
	/** Already opened stores; by default they are opened from STORE_URL. */
	stores?: Stores;
	clock?: Clock;
	/** How long a stop waits for a generate request on the wire (it may be charged) before abandoning it. */
	stopGraceMs?: number;
	/** The ffmpeg to transcode oversized outputs with; by default the one on the PATH, if any. null: none. */
	ffmpegPath?: string | null;
}

export interface Bot {
	readonly client: Client;
	readonly runner: JobRunner;
	readonly settings: SettingsService;
	readonly stores: Stores;
	/** The port of the HTTP receiver (callbacks and /healthz), when one runs. */
	readonly httpPort: number | undefined;
	/** Logs in (unless told not to), registers the commands when they changed, and resumes unfinished jobs. */
	start(options?: { login?: boolean; registerCommands?: boolean }): Promise<void>;
	/** Stops taking requests, pauses jobs (they resume on the next start) and closes every connection. */
	stop(): Promise<void>;
}

/** How the bot's discord.js client is made (exported so that tests make theirs the same way). */
export function discordClientOptions(config: Config, dispatchers: DiscordDispatchers): ClientOptions {
	return {
		// No privileged intents: slash commands arrive as interactions and need none.
		intents: [GatewayIntentBits.Guilds],
		// Every interaction carries its member, user and message: kept in the cache they would only add up, one per
		// member who ever used the bot, for as long as it runs. The bot's own user and member stay.
		makeCache: Options.cacheWithLimits({
			...Options.DefaultMakeCacheSettings,
			MessageManager: 0,
			UserManager: { maxSize: 0, keepOverLimit: (user) => user.id === user.client.user?.id },
			GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => member.id === member.client.user?.id },
		}),
		rest: { makeRequest: createDiscordTransport(dispatchers), ...(config.discord.apiUrl ? { api: config.discord.apiUrl } : {}) },
	};
}

/** Builds the bot from its parts: config → store → services → client → handlers. */
export async function createBot(options: BotOptions): Promise<Bot> {
	const { config, logger } = options;
	const clock = options.clock ?? systemClock;
	const agent = createHttpAgent();
	// Acknowledgements have a pool of their own, wide enough for a burst: one that waits for a connection behind
	// another (or behind an upload) eats into Discord's 3 s.
	const callbackAgent = createHttpAgent({ connections: 256 });
	const client = options.client ?? new Client(discordClientOptions(config, { api: agent, callbacks: callbackAgent }));
	// Same transport and per-route limits as the client's, without the global 50/s budget that Discord doesn't
	// apply to interaction endpoints (see DeliveryOptions.interactionRest).
	const interactionRest = new REST({ ...client.rest.options, globalRequestsPerSecond: Number.POSITIVE_INFINITY });
	const stores = options.stores ?? (await createStores(config.storeUrl, logger));

	const xtts = createXttsClient({
		apiUrl: config.xtts.apiUrl,
		apiKey: config.xtts.apiKey,
		dispatcher: agent,
		logger,
		sleep: clock.sleep,
		now: clock.now,
	});
	// On the embedded SQLite file this process is the only writer: settings are held in memory.
	const settings = createSettingsService({ store: stores.settings, exclusive: stores.backend === 'sqlite' });
	const ffmpegPath = options.ffmpegPath === undefined ? await detectFfmpeg() : (options.ffmpegPath ?? undefined);
	logger.info(
		{ ffmpeg: Boolean(ffmpegPath) },
		ffmpegPath ? 'ffmpeg found: oversized outputs are sent as Ogg/Opus' : 'no ffmpeg: oversized outputs are sent as links',
	);
	const webhookSecret = config.webhook ? (config.webhook.secret ?? (await storedWebhookSecret(stores))) : undefined;
	const ownership = createOwnership({ store: stores.meta, shared: stores.backend === 'redis' });
	const jobStore = createJobStore(stores);
	const runner = createJobRunner({
		ownership,
		xtts,
		jobs: jobStore,
		delivery: createDelivery({ rest: client.rest, interactionRest, logger, now: clock.now }),
		audio: createAudioPreparer({ xtts, ffmpegPath, logger }),
		clock,
		logger,
		pollIntervalMs: config.xtts.pollIntervalMs,
		jobTimeoutMs: config.xtts.jobTimeoutMs,
		maxInFlight: config.maxJobsInFlight,
		...(config.webhook && webhookSecret
			? {
					webhook: {
						urlFor: (jobId: string) => callbackUrl(config.webhook!.publicUrl, webhookSecret, jobId),
						// Callbacks do the work; polling stays as a slow safety net for a lost one.
						safetyPollIntervalMs: Math.max(60_000, config.xtts.pollIntervalMs * 6),
					},
				}
			: {}),
	});
	let httpServer: WebhookServer | undefined;
	let adoptTimer: ReturnType<typeof setInterval> | undefined;

	const context: CommandContext = {
		config,
		logger,
		runner,
		jobs: jobStore,
		pendingVoices: createPendingVoices(stores.meta),
		settings,
		downloads: agent,
		// Attachments live on Discord's https CDN; a loopback or proxied Discord may serve them over its own scheme.
		attachmentProtocols: [...new Set(['https:', ...(config.discord.apiUrl ? [new URL(config.discord.apiUrl).protocol] : [])])],
		now: clock.now,
		sleep: clock.sleep,
	};

	let accepting = true;

	/** Finds what answers this interaction; undefined for interactions the bot doesn't handle. */
	function route(interaction: Interaction): { name: string; run: () => Promise<unknown> } | undefined {
		if (interaction.isChatInputCommand()) {
			const command = commandsByName.get(interaction.commandName);
			return command && { name: interaction.commandName, run: () => command.execute(interaction, context) };
		}
		if (interaction.isMessageContextMenuCommand() && interaction.commandName === cloneThisVoiceCommand.data.name) {
			return { name: interaction.commandName, run: () => cloneThisVoiceCommand.execute(interaction, context) };
		}
		if (interaction.isModalSubmit() && interaction.customId.startsWith(MODAL_PREFIX)) {
			return { name: 'clone-voice-modal', run: () => cloneThisVoiceCommand.submit(interaction, context) };
		}
		if (interaction.isButton())
			return { name: `button:${interaction.customId.split(':').slice(0, 2).join(':')}`, run: () => handleJobButton(interaction, context) };
		return undefined;
	}

	async function handleInteraction(interaction: Interaction): Promise<void> {
		if (!interaction.isRepliable()) return;
		const handler = route(interaction);
		if (!handler) {
			logger.warn({ type: interaction.type }, 'interaction the bot does not handle');
			return;
		}
		if (!accepting) {
			await replyPrivately(interaction, refusal.stopping(interaction.locale)).catch(() => undefined);
			return;
		}
		try {
			await handler.run();
		} catch (error) {
			const reference = randomBytes(6).toString('base64url');
			logger.error(
				{ err: error, reference, handler: handler.name, guildId: interaction.guildId, channelId: interaction.channelId, userId: interaction.user.id },
				'interaction failed',
			);
			const content = failureMessage({ kind: 'internal' }, { jobId: reference }, interaction.locale);
			try {
				await answerPrivately(interaction, content);
			} catch (replyError) {
				logger.warn({ err: replyError, reference }, 'could not report the failure to the member');
			}
		}
	}

	client.on(Events.InteractionCreate, (interaction) => void handleInteraction(interaction));
	client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
	client.on(Events.Warn, (message) => logger.warn({ message }, 'discord client warning'));

	async function health(): Promise<HealthReport> {
		const gateway = client.isReady();
		const store = await stores.ping();
		return {
			ok: gateway && store && accepting,
			gateway: gateway ? 'connected' : 'disconnected',
			store: store ? 'reachable' : 'unreachable',
			jobs: { inFlight: runner.inFlight, queued: runner.queued },
			accepting,
		};
	}

	return {
		client,
		runner,
		settings,
		stores,
		get httpPort() {
			return httpServer?.port;
		},

		async start({ login = true, registerCommands = true } = {}) {
			if (login) {
				const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
				await client.login(config.discord.token);
				await ready;
				logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'connected to Discord');
			}
			if (registerCommands) {
				const applicationId = config.discord.clientId ?? client.application?.id;
				if (applicationId) {
					await syncCommands({
						rest: client.rest,
						applicationId,
						guildId: config.discord.guildId,
						definitions: commandDefinitions,
						logger,
					}).catch((error: unknown) => logger.error({ err: error }, 'could not register slash commands; run npm run deploy-commands'));
				}
			}
			if (config.webhook) {
				httpServer = await startWebhookServer({
					host: config.webhook.host,
					port: config.webhook.port,
					...(webhookSecret ? { secret: webhookSecret } : {}),
					onCallback: (jobId, body) => runner.notify(jobId, body),
					health,
					logger,
				});
			} else if (config.healthPort !== undefined) {
				httpServer = await startWebhookServer({ host: config.httpHost, port: config.healthPort, health, logger });
			}
			await ownership.start();
			const resumed = await runner.resume();
			// Jobs of a process that died while sharing the store are adopted once its lease lapses.
			if (stores.backend === 'redis') {
				adoptTimer = setInterval(
					() => void runner.resume().catch((error: unknown) => logger.error({ err: error }, 'could not look for orphaned jobs')),
					30_000,
				);
				adoptTimer.unref();
			}
			logger.info({ resumed, webhooks: Boolean(config.webhook), httpPort: httpServer?.port }, 'ready');
		},

		async stop() {
			accepting = false;
			if (adoptTimer) clearInterval(adoptTimer);
			await runner.stop(options.stopGraceMs);
			await ownership.stop();
			await httpServer?.close();
			await client.destroy();
			interactionRest.clearHashSweeper();
			interactionRest.clearHandlerSweeper();
			await stores.close();
			await Promise.all([agent.close(), callbackAgent.close()]);
		},
	};
}

/** A callback secret made once and kept in the store, so callback URLs stay valid across restarts and processes. */
async function storedWebhookSecret(stores: Stores): Promise<string> {
	const existing = (await stores.meta.get('webhook-secret')) as string | undefined;
	if (existing) return existing;
	const secret = randomBytes(32).toString('base64url');
	await stores.meta.set('webhook-secret', secret);
	// Two processes racing here: whichever wrote last wins, and both use it from now on.
	return ((await stores.meta.get('webhook-secret')) as string | undefined) ?? secret;
}
