import { randomBytes } from 'node:crypto';
import { Client, Events, GatewayIntentBits, MessageFlags, type Interaction } from 'discord.js';
import { commands, commandsByName, type CommandContext } from './commands/index.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { systemClock, type Clock } from './services/clock.js';
import { syncCommands } from './services/command-registry.js';
import { createDelivery } from './services/delivery.js';
import { createHttpAgent, withRedirects } from './services/http.js';
import { createJobRunner, type JobRunner } from './services/job-runner.js';
import { createJobStore } from './services/job-store.js';
import { failureMessage } from './services/messages.js';
import { createSettingsService, type SettingsService } from './services/settings.js';
import { createStores, type Stores } from './services/store.js';
import { createXttsClient } from './services/xtts-client.js';

export interface BotOptions {
	config: Config;
	logger: Logger;
	/** A ready client (tests point one at a loopback Discord); by default one is made from the config. */
	client?: Client;
	/** Already opened stores; by default they are opened from STORE_URL. */
	stores?: Stores;
	clock?: Clock;
}

export interface Bot {
	readonly client: Client;
	readonly runner: JobRunner;
	readonly settings: SettingsService;
	readonly stores: Stores;
	/** Logs in (unless told not to), registers the commands when they changed, and resumes unfinished jobs. */
	start(options?: { login?: boolean; registerCommands?: boolean }): Promise<void>;
	/** Stops taking requests, pauses jobs (they resume on the next start) and closes every connection. */
	stop(): Promise<void>;
}

/** Builds the bot from its parts: config → store → services → client → handlers. */
export async function createBot(options: BotOptions): Promise<Bot> {
	const { config, logger } = options;
	const clock = options.clock ?? systemClock;
	const client =
		options.client ??
		new Client({
			// No privileged intents: slash commands arrive as interactions and need none.
			intents: [GatewayIntentBits.Guilds],
			rest: config.discord.apiUrl ? { api: config.discord.apiUrl } : {},
		});
	const stores = options.stores ?? (await createStores(config.storeUrl, logger));
	const agent = createHttpAgent();
	const downloads = withRedirects(agent);

	const xtts = createXttsClient({
		apiUrl: config.xtts.apiUrl,
		apiKey: config.xtts.apiKey,
		dispatcher: agent,
		mediaDispatcher: downloads,
		logger,
		sleep: clock.sleep,
		now: clock.now,
	});
	const settings = createSettingsService({ store: stores.settings });
	const runner = createJobRunner({
		xtts,
		jobs: createJobStore(stores.jobs),
		delivery: createDelivery({ rest: client.rest, logger, now: clock.now }),
		clock,
		logger,
		pollIntervalMs: config.xtts.pollIntervalMs,
		jobTimeoutMs: config.xtts.jobTimeoutMs,
	});

	const context: CommandContext = {
		config,
		logger,
		runner,
		settings,
		downloads,
		// Attachments live on Discord's https CDN; a loopback or proxied Discord may serve them over its own scheme.
		attachmentProtocols: [...new Set(['https:', ...(config.discord.apiUrl ? [new URL(config.discord.apiUrl).protocol] : [])])],
		now: clock.now,
	};

	let accepting = true;

	async function handleInteraction(interaction: Interaction): Promise<void> {
		if (!interaction.isChatInputCommand()) return;
		const command = commandsByName.get(interaction.commandName);
		if (!command) {
			logger.warn({ command: interaction.commandName }, 'interaction for an unknown command');
			return;
		}
		if (!accepting) {
			await interaction.reply({ content: '🔄 The bot is restarting. Please try again in a minute.', flags: MessageFlags.Ephemeral }).catch(() => undefined);
			return;
		}
		try {
			await command.execute(interaction, context);
		} catch (error) {
			const reference = randomBytes(6).toString('base64url');
			logger.error(
				{ err: error, reference, command: interaction.commandName, guildId: interaction.guildId, channelId: interaction.channelId, userId: interaction.user.id },
				'command failed',
			);
			const content = failureMessage({ kind: 'internal' }, { jobId: reference });
			try {
				if (interaction.deferred || interaction.replied) await interaction.editReply({ content, files: [], attachments: [] });
				else await interaction.reply({ content, flags: MessageFlags.Ephemeral });
			} catch (replyError) {
				logger.warn({ err: replyError, reference }, 'could not report the failure to the member');
			}
		}
	}

	client.on(Events.InteractionCreate, (interaction) => void handleInteraction(interaction));
	client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
	client.on(Events.Warn, (message) => logger.warn({ message }, 'discord client warning'));

	return {
		client,
		runner,
		settings,
		stores,

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
						definitions: commands.map((command) => command.data),
						logger,
					}).catch((error: unknown) => logger.error({ err: error }, 'could not register slash commands; run npm run deploy-commands'));
				}
			}
			await runner.resume();
		},

		async stop() {
			accepting = false;
			await runner.stop();
			await client.destroy();
			await stores.close();
			await agent.close();
		},
	};
}
