import { randomBytes } from 'node:crypto';
import { Events, RESTEvents, type Client } from 'discord.js';
import { detectFfmpeg } from './audio/ffmpeg.js';
import type { Config } from './config.js';
import { createDiscordClient, interactionRestFor } from './discord/client.js';
import { syncCommands } from './discord/command-sync.js';
import type { HandlerContext } from './discord/context.js';
import { createDelivery } from './discord/delivery.js';
import { createChannelMessages } from './discord/channel-messages.js';
import { createConsentReporter } from './discord/consent-asks.js';
import { createJobReporter } from './discord/job-reporter.js';
import { createConsentDesk } from './jobs/consent.js';
import { createAuditLog } from './store/audit.js';
import { createVoiceChoices } from './store/people.js';
import { createReports } from './store/reports.js';
import { registry } from './discord/registry.js';
import { createRouter } from './discord/router.js';
import { createAudioPreparer } from './jobs/prepare-audio.js';
import { createPollTiming } from './jobs/poll-timing.js';
import { createJobRecords } from './jobs/records.js';
import type { JobRunner } from './jobs/engine.js';
import { createEngine } from './jobs/create-engine.js';
import { callbackUrl, startWebhookServer, type HealthReport, type WebhookServer } from './server/http-server.js';
import { createPendingVoices } from './store/pending-voices.js';
import { createSettingsService, type SettingsService } from './store/settings.js';
import { createStores, type Stores } from './store/stores.js';
import { systemClock, type Clock } from './util/clock.js';
import { createHttpAgent } from './util/http.js';
import type { Logger } from './util/logger.js';
import { createXttsClient } from './xtts/client.js';
import { createMetrics } from './util/metrics.js';

/**
 * The composition root: config → stores → XTTS client → job runner → Discord client and router. Everything is
 * made here and passed in; no module reaches for another's instance.
 */

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

