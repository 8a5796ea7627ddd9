import { isDeepStrictEqual } from 'node:util';
import { Routes, type REST, type RESTGetAPIApplicationCommandsResult, type RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import type { Logger } from '../util/logger.js';

/**
 * Registers the command definitions with Discord: in one server (instant, for development) or globally.
 * One bulk overwrite, and only when what Discord has differs from the code.
 */
export async function syncCommands(options: {
	rest: REST;
	applicationId: string;
	guildId?: string | undefined;
	definitions: readonly RESTPostAPIApplicationCommandsJSONBody[];
	logger: Logger;
	force?: boolean;
}): Promise<'updated' | 'unchanged'> {
	const { rest, applicationId, guildId, definitions, logger } = options;
	const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
	const scope = guildId ? { guildId } : { scope: 'global' };
	if (!options.force) {
		const current = (await rest.get(route, { query: new URLSearchParams({ with_localizations: 'true' }) })) as RESTGetAPIApplicationCommandsResult;
		if (sameCommands(current, definitions)) {
			logger.info({ ...scope, count: definitions.length }, 'slash commands already up to date');
			return 'unchanged';
		}
	}
	await rest.put(route, { body: definitions });
	logger.info({ ...scope, count: definitions.length }, 'slash commands registered');
	return 'updated';
}

/** Compares only what we define; Discord adds ids, versions and defaults of its own. */
function sameCommands(current: RESTGetAPIApplicationCommandsResult, wanted: readonly RESTPostAPIApplicationCommandsJSONBody[]): boolean {
	if (current.length !== wanted.length) return false;
	const byName = new Map(current.map((command) => [command.name, command as unknown as Record<string, unknown>]));
	return wanted.every((definition) => {
		const existing = byName.get(definition.name);
		if (!existing) return false;
		return Object.entries(definition).every(([key, value]) => isDeepStrictEqual(normalize(existing[key]), normalize(value)));
	});
}

/** Drops undefined/empty fields so that `{ options: [] }` equals a missing `options`. */
function normalize(value: unknown): unknown {
	if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(normalize);
	if (value && typeof value === 'object') {
		const entries = Object.entries(value)
			.map(([key, inner]) => [key, normalize(inner)] as const)
			.filter(([, inner]) => inner !== undefined && inner !== null && inner !== false);
		return entries.length === 0 ? undefined : Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
	}
	return value === false || value === null ? undefined : value;
}
