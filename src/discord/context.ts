import type {
	ButtonInteraction,
	ChatInputCommandInteraction,
	MessageContextMenuCommandInteraction,
	ModalSubmitInteraction,
	RESTPostAPIChatInputApplicationCommandsJSONBody,
	RESTPostAPIContextMenuApplicationCommandsJSONBody,
} from 'discord.js';
import type { Dispatcher } from 'undici';
import type { SpeakerAttachment } from '../audio/speaker-check.js';
import type { ConsentDesk, VoiceSource } from '../jobs/consent.js';
import type { Config } from '../config.js';
import type { JobRecords } from '../jobs/records.js';
import type { JobRunner } from '../jobs/engine.js';
import type { AuditLog } from '../store/audit.js';
import type { PendingVoices } from '../store/pending-voices.js';
import type { VoiceChoices } from '../store/people.js';
import type { Reports } from '../store/reports.js';
import type { SettingsService } from '../store/settings.js';
import type { Sleep } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { ChannelMessages } from './channel-messages.js';
import type { Delivery } from './delivery.js';

/** What a handler may use. Passed in, so a test can build it around loopback servers. */
export interface HandlerContext {
	config: Config;
	logger: Logger;
	runner: JobRunner;
	/** Job records, for buttons on messages of jobs that finished or ran before a restart. */
	jobs: JobRecords;
	/** The audio picked with "Clone this voice", and whose it is, while its form is open. */
	pendingVoices: PendingVoices<{ speaker: SpeakerAttachment; source: VoiceSource }>;
	settings: SettingsService;
	consent: ConsentDesk;
	voiceChoices: VoiceChoices;
	audit: AuditLog;
	reports: Reports;
	/** The bot's messages outside interactions: asks, reports. */
	channelMessages: ChannelMessages;
	/** Job replies by their stored interaction token. */
	delivery: Delivery;
	/** For fetching the head of a member's attachment (no key). */
	downloads: Dispatcher;
	/** URL schemes attachments may be fetched over (https in production; the fake's http in tests). */
	attachmentProtocols: readonly string[];
	now: () => number;
	/** The clock's waits, so that tests drive them. */
	sleep: Sleep;
}

/**
 * The four kinds of handler the router dispatches to (discord/router.ts). Commands are found by name; components
 * and modals by the prefix of their custom id (`prefix:arg:arg`), and get the rest of it as `args`.
 */
export interface SlashCommand {
	data: RESTPostAPIChatInputApplicationCommandsJSONBody;
	execute(interaction: ChatInputCommandInteraction, context: HandlerContext): Promise<void>;
}

export interface MessageCommand {
	data: RESTPostAPIContextMenuApplicationCommandsJSONBody;
	execute(interaction: MessageContextMenuCommandInteraction, context: HandlerContext): Promise<void>;
}

export interface ComponentHandler {
	prefix: string;
	execute(interaction: ButtonInteraction, context: HandlerContext, args: readonly string[]): Promise<void>;
}

export interface ModalHandler {
	prefix: string;
	execute(interaction: ModalSubmitInteraction, context: HandlerContext, args: readonly string[]): Promise<void>;
}

/** Joins a prefix and its arguments into a custom id (at most 100 characters, Discord's limit). */
export function customId(prefix: string, ...args: string[]): string {
	const id = [prefix, ...args].join(':');
	if (id.length > 100) throw new RangeError(`custom id over 100 characters: ${prefix}`);
	return id;
}
