import { DiscordAPIError } from 'discord.js';
import { expect, it } from 'vitest';
import { createLogger } from '../src/util/logger.js';

const TOKEN = 'MTE4MDAwMDAwMDAwMDAwMDAwMQ.G1a2b3.discord-bot-token-value';
const KEY = 'xtts-subscription-key-value';
const INTERACTION_TOKEN = 'aW50ZXJhY3Rpb246MTE4MDAwMDAwMDAwMDAwMDAwMQ-interaction-token-value';

function capture() {
	const lines: string[] = [];
	const logger = createLogger({ level: 'debug', secrets: [TOKEN, KEY], destination: { write: (line: string) => void lines.push(line) } });
	return { logger, lines };
}

it('writes JSON lines with levels, and never a known secret wherever it hides', () => {
	const { logger, lines } = capture();
	logger.error({ err: new Error(`request failed with key ${KEY}`), headers: { authorization: `Bot ${TOKEN}` }, note: `token=${TOKEN}` }, 'something failed');
	const line = JSON.parse(lines[0]!) as Record<string, unknown>;
	expect(line).toMatchObject({ level: 'error', msg: 'something failed', service: 'xtts-discord-bot' });
	expect(lines[0]).not.toContain(TOKEN);
	expect(lines[0]).not.toContain(KEY);
	expect(lines[0]).toContain('[redacted]');
});

it('drops request bodies and interaction tokens from discord.js errors', () => {
	const { logger, lines } = capture();
	const url = `https://discord.com/api/v10/webhooks/1180000000000000001/${INTERACTION_TOKEN}/messages/@original`;
	const error = new DiscordAPIError({ message: 'Invalid Webhook Token', code: 50027 }, 50027, 401, 'PATCH', url, {
		body: { content: 'hi' },
		files: [{ name: 'clone.wav', data: Buffer.alloc(100_000, 7) }],
	});
	logger.warn({ err: error }, 'progress edit failed');
	expect(lines[0]).not.toContain(INTERACTION_TOKEN);
	expect(lines[0]).toContain('/webhooks/1180000000000000001/[redacted]/messages/@original');
	expect(lines[0]!.length).toBeLessThan(5_000);
	expect(JSON.parse(lines[0]!).err.code).toBe(50027);
});
