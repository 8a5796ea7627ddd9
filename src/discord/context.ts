import type { ChatInputCommandInteraction, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.js';
import type { Logger } from '../util/logger.js';
import type { Sleep } from '../util/clock.js';
import type { JobRunner } from '../jobs/runner.js';
import type { JobStore } from '../store/job-store.js';
import type { PendingVoices } from '../store/pending-voices.js';
import type { SettingsService } from '../store/settings.js';

/** What a command handler may use. Passed in, so a test can build it around loopback servers. */
export interface CommandContext {
	config: Config;
	logger: Logger;
	runner: JobRunner;
	/** Job records, for buttons on messages of jobs that finished or ran before a restart. */
	jobs: JobStore;
	pendingVoices: PendingVoices;
	settings: SettingsService;
	/** For fetching the head of a member's attachment (no key). */
	downloads: Dispatcher;
	/** URL schemes attachments may be fetched over (https in production; the fake's http in tests). */
	attachmentProtocols: readonly string[];
	now: () => number;
	/** The clock's waits, so that tests drive them. */
	sleep: Sleep;
}

export interface Command {
	data: RESTPostAPIChatInputApplicationCommandsJSONBody;
	execute(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<void>;
}
