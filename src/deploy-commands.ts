import dotenv from 'dotenv';
import { REST } from 'discord.js';
import { commandDefinitions } from './discord/registry.js';
import { ConfigError, loadDiscordConfig } from './config.js';
import { createLogger } from './util/logger.js';
import { syncCommands } from './discord/command-sync.js';

dotenv.config({ quiet: true });

let discord: ReturnType<typeof loadDiscordConfig>;
try {
	discord = loadDiscordConfig();
} catch (error) {
	console.error(error instanceof ConfigError ? error.message : String(error));
	process.exit(1);
}

const logger = createLogger({ level: 'info', secrets: [discord.token] });
const rest = new REST(discord.apiUrl ? { api: discord.apiUrl } : {}).setToken(discord.token);
try {
	await syncCommands({ rest, applicationId: discord.clientId, guildId: discord.guildId, definitions: commandDefinitions, logger, force: true });
	logger.flush();
} catch (error) {
	logger.fatal({ err: error }, 'could not register the commands');
	logger.flush();
	process.exitCode = 1;
}
