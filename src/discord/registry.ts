import type { RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import { cloneSettingsCommand } from './commands/clone-settings.js';
import { cloneThisVoiceCommand, cloneVoiceModal } from './commands/clone-this-voice.js';
import { cloneCommand } from './commands/clone.js';
import { myVoiceCommand } from './commands/my-voice.js';
import { jobButtons } from './components/job-button-handler.js';
import { reportActions, reportButton, reportForm } from './components/reports.js';
import { consentButtons } from './consent-asks.js';
import type { ComponentHandler, MessageCommand, ModalHandler, SlashCommand } from './context.js';

/** Everything the bot answers, in one place: the router looks handlers up here, command sync registers the commands. */
export interface Registry {
	slashCommands: ReadonlyMap<string, SlashCommand>;
	messageCommands: ReadonlyMap<string, MessageCommand>;
	/** By custom-id prefix. */
	components: ReadonlyMap<string, ComponentHandler>;
	/** By custom-id prefix. */
	modals: ReadonlyMap<string, ModalHandler>;
	/** Every definition registered with Discord. */
	definitions: readonly RESTPostAPIApplicationCommandsJSONBody[];
}

export function createRegistry(handlers: {
	slashCommands: readonly SlashCommand[];
	messageCommands: readonly MessageCommand[];
	components: readonly ComponentHandler[];
	modals: readonly ModalHandler[];
}): Registry {
	const byKey = <T>(items: readonly T[], key: (item: T) => string): ReadonlyMap<string, T> => {
		const map = new Map<string, T>();
		for (const item of items) {
			if (map.has(key(item))) throw new Error(`two handlers for ${key(item)}`);
			map.set(key(item), item);
		}
		return map;
	};
	return {
		slashCommands: byKey(handlers.slashCommands, (command) => command.data.name),
		messageCommands: byKey(handlers.messageCommands, (command) => command.data.name),
		components: byKey(handlers.components, (handler) => handler.prefix),
		modals: byKey(handlers.modals, (handler) => handler.prefix),
		definitions: [...handlers.slashCommands.map((command) => command.data), ...handlers.messageCommands.map((command) => command.data)],
	};
}

export const registry = createRegistry({
	slashCommands: [cloneCommand, cloneSettingsCommand, myVoiceCommand],
	messageCommands: [cloneThisVoiceCommand],
	components: [jobButtons, consentButtons, reportButton, reportActions],
	modals: [cloneVoiceModal, reportForm],
});

/** Every definition registered with Discord: the slash commands and the message context menu. */
export const commandDefinitions = registry.definitions;
