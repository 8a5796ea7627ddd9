import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

const REDACTED = '[redacted]';

/**
 * A JSON logger that can never print a secret: known secret values are replaced in every line
 * (whatever field, error message or stack they hide in) just before the line is written.
 */
export function createLogger(options: { level: LevelWithSilent; secrets: readonly string[]; destination?: pino.DestinationStream }): Logger {
	const secrets = options.secrets.filter((secret) => secret.length >= 4);
	return pino(
		{
			level: options.level,
			base: { service: 'xtts-discord-bot' },
			timestamp: pino.stdTimeFunctions.isoTime,
			formatters: { level: (label) => ({ level: label }) },
			serializers: { err: serializeError },
			redact: {
				paths: ['token', '*.token', 'apiKey', '*.apiKey', 'headers["ocp-apim-subscription-key"]', 'headers.authorization'],
				censor: REDACTED,
			},
			hooks: {
				streamWrite: (line) => scrubSecrets(line, secrets),
			},
		},
		// Synchronous writes: a line logged just before exit is never lost, and the volume is small.
		options.destination ?? pino.destination({ sync: true }),
	);
}

/** Interaction tokens are credentials for 15 minutes; they appear in Discord webhook and callback URLs. */
const INTERACTION_TOKEN_IN_URL = /\/(webhooks|interactions)\/(\d+)\/[A-Za-z0-9_.-]{20,}/g;

/**
 * pino's error serializer, minus what must not be logged: discord.js errors carry the request body
 * (whole audio files) and the webhook URL (with the interaction token).
 */
function serializeError(error: unknown): unknown {
	const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
	if (serialized && typeof serialized === 'object') {
		delete serialized.requestBody;
		delete serialized.rawError;
	}
	return serialized;
}

export function scrubSecrets(text: string, secrets: readonly string[]): string {
	let scrubbed = text.replace(INTERACTION_TOKEN_IN_URL, `/$1/$2/${REDACTED}`);
	for (const secret of secrets) {
		if (secret && scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join(REDACTED);
	}
	return scrubbed;
}

/** A logger that drops everything, for tests and tools that don't care. */
export const silentLogger: Logger = pino({ level: 'silent' });
