import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

const REDACTED = '[redacted]';

/**
 * A JSON logger that can never print a secret: known secret values are replaced in every line
 * (whatever field, error message or stack they hide in) just before the line is written.
 */
export function createLogger(options: {
	level: LevelWithSilent;
	secrets: readonly string[];
	destination?: pino.DestinationStream;
}): Logger {
	const secrets = options.secrets.filter((secret) => secret.length >= 4);
	return pino(
		{
			level: options.level,
			base: { service: 'xtts-discord-bot' },
			timestamp: pino.stdTimeFunctions.isoTime,
			formatters: { level: (label) => ({ level: label }) },
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

export function scrubSecrets(text: string, secrets: readonly string[]): string {
	let scrubbed = text;
	for (const secret of secrets) {
		if (secret && scrubbed.includes(secret)) scrubbed = scrubbed.split(secret).join(REDACTED);
	}
	return scrubbed;
}

/** A logger that drops everything, for tests and tools that don't care. */
export const silentLogger: Logger = pino({ level: 'silent' });
