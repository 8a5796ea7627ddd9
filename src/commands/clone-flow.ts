import { randomBytes } from 'node:crypto';
import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type ModalSubmitInteraction, type RepliableInteraction } from 'discord.js';
import { RefusedError, type Admission } from '../services/job-runner.js';
import type { JobRecord } from '../services/job-store.js';
import type { LanguageCode } from '../services/languages.js';
import { LANGUAGE_CHAR_LIMITS, splitText } from '../services/text-split.js';
import { invalidInput, refusal } from '../services/messages.js';
import type { Limits } from '../services/settings.js';
import { checkSpeakerContent, checkSpeakerMetadata, type SpeakerAttachment, type SpeakerVerdict } from '../services/speaker-check.js';
import type { CommandContext } from './types.js';

/**
 * The one pipeline behind /clone, "Clone this voice" and the Again button: check the input (privately,
 * for free), check the member's limits, acknowledge publicly, check the file's bytes, record and start the job.
 */

/** The longest text a member may ask for; over the language's limit it is spoken in parts and joined. */
export const MAX_TEXT_LENGTH = 2000;

/** Discord's default upload limit, for payloads that don't carry attachment_size_limit. */
const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;

/** How long the speaker check may take before the bot must acknowledge (Discord allows 3 s in all). */
const CHECK_BEFORE_ACK_MS = 1_500;

export type CloneInteraction = ChatInputCommandInteraction | ModalSubmitInteraction | ButtonInteraction;

export interface CloneInput {
	speaker: SpeakerAttachment;
	text: string;
	/** The member's explicit choice; null lets the settings decide. */
	language: LanguageCode | null;
	cleanupVoice: boolean;
	/** The member's explicit choice; null follows the server's default. */
	voiceMessage?: boolean | null;
}

export async function startClone(interaction: CloneInteraction, context: CommandContext, input: CloneInput): Promise<void> {
	const text = input.text.trim();
	// Clients can bypass max_length and choices: check again.
	if (!text) return replyPrivately(interaction, invalidInput.emptyText(interaction.locale));
	if (text.length > MAX_TEXT_LENGTH) return replyPrivately(interaction, invalidInput.textTooLong(text.length, MAX_TEXT_LENGTH, interaction.locale));
	const { speaker } = input;
	const metadataProblem = checkSpeakerMetadata(speaker, interaction.locale);
	if (metadataProblem && !metadataProblem.ok) return replyPrivately(interaction, metadataProblem.message);

	const limits = await context.settings.limitsFor(interaction.guildId);
	const admission = context.runner.admit({ guildId: interaction.guildId, requesterId: interaction.user.id }, limits);
	if (!admission.ok) return replyPrivately(interaction, refusalMessage(admission, limits, interaction.locale));

	const channel = interaction.channel;
	const language = context.settings.resolveLanguage({
		explicit: input.language,
		guildId: interaction.guildId,
		channelId: interaction.channelId,
		parentChannelId: channel?.isThread() ? channel.parentId : null,
		locale: interaction.locale,
	});
	// Awaited below; a store failure must not become an unhandled rejection if we answer early.
	language.catch(() => undefined);
	const verdict = checkSpeakerContent(speaker, { dispatcher: context.downloads, protocols: context.attachmentProtocols, locale: interaction.locale });

	// Answer a bad file privately when the check is quick; otherwise acknowledge first and correct afterwards.
	const early = await Promise.race([verdict, delay(CHECK_BEFORE_ACK_MS)]);
	if (early && !early.ok) return replyPrivately(interaction, early.message);
	await interaction.deferReply();
	const checked = (early ?? (await verdict)) as SpeakerVerdict;
	if (!checked.ok) return correctPrivately(interaction, checked.message);

	const resolved = await language;
	const now = context.now();
	const job: JobRecord = {
		v: 1,
		id: newJobId(),
		state: 'recorded',
		createdAt: now,
		updatedAt: now,
		interaction: {
			id: interaction.id,
			applicationId: interaction.applicationId,
			token: interaction.token,
			createdAt: interaction.createdTimestamp,
		},
		guildId: interaction.guildId,
		channelId: interaction.channelId!,
		requesterId: interaction.user.id,
		locale: interaction.locale,
		uploadLimit: interaction.attachmentSizeLimit ?? DEFAULT_UPLOAD_LIMIT,
		request: {
			speakerUrl: speaker.url,
			speakerName: speaker.name,
			text,
			language: resolved.language,
			languageSource: resolved.source,
			cleanupVoice: input.cleanupVoice,
			voiceMessage: input.voiceMessage ?? (await context.settings.voiceMessagesByDefault(interaction.guildId)),
			...(checked.seconds === undefined ? {} : { speakerSeconds: checked.seconds }),
		},
		...longTextParts(text, resolved.language),
	};
	try {
		await context.runner.start(job, limits);
	} catch (error) {
		if (!(error instanceof RefusedError)) throw error;
		// Another request of this member's won the race since the first check.
		return correctPrivately(interaction, refusalMessage(error.admission, limits, interaction.locale));
	}
	context.logger.info(
		{ jobId: job.id, guildId: job.guildId, channelId: job.channelId, userId: job.requesterId, language: resolved.language, chars: text.length, via: interaction.isButton() ? 'again' : interaction.isModalSubmit() ? 'context-menu' : 'command' },
		'clone requested',
	);
}

/**
 * A text over the model's limit for its language (XTTS truncates or garbles beyond it) becomes parts
 * within that limit, at sentence boundaries.
 */
function longTextParts(text: string, language: LanguageCode): Pick<JobRecord, 'parts' | 'partIndex'> {
	if (text.length <= LANGUAGE_CHAR_LIMITS[language]) return {};
	const parts = splitText(text, language);
	return parts.length > 1 ? { parts: parts.map((part) => ({ text: part })), partIndex: 0 } : {};
}

function refusalMessage(admission: Exclude<Admission, { ok: true }>, limits: Limits, locale: string): string {
	switch (admission.reason) {
		case 'member-busy':
			return refusal.memberBusy(limits.perMember, locale);
		case 'server-busy':
			return refusal.serverBusy(limits.perServer, locale);
		case 'cooldown':
			return refusal.cooldown(admission.retryAfterMs, locale);
		case 'balance':
			return refusal.balance(locale);
		case 'stopping':
			return refusal.stopping(locale);
	}
}

export async function replyPrivately(interaction: RepliableInteraction, content: string): Promise<void> {
	await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

/** After a public acknowledgement, take it back and say what is wrong to the member alone. */
async function correctPrivately(interaction: CloneInteraction, content: string): Promise<void> {
	await interaction.deleteReply().catch(() => undefined);
	await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

function delay(ms: number): Promise<undefined> {
	return new Promise((resolve) => {
		setTimeout(() => resolve(undefined), ms).unref();
	});
}

/** Short enough to read out to a host, long enough never to collide. */
export function newJobId(): string {
	return randomBytes(9).toString('base64url');
}
