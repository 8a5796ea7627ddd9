import { cloneSettingsCommand } from './clone-settings.js';
import { cloneCommand } from './clone.js';
import type { Command } from './types.js';

/** Every command the bot answers; the same list is registered with Discord. */
export const commands: readonly Command[] = [cloneCommand, cloneSettingsCommand];

export const commandsByName: ReadonlyMap<string, Command> = new Map(commands.map((command) => [command.data.name, command]));

export type { Command, CommandContext } from './types.js';
