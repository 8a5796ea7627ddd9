/**
 * The bot as a real process (`node --import tsx src/index.ts`) against loopback fakes of Discord's REST API,
 * Discord's gateway and the XTTS API: it logs in through the gateway, stops cleanly on SIGTERM, and a job
 * interrupted by `kill -9` is finished by the next process on the same SQLite store, delivered exactly once.
 */
import { ApplicationCommandOptionType, GatewayDispatchEvents, GatewayIntentBits, GatewayOpcodes, InteractionResponseType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { attachmentPayload, chatInputPayload, DEFAULT_APPLICATION_ID, snowflake, TEST_BOT_TOKEN, type RecordedDiscordRequest } from './fakes/discord-api.js';
import { makeWav } from './fakes/xtts-api.js';
import { expectMarkedCopy } from './helpers/audio.js';
import { POLL_MS, ready, startBot, startWorld, stop, XTTS_KEY } from './helpers/bot-process.js';

const isCommandPut = (r: RecordedDiscordRequest) => r.method === 'PUT' && /^\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(r.path);
const cloneUploads = (r: RecordedDiscordRequest) => r.files.some((file) => file.filename === 'clone.wav');

describe('the bot as a real process', () => {
	it('logs in through the gateway with only the Guilds intent, registers its commands once and stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
		const { discord, gateway, env } = await startWorld();
		const bot = startBot(env);

		const connected = await ready(bot);
		expect(connected).toMatchObject({ level: 'info', user: 'xtts-test-bot#4242', guilds: 1 });

		// REST first: the gateway URL, asked with the bot token.
		const gatewayBot = discord.requests.filter((r) => r.method === 'GET' && r.path === '/gateway/bot');
		expect(gatewayBot).toHaveLength(1);
		expect(gatewayBot[0]!.headers.authorization).toBe(`Bot ${TEST_BOT_TOKEN}`);

		// Then one connection, v10 JSON without compression, and one IDENTIFY asking for Guilds only.
		expect(gateway.connections).toHaveLength(1);
		const connection = gateway.connections[0]!;
		expect(connection.query).toEqual({ v: '10', encoding: 'json' });
		const identifies = gateway.identifies();
		expect(identifies).toHaveLength(1);
		expect(identifies[0]).toMatchObject({ token: TEST_BOT_TOKEN, intents: GatewayIntentBits.Guilds, shard: [0, 1] });
		expect(identifies[0]!.intents & ~GatewayIntentBits.Guilds).toBe(0);
		// discord.js sends its first heartbeat after heartbeat_interval × random(): an ACK may come in between, by chance.
		const dispatched = connection.sent.filter((p) => p.op !== GatewayOpcodes.HeartbeatAck);
		expect(dispatched.map((p) => p.t ?? p.op)).toEqual([GatewayOpcodes.Hello, GatewayDispatchEvents.Ready, GatewayDispatchEvents.GuildCreate]);

		// Heartbeats carry the last sequence number and are acknowledged.
		// The first beat comes after heartbeat_interval × random(): by chance before READY was read (null, as Discord
		// allows); the ones after carry READY and GUILD_CREATE's 2.
		await gateway.waitFor(() => connection.heartbeats.includes(2), 5_000, 'a heartbeat carrying sequence 2');
		expect(connection.heartbeats.every((seq) => (seq ?? 0) <= 2)).toBe(true);
		expect(connection.sent.some((p) => p.op === GatewayOpcodes.HeartbeatAck)).toBe(true);

		// The commands, in one bulk update.
		const puts = discord.requests.filter(isCommandPut);
		expect(puts).toHaveLength(1);
		expect(puts[0]!.path).toBe(`/applications/${DEFAULT_APPLICATION_ID}/commands`);
		expect((puts[0]!.json as Array<{ name: string }>).map((c) => c.name).sort()).toEqual(['Clone this voice', 'clone', 'clone-settings', 'my-voice']);

		const exit = await stop(bot);
		expect(exit).toMatchObject({ code: 0, signal: null });
		expect(exit.ms).toBeLessThan(10_000);
		const messages = bot.logs.map((l) => l.msg ?? '');
		const shuttingDown = messages.findIndex((m) => m.startsWith('shutting down'));
		expect(shuttingDown).toBeGreaterThanOrEqual(0);
		expect(messages.indexOf('stopped')).toBeGreaterThan(shuttingDown);
		expect(bot.logs[shuttingDown]).toMatchObject({ signal: 'SIGTERM' });
		expect(bot.logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
		// It said goodbye to the gateway itself (1000 Normal), rather than just vanishing.
		expect(connection.closed).toMatchObject({ by: 'client', code: 1000 });
		// Secrets never reach the logs.
		const output = JSON.stringify(bot.logs) + bot.stderr();
		expect(output).not.toContain(TEST_BOT_TOKEN);
		expect(output).not.toContain(XTTS_KEY);
	});

	it('finishes a job interrupted by kill -9 in the next process on the same store, delivering it exactly once', { timeout: 60_000 }, async () => {
		const { discord, gateway, xtts, env } = await startWorld();
		xtts.nextJob = { script: ['QUEUED'] };

		const first = startBot(env);
		await ready(first);

		// A member runs /clone, delivered as a real gateway event.
		const speaker = makeWav({ seconds: 4 });
		const speakerUrl = discord.addAttachment('voice.wav', speaker, 'audio/x-wav');
		const attachmentId = snowflake();
		const payload = chatInputPayload({
			commandName: 'clone',
			options: [
				{ name: 'speaker', type: ApplicationCommandOptionType.Attachment, value: attachmentId },
				{ name: 'text', type: ApplicationCommandOptionType.String, value: 'Survive the crash, please.' },
			],
			resolved: {
				attachments: {
					[attachmentId]: attachmentPayload({
						id: attachmentId,
						filename: 'voice.wav',
						url: speakerUrl,
						size: speaker.length,
						contentType: 'audio/x-wav',
						durationSecs: 4,
					}),
				},
			},
			user: { id: snowflake() },
		});
		discord.registerInteraction(payload);
		gateway.dispatch(GatewayDispatchEvents.InteractionCreate, payload);

		const callback = await discord.waitForRequest((r) => r.path === `/interactions/${payload.id}/${payload.token}/callback`, 10_000);
		expect(callback.json).toMatchObject({ type: InteractionResponseType.DeferredChannelMessageWithSource });
		const generate = await xtts.waitForRequest((r) => r.method === 'POST' && r.path.endsWith('/generate'), 10_000);
		expect(generate.body).toMatchObject({ speaker: speakerUrl, text: 'Survive the crash, please.' });
		// At least one status poll: the job is tracked (and recorded as submitted) when the process dies.
		await xtts.waitForRequest((r) => r.method === 'GET' && r.path.startsWith('/v2/requests/status/'), 5 * POLL_MS);
		const requestId = xtts.lastJobId()!;
		expect(xtts.jobs.get(requestId)?.status).toBe('QUEUED');

		first.child.kill('SIGKILL');
		expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
		expect(discord.requests.filter(cloneUploads)).toEqual([]);
		expect(first.logs.some((l) => l.msg === 'stopped')).toBe(false);

		// The model finishes while no bot is running.
		await xtts.setStatus(requestId, 'COMPLETED');

		const second = startBot(env);
		await ready(second);
		expect(await second.waitForLog((l) => l.msg === 'resuming unfinished jobs', 5_000, "'resuming unfinished jobs'")).toMatchObject({ count: 1 });
		expect(gateway.identifies().map((d) => d.intents)).toEqual([GatewayIntentBits.Guilds, GatewayIntentBits.Guilds]);

		// The deferred reply becomes the audio, with the API's bytes.
		const upload = await discord.waitForRequest(cloneUploads, 5 * POLL_MS + 5_000);
		expect(upload.method).toBe('PATCH');
		expect(upload.path).toBe(`/webhooks/${DEFAULT_APPLICATION_ID}/${payload.token}/messages/@original`);
		expect(upload.files).toHaveLength(1);
		expectMarkedCopy(upload.files[0]!.data, xtts.jobs.get(requestId)!.media);

		// Several poll cycles later, still exactly one upload, and the job was never submitted again.
		await expect(discord.waitForRequest((r) => cloneUploads(r) && r !== upload, 3 * POLL_MS + 500)).rejects.toThrow(/no matching request/);
		expect(discord.requests.filter(cloneUploads)).toHaveLength(1);
		expect(xtts.generateRequests()).toHaveLength(1);
		expect(second.logs.filter((l) => l.msg === 'job delivered')).toHaveLength(1);
		// Commands were already in place: the restart did not register them again.
		expect(discord.requests.filter(isCommandPut)).toHaveLength(1);

		const exit = await stop(second);
		expect(exit).toMatchObject({ code: 0, signal: null });
		expect(exit.ms).toBeLessThan(10_000);
		expect(second.logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
	});
});
