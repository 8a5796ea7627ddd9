import dotenv from 'dotenv';
import { createBot } from './bot.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './util/logger.js';

dotenv.config({ quiet: true });

let config: Config;
try {
	config = loadConfig();
} catch (error) {
	// One line naming what is wrong, never a value, then stop: hosts read this in their service logs.
	console.error(error instanceof ConfigError ? error.message : String(error));
	process.exit(1);
}

const logger = createLogger({
	level: config.logLevel,
	secrets: [
		config.discord.token,
		config.xtts.apiKey,
		...urlPassword(config.storeUrl),
		...(config.webhook?.secret ? [config.webhook.secret] : []),
		...(config.metricsToken ? [config.metricsToken] : []),
	],
});
const bot = await createBot({ config, logger }).catch((error: unknown) => {
	logger.fatal({ err: error }, 'could not start');
	logger.flush();
	process.exit(1);
});

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
	if (stopping) return;
	stopping = true;
	logger.info({ signal }, 'shutting down; unfinished jobs resume on the next start');
	// Never hang a service manager: whatever is still open after this is abandoned.
	setTimeout(() => {
		logger.warn('shutdown took too long; exiting anyway');
		logger.flush();
		process.exit(0);
	}, 8_000).unref();
	await bot.stop().catch((error: unknown) => logger.error({ err: error }, 'error while shutting down'));
	logger.info('stopped');
	logger.flush();
	process.exit(0);
}
process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));
process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

try {
	await bot.start();
} catch (error) {
	if (!stopping) {
		// discord.js rejects a bad token with TokenInvalid; anything else (a port in use, the store) says what it is.
		const tokenProblem = error instanceof Error && 'code' in error && error.code === 'TokenInvalid';
		logger.fatal({ err: error }, tokenProblem ? 'could not connect to Discord (check DISCORD_TOKEN)' : 'could not start');
		await bot.stop().catch(() => undefined);
		logger.flush();
		process.exit(1);
	}
}

function urlPassword(url: string): string[] {
	try {
		const { password } = new URL(url);
		return password ? [decodeURIComponent(password)] : [];
	} catch {
		return [];
	}
}
