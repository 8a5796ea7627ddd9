import { escapeMarkdown, time, TimestampStyles, userMention } from 'discord.js';
import { languageName, type LanguageCode } from './languages.js';
import type { LanguageSource } from './settings.js';
import type { JobRecord } from './job-store.js';
import type { XttsStatus } from './xtts-client.js';

/**
 * Every text a member reads comes from here, so the wording stays consistent and one place
 * turns an error kind into the member's message.
 */

export type FailureKind =
	| 'balance'
	| 'auth'
	| 'unavailable'
	| 'busy'
	| 'failed'
	| 'provider-error'
	| 'timeout'
	| 'network'
	| 'interrupted'
	| 'download'
	| 'internal';

export interface Failure {
	kind: FailureKind;
	/** The API's own error text for a FAILED job (shown to the member: it is about their input). */
	apiError?: string;
}

const SOURCE_LABELS: Record<LanguageSource, string> = {
	option: 'chosen',
	channel: 'channel default',
	server: 'server default',
	locale: 'your Discord language',
	default: 'default',
};

export function languageLabel(language: LanguageCode, source: LanguageSource): string {
	return `${languageName(language)} — ${SOURCE_LABELS[source]}`;
}

export function progressMessage(job: JobRecord, status: XttsStatus | 'starting'): string {
	const started = time(Math.floor(job.createdAt / 1000), TimestampStyles.RelativeTime);
	const phase = status === 'PROCESSING' ? '**Processing** — the model is speaking' : status === 'starting' ? '**Sending** to the voice service' : '**Queued** — waiting for the model';
	// A relative timestamp shows the elapsed time live in every client, without an edit per second.
	return `🎙️ Cloning a voice for ${userMention(job.requesterId)}… ${phase}\nStarted ${started} · ${languageLabel(job.request.language, job.request.languageSource)}`;
}

export function queuedMessage(job: JobRecord, position: number): string {
	const started = time(Math.floor(job.createdAt / 1000), TimestampStyles.RelativeTime);
	return `🎙️ Cloning a voice for ${userMention(job.requesterId)}… **Waiting in line** — position ${position}\nStarted ${started} · ${languageLabel(job.request.language, job.request.languageSource)}`;
}

export function cancelledMessage(job: JobRecord, reachedApi: boolean): string {
	const billing = reachedApi
		? 'The voice service has no way to stop a job, so it may still be billed.'
		: 'It had not been sent to the voice service yet, so nothing was spent.';
	return `🚫 Cancelled by ${userMention(job.requesterId)}. ${billing}\n${quoteText(job.request.text)}`;
}

export function quoteText(text: string, max = 300): string {
	const oneLine = text.replace(/\s+/g, ' ').trim();
	const shortened = oneLine.length > max ? `${oneLine.slice(0, max - 1).trimEnd()}…` : oneLine;
	return `> ${escapeMarkdown(shortened)}`;
}

export function speakerHint(seconds: number | undefined): string | undefined {
	if (seconds === undefined) return undefined;
	if (seconds < 3) return `💡 Your voice sample is ${seconds.toFixed(1)} s long; 3–10 s of clear speech gives a closer clone.`;
	if (seconds > 10) return `💡 Your voice sample is ${Math.round(seconds)} s long; 3–10 s of clear speech is all the model needs.`;
	return undefined;
}

export function resultMessage(job: JobRecord, options: { tooLarge?: { url: string; bytes?: number; limit: number } } = {}): string {
	const lines = [
		`🗣️ Cloned voice for ${userMention(job.requesterId)} · ${languageLabel(job.request.language, job.request.languageSource)}`,
		quoteText(job.request.text),
	];
	if (options.tooLarge) {
		const { url, bytes, limit } = options.tooLarge;
		const size = bytes === undefined ? 'larger than' : `${formatBytes(bytes)}, over`;
		lines.push(`📎 The audio is ${size} this channel's ${formatBytes(limit)} upload limit, so here is the link instead: ${url}`);
	}
	const hint = speakerHint(job.request.speakerSeconds);
	if (hint) lines.push(hint);
	return lines.join('\n');
}

