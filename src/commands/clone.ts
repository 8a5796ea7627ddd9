import { randomBytes } from 'node:crypto';
import {
	ApplicationCommandOptionType,
	ApplicationIntegrationType,
	InteractionContextType,
	MessageFlags,
	type ChatInputCommandInteraction,
} from 'discord.js';
import type { JobRecord } from '../services/job-store.js';
import { LANGUAGE_CHOICES, isLanguageCode } from '../services/languages.js';
import { RefusedError, type Admission } from '../services/job-runner.js';
import { invalidInput, refusal } from '../services/messages.js';
import type { Limits } from '../services/settings.js';
import { checkSpeakerContent, checkSpeakerMetadata, type SpeakerVerdict } from '../services/speaker-check.js';
import type { Command, CommandContext } from './types.js';

/** The API's recommended maximum per request. */
export const MAX_TEXT_LENGTH = 500;

/** Discord's default upload limit, for payloads that don't carry attachment_size_limit. */
const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;

/** How long the speaker check may take before the bot must acknowledge (Discord allows 3 s in all). */
const CHECK_BEFORE_ACK_MS = 1_500;

export const cloneCommand = {
	data: {
		name: 'clone',
		description: 'Say a line in the voice from an audio clip',
		contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
		integration_types: [ApplicationIntegrationType.GuildInstall],
		options: [
			{
				type: ApplicationCommandOptionType.Attachment,
				name: 'speaker',
				description: '3–10 s of clear speech in the voice to clone (wav, mp3, m4a, ogg or flv)',
				required: true,
			},
			{
				type: ApplicationCommandOptionType.String,
				name: 'text',
				description: 'What the voice should say',
				required: true,
				max_length: MAX_TEXT_LENGTH,
			},
			{
				type: ApplicationCommandOptionType.String,
				name: 'language',
				description: 'Language to speak (default: the channel or server setting, else your Discord language)',
				choices: LANGUAGE_CHOICES,
			},
			{
				type: ApplicationCommandOptionType.Boolean,
				name: 'cleanup_voice',
				description: 'Remove background noise from the sample first (for noisy microphone recordings)',
			},
		],
	},

	async execute(interaction, context) {
		const attachment = interaction.options.getAttachment('speaker', true);
		const text = interaction.options.getString('text', true).trim();
		const languageOption = interaction.options.getString('language');
		const cleanupVoice = interaction.options.getBoolean('cleanup_voice') ?? false;

		// Clients can bypass max_length and choices: check again.
		if (!text) return replyPrivately(interaction, invalidInput.emptyText());
		if (text.length > MAX_TEXT_LENGTH) return replyPrivately(interaction, invalidInput.textTooLong(text.length, MAX_TEXT_LENGTH));
		const speaker = {
			name: attachment.name,
			url: attachment.url,
			size: attachment.size,
			contentType: attachment.contentType,
			duration: attachment.duration ?? null,
		};
		const metadataProblem = checkSpeakerMetadata(speaker);
		if (metadataProblem && !metadataProblem.ok) return replyPrivately(interaction, metadataProblem.message);

		const limits = await context.settings.limitsFor(interaction.guildId);
		const admission = context.runner.admit({ guildId: interaction.guildId, requesterId: interaction.user.id }, limits);
		if (!admission.ok) return replyPrivately(interaction, refusalMessage(admission, limits));

		const channel = interaction.channel;
		const language = context.settings.resolveLanguage({
			explicit: isLanguageCode(languageOption) ? languageOption : null,
			guildId: interaction.guildId,
			channelId: interaction.channelId,
			parentChannelId: channel?.isThread() ? channel.parentId : null,
			locale: interaction.locale,
		});
		const verdict = checkSpeakerContent(speaker, { dispatcher: context.downloads, protocols: context.attachmentProtocols });

		// Answer a bad file privately when the check is quick; otherwise acknowledge first and correct afterwards.
		const early = await Promise.race([verdict, delay(CHECK_BEFORE_ACK_MS)]);
		if (early && !early.ok) return replyPrivately(interaction, early.message);
		await interaction.deferReply();
		const checked = (early ?? (await verdict)) as SpeakerVerdict;
		if (!checked.ok) {
			await interaction.deleteReply().catch(() => undefined);
			await interaction.followUp({ content: checked.message, flags: MessageFlags.Ephemeral });
			return;
		}

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
			channelId: interaction.channelId,
			requesterId: interaction.user.id,
			locale: interaction.locale,
			uploadLimit: interaction.attachmentSizeLimit ?? DEFAULT_UPLOAD_LIMIT,
			request: {
				speakerUrl: attachment.url,
				speakerName: attachment.name,
				text,
				language: resolved.language,
				languageSource: resolved.source,
				cleanupVoice,
				...(checked.seconds === undefined ? {} : { speakerSeconds: checked.seconds }),
			},
		};
		try {
			await context.runner.start(job, limits);
		} catch (error) {
			if (!(error instanceof RefusedError)) throw error;
			// Another request of this member's won the race since the first check.
			await interaction.deleteReply().catch(() => undefined);
			await interaction.followUp({ content: refusalMessage(error.admission, limits), flags: MessageFlags.Ephemeral });
			return;
		}
		context.logger.info(
			{ jobId: job.id, guildId: job.guildId, channelId: job.channelId, userId: job.requesterId, language: resolved.language, chars: text.length },
			'clone requested',
		);
	},
} satisfies Command;

function refusalMessage(admission: Exclude<Admission, { ok: true }>, limits: Limits): string {
	switch (admission.reason) {
		case 'member-busy':
			return refusal.memberBusy(limits.perMember);
		case 'server-busy':
			return refusal.serverBusy(limits.perServer);
		case 'cooldown':
			return refusal.cooldown(admission.retryAfterMs);
		case 'balance':
			return refusal.balance();
		case 'stopping':
			return refusal.stopping();
	}
}

async function replyPrivately(interaction: ChatInputCommandInteraction, content: string): Promise<void> {
	await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
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

export type { CommandContext };
