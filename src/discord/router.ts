import { randomBytes } from 'node:crypto';
import type { Interaction, RepliableInteraction } from 'discord.js';
import { t } from '../i18n/index.js';
import type { HandlerContext } from './context.js';
import { failureMessage, refusal } from './presenter.js';
import type { Registry } from './registry.js';
import { answerPrivately, replyPrivately } from './replies.js';

/**
 * Every interaction goes through here: the handler is looked up in the registry, run, and this is the single error
 * boundary. Whatever a handler throws gets the member a private message with a reference id, and the host a log
 * line with the same id and the context; the process keeps running. An interaction no handler takes (an outdated
 * button, a form from before a restart, a command this version no longer has) gets a private answer too.
 */

interface Route {
	/** For the log line: `command:clone`, `button:job:cancel`, `modal:clone-voice`. */
	name: string;
	run(): Promise<void>;
}

export interface Router {
	handle(interaction: Interaction): Promise<void>;
}

export function createRouter({ registry, context, accepting }: { registry: Registry; context: HandlerContext; accepting: () => boolean }): Router {
	const { logger } = context;

	function route(interaction: RepliableInteraction): Route | undefined {
		if (interaction.isChatInputCommand()) {
			const command = registry.slashCommands.get(interaction.commandName);
			return command && { name: `command:${interaction.commandName}`, run: () => command.execute(interaction, context) };
		}
		if (interaction.isMessageContextMenuCommand()) {
			const command = registry.messageCommands.get(interaction.commandName);
			return command && { name: `command:${interaction.commandName}`, run: () => command.execute(interaction, context) };
		}
		if (interaction.isButton()) {
			const [prefix = '', ...args] = interaction.customId.split(':');
			const handler = registry.components.get(prefix);
			return handler && { name: `button:${prefix}:${args[0] ?? ''}`, run: () => handler.execute(interaction, context, args) };
		}
		if (interaction.isModalSubmit()) {
			const [prefix = '', ...args] = interaction.customId.split(':');
			const handler = registry.modals.get(prefix);
			return handler && { name: `modal:${prefix}`, run: () => handler.execute(interaction, context, args) };
		}
		return undefined;
	}

	async function handle(interaction: Interaction): Promise<void> {
		// Autocomplete is the only kind that cannot be answered with a message; the bot defines none.
		if (!interaction.isRepliable()) return;
		const found = route(interaction);
		const meta = { guildId: interaction.guildId, channelId: interaction.channelId, userId: interaction.user.id };
		if (!found) {
			logger.warn({ type: interaction.type, ...meta }, 'interaction the bot does not handle');
			const key = interaction.isCommand() ? 'interaction.unknownCommand' : 'interaction.unknown';
			await replyPrivately(interaction, t(interaction.locale, key)).catch(() => undefined);
			return;
		}
		if (!accepting()) {
			await replyPrivately(interaction, refusal.stopping(interaction.locale)).catch(() => undefined);
			return;
		}
		try {
			await found.run();
		} catch (error) {
			const reference = randomBytes(6).toString('base64url');
			logger.error({ err: error, reference, handler: found.name, ...meta }, 'interaction failed');
			const content = failureMessage({ kind: 'internal' }, { jobId: reference }, interaction.locale);
			try {
				await answerPrivately(interaction, content);
			} catch (replyError) {
				logger.warn({ err: replyError, reference }, 'could not report the failure to the member');
			}
		}
	}

	return { handle };
}
