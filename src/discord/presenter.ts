import { escapeMarkdown, time, TimestampStyles, userMention, type APIEmbed } from 'discord.js';
import { formatDecimal, languageNameFor, t } from '../i18n/index.js';
import type { SpeakerProblem } from '../audio/speaker-check.js';
import type { Failure } from '../jobs/failure.js';
import { partsDone, type JobIn, type JobRecord, type VoiceUse } from '../jobs/lifecycle.js';
import type { JobPhase, JobResult } from '../jobs/ports.js';
import type { LanguageSource } from '../store/guild-settings.js';
import type { LanguageCode } from '../xtts/languages.js';

/**
 * Every text a member reads is built here, so the wording stays consistent and one place turns an error
 * kind into the member's message. The texts themselves live in the catalogue (src/i18n/locales/), in the
 * member's language: a job's own locale, or the `locale` argument (English when absent).
 */

/** "German — server default", in the member's language ("Alemán — predeterminado del servidor"). */
export function languageLabel(language: LanguageCode, source: LanguageSource, locale?: string): string {
	return t(locale, 'language.label', { language: languageNameFor(language, locale), source: t(locale, `source.${source}`) });
}

/** A running job's reply: its phase (in line, sending, queued, processing), which part, and how long it has run. */
export function progressMessage(job: JobRecord, phase: JobPhase): string {
	return runningMessage(job, phaseText(job.locale, phase));
}

function phaseText(locale: string, phase: JobPhase): string {
	switch (phase.kind) {
		case 'waiting': {
			const { reason: why } = phase;
			const reason =
				why === 'cooldown' ? t(locale, 'wait.cooldown', { seconds: Math.max(1, Math.ceil((phase.startsInMs ?? 0) / 1000)) }) : t(locale, `wait.${why}`);
			return t(locale, 'progress.waiting', { position: phase.position, reason });
		}
		case 'sending':
			return t(locale, 'progress.starting');
		case 'queued':
			return t(locale, 'progress.queued');
		case 'processing':
			return t(locale, 'progress.processing');
	}
}

function runningMessage(job: JobRecord, phase: string): string {
	// A relative timestamp shows the elapsed time live in every client, without an edit per second.
	const started = time(Math.floor(job.createdAt / 1000), TimestampStyles.RelativeTime);
	// A long text: the part being worked on, counting those done (its parts go several at once, in any order).
	const parts = partsDone(job);
	const part = parts ? t(job.locale, 'progress.part', { part: Math.min(parts.done + 1, parts.total), total: parts.total }) : '';
	return t(job.locale, 'progress', {
		member: userMention(job.requesterId),
		phase: `${phase}${part}`,
		started,
		language: languageLabel(job.request.language, job.request.languageSource, job.locale),
	});
}

export function cancelledMessage(job: JobIn<'cancelled'>): string {
	return t(job.locale, 'cancelled', {
		member: userMention(job.requesterId),
		billing: t(job.locale, job.reachedApi ? 'cancelled.billed' : 'cancelled.free'),
		quote: quoteText(job.request.text),
	});
}