/** Builds the bot from its parts: config → store → services → client → handlers. */
export async function createBot(options: BotOptions): Promise<Bot> {
	const { config, logger } = options;
	const clock = options.clock ?? systemClock;
	const agent = createHttpAgent();
	// Acknowledgements have a pool of their own, wide enough for a burst: one that waits for a connection behind
	// another (or behind an upload) eats into Discord's 3 s.
	const callbackAgent = createHttpAgent({ connections: 256 });
	const client = options.client ?? createDiscordClient(config, { api: agent, callbacks: callbackAgent });
	const interactionRest = interactionRestFor(client);
	const stores = options.stores ?? (await createStores(config.storeUrl, logger));

	const metrics = createMetrics();
	const xtts = createXttsClient({
		observe: metrics.api,
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
	const publicUrl = config.webhook?.publicUrl ?? '';
	const webhookSecret = config.webhook ? (config.webhook.secret ?? (await storedWebhookSecret(stores))) : undefined;
	const jobStore = createJobRecords(stores, { onSaved: (job) => metrics.recorded(job, clock.now()) });
	const delivery = createDelivery({ rest: client.rest, interactionRest, logger, now: clock.now });
	const channelMessages = createChannelMessages(client.rest);
	const audit = createAuditLog({ store: stores.meta, retentionDays: config.auditRetentionDays, now: clock.now });
	const consent = createConsentDesk({
		jobs: jobStore,
		clock,
		reporter: createConsentReporter({ channelMessages, delivery, logger }),
		logger,
		// On a shared Redis every process waits for every ask; one of them ends it.
		claimOnce: (key) => engine.claimOnce(key),
	});
	// The API's job times, learned from every completion: with polling, each request is first asked about just after
	// it is expected to be done.
	const timing = createPollTiming({ store: stores.meta, logger });
	const engine = await createEngine({
		backend: stores.backend,
		storeUrl: config.storeUrl,
		jobs: jobStore,
		clock,
		logger,
		maxAtApi: config.maxJobsInFlight,
		// Jobs a restart puts back in line wait with their server's limits.
		limitsFor: (guildId) => settings.limitsFor(guildId),
		lockMs: config.jobLockMs,
		deps: {
			xtts,
			reporter: createJobReporter(delivery, { audit, logger }),
			audio: createAudioPreparer({ xtts, ffmpegPath, logger }),
			clock,
			pollIntervalMs: config.xtts.pollIntervalMs,
			jobTimeoutMs: config.xtts.jobTimeoutMs,
			partsInParallel: config.partsInParallel,
			timing,
			onApiDone: metrics.apiDone,
			webhook:
				config.webhook && webhookSecret
					? {
							urlFor: (jobId: string) => callbackUrl(publicUrl, webhookSecret, jobId),
							// Callbacks do the work; polling stays as a slow safety net for a lost one.
							safetyPollIntervalMs: Math.max(60_000, config.xtts.pollIntervalMs * 6),
						}
					: undefined,
		},
	});
	const { runner } = engine;
	metrics.live(() => ({ waiting: runner.waiting, atApi: runner.atApi, maxAtApi: runner.maxAtApi, balancePaused: runner.balancePaused }));
	for (const rest of [client.rest, interactionRest]) {
		rest.on(RESTEvents.Response, (_request, response) => {
			if (response.status >= 400) metrics.discordError(response.status);
		});
	}
	let httpServer: WebhookServer | undefined;
	let adoptTimer: ReturnType<typeof setInterval> | undefined;

	const context: HandlerContext = {
		config,
		logger,
		runner,
		jobs: jobStore,
		pendingVoices: createPendingVoices(stores.meta),
		settings,
		consent,
		voiceChoices: createVoiceChoices({ store: stores.meta }),
		audit,
		reports: createReports({ store: stores.meta, retentionDays: config.auditRetentionDays, now: clock.now }),
		channelMessages,
		delivery,
		downloads: agent,
		// Attachments live on Discord's https CDN; a loopback or proxied Discord may serve them over its own scheme.
		attachmentProtocols: [...new Set(['https:', ...(config.discord.apiUrl ? [new URL(config.discord.apiUrl).protocol] : [])])],
		now: clock.now,
		sleep: clock.sleep,
	};

	let accepting = true;
	const router = createRouter({ registry, context, accepting: () => accepting });

	client.on(Events.InteractionCreate, (interaction) => void router.handle(interaction));
	client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
	client.on(Events.Warn, (message) => logger.warn({ message }, 'discord client warning'));

	async function health(): Promise<HealthReport> {
		const gateway = client.isReady();
		const store = await stores.ping();
		return {
			ok: gateway && store && accepting,
			gateway: gateway ? 'connected' : 'disconnected',
			store: store ? 'reachable' : 'unreachable',
			jobs: { active: runner.active, atApi: runner.atApi, maxAtApi: runner.maxAtApi, waiting: runner.waiting },
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
						definitions: registry.definitions,
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
					metrics: { render: metrics.render, token: config.metricsToken },
					logger,
				});
			} else if (config.healthPort !== undefined) {
				httpServer = await startWebhookServer({
					host: config.httpHost,
					port: config.healthPort,
					health,
					metrics: { render: metrics.render, token: config.metricsToken },
					logger,
				});
			}
			await timing.load();
			const resumed = await runner.resume();
			// Asks still waiting for their owner wait again, or lapse at once when their 10 minutes are over.
			const asks = await consent.resume();
			if (asks > 0) logger.info({ count: asks }, 'consent asks still open');
			// On a shared Redis, the line is reconciled with BullMQ now and then: a slot whose hand-over was lost, a job
			// that no process holds (BullMQ itself takes over a dead process's running jobs).
			if (stores.backend === 'redis') {
				adoptTimer = setInterval(
					() =>
						void Promise.all([runner.resume(), consent.resume()]).catch((error: unknown) => logger.error({ err: error }, 'could not look for orphaned jobs')),
					30_000,
				);
				adoptTimer.unref();
			}
			logger.info({ resumed, webhooks: Boolean(config.webhook), httpPort: httpServer?.port }, 'ready');
		},

		async stop() {
			accepting = false;
			if (adoptTimer) clearInterval(adoptTimer);
			consent.stop();
			await runner.stop(options.stopGraceMs);
			await timing.flush().catch((error: unknown) => logger.warn({ err: error }, 'could not keep the learned job times'));
			// Callbacks arriving until now are passed on over Redis: the receiver closes before the engine's connections.
			await httpServer?.close();
			await engine.close();
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
	// Two processes starting at the same moment may each keep their own: the README asks for WEBHOOK_SECRET with several.
	return ((await stores.meta.get('webhook-secret')) as string | undefined) ?? secret;
}
