/**
 * The bot as a real process (`node --import tsx src/index.ts`) against loopback fakes of Discord's REST API,
 * Discord's gateway and the XTTS API: it logs in through the gateway, stops cleanly on SIGTERM, and a job
 * interrupted by `kill -9` is finished by the next process on the same SQLite store, delivered exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ApplicationCommandOptionType, GatewayDispatchEvents, GatewayIntentBits, GatewayOpcodes, InteractionResponseType } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
	attachmentPayload,
	chatInputPayload,
	DEFAULT_APPLICATION_ID,
	snowflake,
	startFakeDiscord,
	TEST_BOT_TOKEN,
	type FakeDiscord,
	type RecordedDiscordRequest,
} from './fakes/discord-api.js';
import { attachGateway, startFakeGateway, type FakeGateway } from './fakes/discord-gateway.js';
import { makeWav, startFakeXtts, type FakeXtts } from './fakes/xtts-api.js';
import { expectMarkedCopy } from './helpers/audio.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const XTTS_KEY = 'xtts-process-test-key-7c1e04b9a2';
const POLL_MS = 1_000;
const START_TIMEOUT_MS = 30_000;

interface LogLine {
	level?: string;
	msg?: string;
	[key: string]: unknown;
}

interface BotProcess {
	child: ChildProcess;
	/** Every stdout line, parsed when it is JSON (the bot's log lines), else `{ raw }`. */
	logs: LogLine[];
	stderr: () => string;
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	/** Resolves with the first log line (already written or future) for which `pred` holds. */
	waitForLog(pred: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
}

const children: BotProcess[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
	for (const bot of children.splice(0)) {
		if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
		await bot.exited;
	}
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function startBot(env: NodeJS.ProcessEnv): BotProcess {
	const child = spawn(process.execPath, ['--import', TSX, 'src/index.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
	const logs: LogLine[] = [];
	const listeners = new Set<() => void>();
	let stderr = '';
	child.stderr!.setEncoding('utf8');
	child.stderr!.on('data', (chunk: string) => (stderr += chunk));
	createInterface({ input: child.stdout! }).on('line', (line) => {
		let parsed: LogLine;
		try {
			parsed = JSON.parse(line) as LogLine;
		} catch {
			parsed = { raw: line };
		}
		logs.push(parsed);
		for (const listener of [...listeners]) listener();
	});
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
		child.once('exit', (code, signal) => {
			for (const listener of [...listeners]) listener();
			resolve({ code, signal });
		}),
	);
	const bot: BotProcess = {
		child,
		logs,
		stderr: () => stderr,
		exited,
		waitForLog(pred, timeoutMs = 10_000, what = 'log line') {
			return new Promise((resolve, reject) => {
				const check = () => {
					const found = logs.find(pred);
					if (found) return finish(() => resolve(found));
					if (child.exitCode !== null || child.signalCode !== null)
						return finish(() => reject(failure(`the bot exited (${child.exitCode ?? child.signalCode})`)));
				};
				const failure = (why: string) =>
					new Error(`waiting for ${what}: ${why}\n--- stdout ---\n${logs.map((l) => JSON.stringify(l)).join('\n')}\n--- stderr ---\n${stderr}`);
				const timer = setTimeout(() => finish(() => reject(failure(`not within ${timeoutMs} ms`))), timeoutMs);
				const finish = (settle: () => void) => {
					clearTimeout(timer);
					listeners.delete(check);
					settle();
				};
				listeners.add(check);
				check();
			});
		},
	};
	children.push(bot);
	return bot;
}

interface World {
	discord: FakeDiscord;
	gateway: FakeGateway;
	xtts: FakeXtts;
	env: NodeJS.ProcessEnv;
}

async function startWorld(): Promise<World> {
	const discord = await startFakeDiscord();
	cleanups.push(() => discord.close());
	const gateway = await startFakeGateway({ heartbeatIntervalMs: 1_000 });
	cleanups.push(() => gateway.close());
	attachGateway(discord, gateway);
	const xtts = await startFakeXtts({ apiKey: XTTS_KEY });
	cleanups.push(() => xtts.close());
	const dir = await mkdtemp(path.join(tmpdir(), 'xtts-bot-process-'));
	cleanups.push(() => rm(dir, { recursive: true, force: true }));
	// An environment of its own: nothing inherited but PATH and HOME.
	const env: NodeJS.ProcessEnv = {
		PATH: process.env.PATH ?? '/usr/bin:/bin',
		HOME: process.env.HOME ?? dir,
		DISCORD_TOKEN: TEST_BOT_TOKEN,
		DISCORD_CLIENT_ID: DEFAULT_APPLICATION_ID,
		DISCORD_API_URL: discord.apiUrl,
		XTTS_API_KEY: XTTS_KEY,
		XTTS_API_URL: xtts.origin,
		STORE_URL: `sqlite://${path.join(dir, 'bot.sqlite')}`,
		LOG_LEVEL: 'info',
		XTTS_POLL_INTERVAL_MS: String(POLL_MS),
		// The bot reads .env from its working directory; dotenv never overrides a variable that is set, even to ''
		// (which the config reads as unset), so a developer's .env cannot change what this test runs.
		DISCORD_GUILD_ID: '',
		XTTS_JOB_TIMEOUT_MS: '',
		MAX_JOBS_IN_FLIGHT: '',
		WEBHOOK_PUBLIC_URL: '',
		WEBHOOK_PORT: '',
		WEBHOOK_HOST: '',
		WEBHOOK_SECRET: '',
		HEALTH_PORT: '',
	};
	return { discord, gateway, xtts, env };
}

/** Waits until the bot is logged in, has its commands in place and has resumed its jobs. */
async function ready(bot: BotProcess): Promise<LogLine> {
	const connected = await bot.waitForLog((l) => l.msg === 'connected to Discord', START_TIMEOUT_MS, "'connected to Discord'");
	await bot.waitForLog((l) => l.msg === 'slash commands registered' || l.msg === 'slash commands already up to date', 10_000, 'the command sync');
	return connected;
}

/** SIGTERM, then the exit. */
async function stop(bot: BotProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
	const startedAt = Date.now();
	bot.child.kill('SIGTERM');
	const exit = await bot.exited;
	return { ...exit, ms: Date.now() - startedAt };
}

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
		await gateway.waitFor(() => connection.heartbeats.length > 0, 5_000, 'a heartbeat');
		expect(connection.heartbeats[0]).toBe(2);
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
