/**
 * The bot as real child processes (`node --import tsx src/index.ts`) against the loopback fakes: start one with
 * an environment of its own, read its JSON log lines as they come, wait for one, stop it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach } from 'vitest';
import { DEFAULT_APPLICATION_ID, startFakeDiscord, TEST_BOT_TOKEN, type FakeDiscord } from '../fakes/discord-api.js';
import { attachGateway, startFakeGateway, type FakeGateway, type FakeGatewayOptions } from '../fakes/discord-gateway.js';
import { startFakeXtts, type FakeXtts } from '../fakes/xtts-api.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
export const XTTS_KEY = 'xtts-process-test-key-7c1e04b9a2';
export const POLL_MS = 1_000;
export const START_TIMEOUT_MS = 30_000;

export interface LogLine {
	level?: string;
	msg?: string;
	[key: string]: unknown;
}

export interface BotProcess {
	child: ChildProcess;
	/** Every stdout line, parsed when it is JSON (the bot's log lines), else `{ raw }`. */
	logs: LogLine[];
	stderr: () => string;
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	/** Resolves with the first log line (already written or future) for which `pred` holds. */
	waitForLog(pred: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
}

const children: BotProcess[] = [];
/** Run after each test, last added first. */
export const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
	for (const bot of children.splice(0)) {
		if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
		await bot.exited;
	}
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

export function startBot(env: NodeJS.ProcessEnv): BotProcess {
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

export interface World {
	discord: FakeDiscord;
	gateway: FakeGateway;
	xtts: FakeXtts;
	env: NodeJS.ProcessEnv;
}

export async function startWorld(gatewayOptions: FakeGatewayOptions = {}): Promise<World> {
	const discord = await startFakeDiscord();
	cleanups.push(() => discord.close());
	const gateway = await startFakeGateway({ heartbeatIntervalMs: 1_000, ...gatewayOptions });
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
export async function ready(bot: BotProcess): Promise<LogLine> {
	const connected = await bot.waitForLog((l) => l.msg === 'connected to Discord', START_TIMEOUT_MS, "'connected to Discord'");
	await bot.waitForLog((l) => l.msg === 'slash commands registered' || l.msg === 'slash commands already up to date', 10_000, 'the command sync');
	return connected;
}

/** SIGTERM, then the exit. */
export async function stop(bot: BotProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
	const startedAt = Date.now();
	bot.child.kill('SIGTERM');
	const exit = await bot.exited;
	return { ...exit, ms: Date.now() - startedAt };
}
