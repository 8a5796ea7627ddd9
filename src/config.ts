import { z } from 'zod';
import { DEFAULT_AUDIT_RETENTION_DAYS } from './store/audit.js';

/** The hosted API's documented origin. */
const DEFAULT_XTTS_API_URL = 'https://gateway.pixazo.ai';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
	.string()
	.trim()
	.transform((value) => (value === '' ? undefined : value))
	.optional();

const snowflake = optionalString.refine((value) => value === undefined || /^\d{17,20}$/.test(value), {
	message: 'must be a Discord id (17 to 20 digits)',
});

const httpUrl = (fallback?: string) =>
	optionalString
		.refine((value) => value === undefined || (/^https?:\/\/[^\s/]+/i.test(value) && URL.canParse(value)), {
			message: 'must be an http(s) URL',
		})
		.transform((value) => (value ?? fallback)?.replace(/\/+$/, ''));

const integer = (fallback: number, min: number, max: number) =>
	optionalString
		.pipe(z.string().regex(/^\d+$/, { message: 'must be a whole number' }).transform(Number).pipe(z.number().int().min(min).max(max)).optional())
		.transform((value) => value ?? fallback);

const port = optionalString.pipe(
	z.string().regex(/^\d+$/, { message: 'must be a port number' }).transform(Number).pipe(z.number().int().min(1).max(65_535)).optional(),
);

const envSchema = z.object({
	DISCORD_TOKEN: z
		.string({ message: 'is required (the bot token from the Developer Portal)' })
		.trim()
		.min(1, 'is required (the bot token from the Developer Portal)'),
	DISCORD_CLIENT_ID: snowflake,
	DISCORD_GUILD_ID: snowflake,
	DISCORD_API_URL: httpUrl(),
	XTTS_API_KEY: z.string({ message: 'is required (your XTTS subscription key)' }).trim().min(1, 'is required (your XTTS subscription key)'),
	XTTS_API_URL: httpUrl(DEFAULT_XTTS_API_URL),
	XTTS_POLL_INTERVAL_MS: integer(5_000, 1_000, 600_000),
	XTTS_JOB_TIMEOUT_MS: integer(600_000, 10_000, 86_400_000),
	LOG_LEVEL: optionalString.pipe(z.enum(LOG_LEVELS).optional()).transform((value) => value ?? 'info'),
	STORE_URL: optionalString
		.refine((value) => value === undefined || /^(sqlite|redis|rediss):\/\/./i.test(value), {
			message: 'must start with sqlite:// (embedded file) or redis:// (shared server)',
		})
		.transform((value) => value ?? 'sqlite://data/bot.sqlite'),
	MAX_JOBS_IN_FLIGHT: integer(20, 1, 1_000),
	PARTS_IN_PARALLEL: integer(3, 1, 10),
	AUDIT_RETENTION_DAYS: integer(DEFAULT_AUDIT_RETENTION_DAYS, 1, 3_650),
	WEBHOOK_PUBLIC_URL: httpUrl(),
	WEBHOOK_PORT: port.transform((value) => value ?? 8080),
	WEBHOOK_HOST: optionalString.transform((value) => value ?? '127.0.0.1'),
	WEBHOOK_SECRET: optionalString.refine((value) => value === undefined || value.length >= 16, { message: 'must be at least 16 characters' }),
	HEALTH_PORT: port,
	SHARD_COUNT: optionalString.pipe(
		z.string().regex(/^\d+$/, { message: 'must be a whole number' }).transform(Number).pipe(z.number().int().min(1).max(10_000)).optional(),
	),
	SHARD_IDS: optionalString.pipe(
		z
			.string()
			.regex(/^\d+(\s*,\s*\d+)*$/, { message: 'must be a comma list of shard numbers, e.g. 0,1' })
			.transform((value) => [...new Set(value.split(',').map((id) => Number(id.trim())))])
			.optional(),
	),
	JOB_LOCK_MS: integer(30_000, 1_000, 600_000),
	METRICS_TOKEN: optionalString.refine((value) => value === undefined || value.length >= 16, { message: 'must be at least 16 characters' }),
});

const botEnvSchema = envSchema.superRefine((value, context) => {
	if (value.SHARD_IDS && value.SHARD_COUNT === undefined) {
		context.addIssue({ code: 'custom', path: ['SHARD_IDS'], message: 'needs SHARD_COUNT (how many shards there are in all)' });
	}
	// Runs even when a field failed its own check (zod goes on to collect every issue): only on parsed values.
	const ids = Array.isArray(value.SHARD_IDS) ? value.SHARD_IDS : [];
	const outOfRange = typeof value.SHARD_COUNT === 'number' ? ids.find((id) => id >= (value.SHARD_COUNT as number)) : undefined;
	if (outOfRange !== undefined) context.addIssue({ code: 'custom', path: ['SHARD_IDS'], message: `shard ${outOfRange} is not below SHARD_COUNT` });
});