/** One line of a member's text for a list: no markdown that would break it, nothing that could ping. */
export function oneLine(text: string, max: number): string {
	return text
		.replace(/\s+/g, ' ')
		.replace(/[`*_~|>@]/g, '')
		.slice(0, max);
}

export function quoteText(text: string, max = 300): string {
	const oneLine = text.replace(/\s+/g, ' ').trim();
	const shortened = oneLine.length > max ? `${oneLine.slice(0, max - 1).trimEnd()}…` : oneLine;
	return `> ${escapeMarkdown(shortened)}`;
}

export function speakerHint(seconds: number | undefined, locale?: string): string | undefined {
	if (seconds === undefined) return undefined;
	if (seconds < 3) return t(locale, 'hint.short', { seconds: formatDecimal(seconds, 1, locale) });
	if (seconds > 10) return t(locale, 'hint.long', { seconds: Math.round(seconds) });
	return undefined;
}

/** The result's text: who asked, in which language, the text, and where the audio is when it is not attached. */
export function resultMessage(job: JobRecord, result: JobResult): string {
	const locale = job.locale;
	const limit = formatBytes(job.uploadLimit, locale);
	const lines = [
		t(locale, 'result', { member: userMention(job.requesterId), language: languageLabel(job.request.language, job.request.languageSource, locale) }),
		quoteText(job.request.text),
	];
	const { audio } = result;
	if (audio.kind === 'link') {
		const { url, bytes } = audio;
		lines.push(
			bytes === undefined ? t(locale, 'result.linkUnknownSize', { limit, url }) : t(locale, 'result.link', { size: formatBytes(bytes, locale), limit, url }),
		);
	}
	// A long text's joined audio over the limit: its parts' links follow the message (partLinks).
	if (audio.kind === 'part-links') lines.push(t(locale, 'result.parts', { size: formatBytes(audio.bytes, locale), limit, count: audio.urls.length }));
	if (result.voiceMessageUrl) lines.push(t(locale, 'result.voiceMessage', { url: result.voiceMessageUrl }));
	const hint = speakerHint(job.request.speakerSeconds, locale);
	if (hint) lines.push(hint);
	lines.push(disclosure(job));
	return lines.join('\n');
}

/** Whose voice a job speaks in; a record from before consent was an upload by its requester. */
export function voiceOf(job: JobRecord): VoiceUse {
	return job.request.voice ?? { ownerId: job.requesterId, basis: 'uploaded' };
}

/** Two lines on every result: it is AI-generated, who asked, whose voice and how allowed; the model's license. */
export function disclosure(job: JobRecord): string {
	const voice = voiceOf(job);
	const owner = userMention(voice.ownerId);
	const line = t(job.locale, 'disclosure.line', { requester: userMention(job.requesterId), voice: t(job.locale, `disclosure.${voice.basis}`, { owner }) });
	return `${line}\n${t(job.locale, 'disclosure.license')}`;
}

/** The member's message for a failure, then the reference to give the host. The runner passes `job.locale`. */
export function failureMessage(failure: Failure, reference: { jobId: string; requestId?: string }, locale?: string): string {
	const ref = `${t(locale, 'failure.reference', { reference: reference.jobId })}${reference.requestId ? t(locale, 'failure.request', { requestId: reference.requestId }) : ''}`;
	const text =
		failure.kind === 'failed'
			? t(locale, 'failure.failed', { reason: escapeMarkdown((failure.apiError ?? t(locale, 'failure.noReason')).slice(0, 300)) })
			: t(locale, `failure.${failure.kind}`);
	const part = failure.part ? `\n${t(locale, 'failure.part', { part: failure.part.index + 1, total: failure.part.total })}` : '';
	return `${text}${part}\n${ref}`;
}

/** Answers when a request can't start now: private, immediate, nothing spent. */
export const refusal = {
	memberBusy: (limit: number, locale?: string) => (limit === 1 ? t(locale, 'refusal.memberBusyOne') : t(locale, 'refusal.memberBusy', { limit })),
	memberLineFull: (limit: number, locale?: string) => t(locale, 'refusal.memberLineFull', { limit }),
	serverLineFull: (limit: number, locale?: string) => t(locale, 'refusal.serverLineFull', { limit }),
	balance: (locale?: string) => t(locale, 'failure.balance'),
	stopping: (locale?: string) => t(locale, 'refusal.stopping'),
};

/** Answers to input a member can fix: private, immediate, and nothing is spent at the API. */
export const invalidInput = {
	emptyText: (locale?: string) => t(locale, 'invalid.emptyText'),
	textTooLong: (length: number, max: number, locale?: string) => t(locale, 'invalid.textTooLong', { length, max }),
};

/** What is wrong with a speaker file, in the member's language. */
export function speakerProblemMessage(problem: SpeakerProblem, locale?: string): string {
	switch (problem.kind) {
		case 'not-audio':
			return t(locale, 'invalid.notAudio', { name: escapeMarkdown(problem.name) });
		case 'wrong-extension':
			return t(locale, 'invalid.wrongExtension', { name: escapeMarkdown(problem.name) });
		case 'too-large':
			return t(locale, 'invalid.tooLarge', { size: formatBytes(problem.bytes, locale), max: formatBytes(problem.max, locale) });
		case 'too-short':
			return t(locale, 'invalid.tooShort', { seconds: formatDecimal(problem.seconds, 1, locale) });
		case 'unreadable':
			return t(locale, 'invalid.unreadable');
	}
}

export function formatBytes(bytes: number, locale?: string): string {
	const MiB = 1024 * 1024;
	if (bytes >= MiB) return t(locale, 'bytes.mib', { value: formatDecimal(bytes / MiB, bytes % MiB === 0 ? 0 : 1, locale) });
	if (bytes >= 1024) return t(locale, 'bytes.kib', { value: Math.round(bytes / 1024) });
	return t(locale, 'bytes.bytes', { value: bytes });
}

/** Discord's limits on embeds: 4096 characters a description, 6000 in all, 10 a message. */
const EMBED_DESCRIPTION_MAX = 4_096;
const EMBEDS_TOTAL_MAX = 6_000;

/**
 * The links of a long text's parts, numbered in order, as embeds (a message's 2000 characters hold only a
 * dozen of them). Links past Discord's embed limits are left out; with XTTS's part sizes a 2000-character
 * text stays well within them.
 */
export function partLinks(urls: readonly string[]): APIEmbed[] {
	const embeds: APIEmbed[] = [];
	let description = '';
	let total = 0;
	for (const [index, url] of urls.entries()) {
		const link = `${description ? ' · ' : ''}[${index + 1}](${url})`;
		if (total + link.length > EMBEDS_TOTAL_MAX) break;
		if (description.length + link.length > EMBED_DESCRIPTION_MAX) {
			embeds.push({ description });
			description = `[${index + 1}](${url})`;
			total += description.length;
			continue;
		}
		description += link;
		total += link.length;
	}
	if (description) embeds.push({ description });
	return embeds.slice(0, 10);
}
