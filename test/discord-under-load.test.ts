import { InteractionResponseType } from 'discord.js';
import { Agent } from 'undici';
import { afterEach, expect, it, vi } from 'vitest';
import { snowflake } from './fakes/discord-api.js';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, type Harness } from './helpers/harness.js';

/** What keeps the bot answering when Discord is busy with it: rate-limit budgets and connections. */

let h: Harness | undefined;

afterEach(async () => {
	await h?.close();
	h = undefined;
	vi.useRealTimers();
});

// Discord: "Interaction endpoints are not bound to the bot's Global Rate Limit." discord.js's REST applies its
// 50 requests/s global budget to every route of one client, so the reply edits of many jobs at once would
// queue behind each other (and behind channel posts). The bot sends them through a REST of their own.
it('sends more than 50 reply edits within one second of discord.js’s clock', async () => {
	// Date stands still, so discord.js's global bucket never refills: on the bot's own REST, edit 51 would wait forever.
	vi.useFakeTimers({ toFake: ['Date'] });
	h = await startHarness({ env: { XTTS_POLL_INTERVAL_MS: '1000', MAX_JOBS_IN_FLIGHT: '40' } });
	h.xtts.nextJob = { script: ['COMPLETED'] };

	const warnings: Error[] = [];
	const onWarning = (warning: Error) => void warnings.push(warning);
	process.on('warning', onWarning);
	const runs = Array.from({ length: 30 }, () => h!.clone({ file: makeWav({ seconds: 4 }), extra: { guildId: snowflake() } }));
	const finals = await Promise.all(runs.map((run) => run.edit((content) => content.startsWith('🗣️'), 15_000)));
	process.off('warning', onWarning);
	// Thirty jobs listening to the runner's shutdown signal at once are expected: no "possible leak" warning.
	expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);

	expect(finals.every((final) => final.files[0]?.filename === 'clone.wav')).toBe(true);
	const edits = h.discord.requests.filter((request) => request.method === 'PATCH' && request.path.endsWith('/messages/@original'));
	// Each job: "Queued" and the result at least.
	expect(edits.length).toBeGreaterThanOrEqual(60);
	expect(finals.map(contentOf).every((content) => content.includes('Cloned voice for <@'))).toBe(true);
});

it('acknowledges a new /clone while every other connection to Discord is busy (a long upload)', async () => {
	// One connection for everything but acknowledgements, held by a reply edit that Discord doesn't answer yet.
	const api = new Agent({ connections: 1 });
	h = await startHarness({ discordApiAgent: api });
	let release!: () => void;
	const held = new Promise<void>((resolve) => (release = resolve));
	h.discord.respond('PATCH', /\/messages\/@original$/, async (request) => {
		await held;
		return { status: 200, body: { id: snowflake(), content: String(request.json?.content ?? '') } };
	});
	try {
		const first = h.clone({ file: makeWav({ seconds: 4 }), extra: { guildId: snowflake() } });
		await first.edit(() => true);

		const second = h.clone({ file: makeWav({ seconds: 4 }), extra: { guildId: snowflake() } });
		const callback = await second.callback();
		expect(callback.json?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
		// The first job's edit is still unanswered: the acknowledgement did not wait for its connection.
		expect(h.discord.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1);
	} finally {
		release();
	}
});