export function failureMessage(failure: Failure, reference: { jobId: string; requestId?: string }): string {
	const ref = `Reference: \`${reference.jobId}\`${reference.requestId ? ` · request \`${reference.requestId}\`` : ''}`;
	switch (failure.kind) {
		case 'balance':
			return `❌ The voice service account behind this bot has run out of balance, so no voice can be cloned right now. Please tell the server's admins or the bot's host.\n${ref}`;
		case 'auth':
			return `❌ The bot is misconfigured: the voice service refused its credentials. Please tell the bot's host.\n${ref}`;
		case 'unavailable':
			return `❌ The voice service is unavailable right now. Please try again later.\n${ref}`;
		case 'busy':
			return `⏳ The voice service is busy. Please try again in a minute.\n${ref}`;
		case 'failed':
			return `❌ The voice service could not clone this: ${escapeMarkdown((failure.apiError ?? 'no reason given').slice(0, 300))}\nA clear 3–10 s recording of one voice works best.\n${ref}`;
		case 'provider-error':
			return `❌ The voice service had an internal error (you were not charged). Please try again.\n${ref}`;
		case 'timeout':
			return `⌛ The voice service took too long and the bot stopped waiting. Please try again later.\n${ref}`;
		case 'network':
			return `❌ The bot could not reach the voice service. Please try again in a few minutes.\n${ref}`;
		case 'interrupted':
			return `❌ The bot restarted while sending this request, so it was not completed. Please run the command again.\n${ref}`;
		case 'download':
			return `❌ The audio was made but the bot could not fetch it from the voice service. Please try again.\n${ref}`;
		case 'internal':
			return `❌ Something went wrong on the bot's side. Please try again; if it keeps happening, give the bot's host this reference.\n${ref}`;
	}
}

/** Answers when a request can't start now: private, immediate, nothing spent. */
export const refusal = {
	memberBusy: (limit: number) =>
		limit === 1
			? '⏳ You already have a clone in progress. Please wait for it to finish before starting another.'
			: `⏳ You already have ${limit} clones in progress, the most this server allows. Please wait for one to finish.`,
	cooldown: (retryAfterMs: number) => `⏳ Please wait ${Math.ceil(retryAfterMs / 1000)} s before your next clone.`,
	serverBusy: (limit: number) => `⏳ This server already has ${limit} clones in progress, the most it allows. Please try again in a moment.`,
	balance: () =>
		"❌ The voice service account behind this bot has run out of balance, so no voice can be cloned right now. Please tell the server's admins or the bot's host.",
	stopping: () => '🔄 The bot is restarting. Please try again in a minute.',
};

/** Answers to input a member can fix: private, immediate, and nothing is spent at the API. */
export const invalidInput = {
	emptyText: () => '✏️ Please type the line to say: the text is empty.',
	textTooLong: (length: number, max: number) => `✏️ The text is ${length} characters long; the limit is ${max}. Please shorten it.`,
	notAudio: (name: string) =>
		`🎧 \`${escapeMarkdown(name)}\` is not an audio file the voice service can read. Please attach a WAV, MP3, M4A, OGG or FLV recording of the voice (3–10 s of clear speech).`,
	wrongExtension: (name: string) =>
		`🎧 \`${escapeMarkdown(name)}\` doesn't have a supported file type. Please attach a .wav, .mp3, .m4a, .ogg or .flv recording of the voice.`,
	tooLarge: (bytes: number, max: number) => `🎧 The voice file is ${formatBytes(bytes)}; the limit is ${formatBytes(max)}. A 3–10 s clip is plenty.`,
	tooShort: (seconds: number) => `🎧 The voice sample is only ${seconds.toFixed(1)} s long. Please attach at least 1 s (3–10 s of clear speech works best).`,
	unreadable: () => '🎧 The bot could not read the attached file from Discord. Please attach it again.',
};

export function formatBytes(bytes: number): string {
	if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
	if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
	return `${bytes} bytes`;
}
