/**
 * A second bot process for the scale-out scenario (bench/scale-out.ts): the bot as production builds it, on the
 * shared Redis the bench gives it, not logged in to any gateway (it receives no command), running whatever jobs
 * BullMQ hands it. Its log lines go to stdout as JSON, for the bench to read; `stop` over IPC stops it cleanly.
 */
import { createBot } from '../src/bot.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/util/logger.js';
import { TEST_BOT_TOKEN } from '../test/fakes/discord-api.js';
import { BENCH_XTTS_KEY } from './protocol.js';
import { instantClock } from './rig.js';

const config = loadConfig(process.env);
const logger = createLogger({ level: 'info', secrets: [TEST_BOT_TOKEN, BENCH_XTTS_KEY] });
const bot = await createBot({ config, logger, ffmpegPath: null, ...(process.env.BENCH_INSTANT_CLOCK === '1' ? { clock: instantClock } : {}) });
await bot.start({ login: false, registerCommands: false });
process.send?.('ready');
process.on('message', (message) => {
	if (message === 'stop') void bot.stop().finally(() => process.exit(0));
});
process.on('disconnect', () => void bot.stop().finally(() => process.exit(0)));