export interface Config {
	readonly discord: {
		readonly token: string;
		readonly clientId: string | undefined;
		readonly guildId: string | undefined;
		/** REST base without the version, handed to discord.js as `rest.api`. */
		readonly apiUrl: string | undefined;
	};
	readonly xtts: {
		readonly apiKey: string;
		/** Origin of the API, e.g. https://gateway.pixazo.ai. The key is sent to this origin only. */
		readonly apiUrl: string;
		readonly pollIntervalMs: number;
		readonly jobTimeoutMs: number;
	};
	readonly logLevel: (typeof LOG_LEVELS)[number];
	readonly storeUrl: string;
	/** Jobs at the XTTS API at once; the rest wait in line. */
	readonly maxJobsInFlight: number;
	/** A long text's parts at the API at once, each counted as a job against MAX_JOBS_IN_FLIGHT and the server's cap. */
	readonly partsInParallel: number;
	/** How long moderators' audit log and reports keep a request. */
	readonly auditRetentionDays: number;
	/** Callback mode, when WEBHOOK_PUBLIC_URL is set. */
	readonly webhook: { readonly publicUrl: string; readonly port: number; readonly host: string; readonly secret: string | undefined } | undefined;
	/** Where GET /healthz listens when webhooks are off. */
	readonly healthPort: number | undefined;
	/** Bind address of the HTTP receiver (callbacks and health). */
	readonly httpHost: string;
	/** Gateway shards this process connects (SHARD_COUNT, SHARD_IDS); undefined: as many as Discord recommends. */
	readonly sharding: { readonly shardCount: number; readonly shardIds: readonly number[] } | undefined;
	/** On a shared Redis: how long a job's lock lasts unrenewed, i.e. how soon a dead process's jobs are taken over. */
	readonly jobLockMs: number;
	/** When set, GET /metrics asks for `Authorization: Bearer <token>`. */
	readonly metricsToken: string | undefined;
}

export class ConfigError extends Error {
	override name = 'ConfigError';
}

/**
 * Reads the environment into one typed, frozen Config.
 * Throws a ConfigError whose message is one line per bad variable, naming it (never its value: it may be a secret).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
	const value = parseEnv(botEnvSchema, env);
	const config: Config = {
		discord: {
			token: value.DISCORD_TOKEN,
			clientId: value.DISCORD_CLIENT_ID,
			guildId: value.DISCORD_GUILD_ID,
			apiUrl: value.DISCORD_API_URL,
		},
		xtts: {
			apiKey: value.XTTS_API_KEY,
			apiUrl: new URL(value.XTTS_API_URL ?? DEFAULT_XTTS_API_URL).origin,
			pollIntervalMs: value.XTTS_POLL_INTERVAL_MS,
			jobTimeoutMs: value.XTTS_JOB_TIMEOUT_MS,
		},
		logLevel: value.LOG_LEVEL,
		storeUrl: value.STORE_URL,
		maxJobsInFlight: value.MAX_JOBS_IN_FLIGHT,
		partsInParallel: value.PARTS_IN_PARALLEL,
		auditRetentionDays: value.AUDIT_RETENTION_DAYS,
		webhook: value.WEBHOOK_PUBLIC_URL
			? { publicUrl: value.WEBHOOK_PUBLIC_URL, port: value.WEBHOOK_PORT, host: value.WEBHOOK_HOST, secret: value.WEBHOOK_SECRET }
			: undefined,
		healthPort: value.HEALTH_PORT,
		httpHost: value.WEBHOOK_HOST,
		sharding:
			value.SHARD_COUNT === undefined
				? undefined
				: { shardCount: value.SHARD_COUNT, shardIds: value.SHARD_IDS ?? Array.from({ length: value.SHARD_COUNT }, (_, id) => id) },
		jobLockMs: value.JOB_LOCK_MS,
		metricsToken: value.METRICS_TOKEN,
	};
	return deepFreeze(config);
}

/** Just what registering the commands needs (no XTTS key): for `npm run deploy-commands`. */
export function loadDiscordConfig(env: NodeJS.ProcessEnv = process.env): Config['discord'] & { clientId: string } {
	const schema = envSchema
		.pick({ DISCORD_TOKEN: true, DISCORD_CLIENT_ID: true, DISCORD_GUILD_ID: true, DISCORD_API_URL: true })
		.refine((value) => value.DISCORD_CLIENT_ID, {
			message: 'is required to register commands (the application id from the Developer Portal)',
			path: ['DISCORD_CLIENT_ID'],
		});
	const value = parseEnv(schema, env);
	return Object.freeze({
		token: value.DISCORD_TOKEN,
		clientId: value.DISCORD_CLIENT_ID ?? '' /* required by the refine above */,
		guildId: value.DISCORD_GUILD_ID,
		apiUrl: value.DISCORD_API_URL,
	});
}

function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.output<T> {
	const parsed = schema.safeParse(env);
	if (!parsed.success) {
		const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`);
		throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
	}
	return parsed.data;
}

function deepFreeze<T extends object>(object: T): T {
	for (const value of Object.values(object)) {
		if (value && typeof value === 'object') deepFreeze(value as object);
	}
	return Object.freeze(object);
}
