import type { RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import { cloneSettingsCommand } from './commands/clone-settings.js';
import { cloneThisVoiceCommand } from './commands/clone-this-voice.js';
import { cloneCommand } from './commands/clone.js';
import type { Command } from './context.js';

/** The slash commands the bot answers. */
export const commands: readonly Command[] = [cloneCommand, cloneSettingsCommand];

export const commandsByName: ReadonlyMap<string, Command> = new Map(commands.map((command) => [command.data.name, command]));

/** Every definition registered with Discord: the slash commands and the message context menu. */
export const commandDefinitions: readonly RESTPostAPIApplicationCommandsJSONBody[] = [...commands.map((command) => command.data), cloneThisVoiceCommand.data];

export { cloneThisVoiceCommand, MODAL_PREFIX } from './commands/clone-this-voice.js';
export { handleJobButton } from './components/job-button-handler.js';

export type { Command, CommandContext } from './context.js';
