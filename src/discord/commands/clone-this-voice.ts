import {
	ApplicationCommandType,
	ApplicationIntegrationType,
	ComponentType,
	InteractionContextType,
	TextInputStyle,
	type Attachment,
	type RESTPostAPIContextMenuApplicationCommandsJSONBody,
} from 'discord.js';
import { localizeCommand, parseLanguageName, t } from '../../i18n/index.js';
import { speakerFormatForFileName } from '../../audio/formats.js';
import { LANGUAGE_CODES, type LanguageCode } from '../../xtts/languages.js';
import { checkSpeakerMetadata, type SpeakerAttachment } from '../../audio/speaker-check.js';
import { MAX_TEXT_LENGTH, startClone } from '../clone-request.js';
import { replyPrivately } from '../replies.js';
import { customId, type MessageCommand, type ModalHandler } from '../context.js';
import { speakerProblemMessage } from '../presenter.js';

/**
 * "Clone this voice": a message context-menu command. On a message with audio (including Discord voice
 * messages) it asks for the text in a modal, then runs the same pipeline as /clone with that audio.
 */

/** The form's custom id is `clone-voice:<key>`, the key of the audio kept in pendingVoices. */
export const MODAL_PREFIX = 'clone-voice';

export const cloneThisVoiceCommand: MessageCommand = {
	data: localizeCommand({
		type: ApplicationCommandType.Message,
		name: 'Clone this voice',
		contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
		integration_types: [ApplicationIntegrationType.GuildInstall],
	} satisfies RESTPostAPIContextMenuApplicationCommandsJSONBody),

	async execute(interaction, context) {
		const audio = [...interaction.targetMessage.attachments.values()].filter(isAudioAttachment).map(asSpeaker);
		// The first one the voice service can use; if none can, say why of the first, before the member types anything.
		const speaker = audio.find((candidate) => checkSpeakerMetadata(candidate) === undefined);
		if (!speaker) {
			const refused = audio[0] && checkSpeakerMetadata(audio[0]);
			await replyPrivately(interaction, refused ? speakerProblemMessage(refused.problem, interaction.locale) : t(interaction.locale, 'voice.noAudio'));
			return;
		}
		// Whose voice it is: the message's author. Bots' and webhooks' audio (this bot's results too) is told apart.
		const author = interaction.targetMessage.author;
		const source = {
			ownerId: author.id,
			ownerIsBot: author.bot || interaction.targetMessage.webhookId !== null,
			uploaded: false,
			ownResult: author.id === interaction.client.user.id,
		};
		const key = await context.pendingVoices.put({ speaker, source });
		await interaction.showModal({
			custom_id: customId(MODAL_PREFIX, key),
			title: t(interaction.locale, 'voice.modalTitle'),
			components: [
				{
					type: ComponentType.ActionRow,
					components: [
						{
							type: ComponentType.TextInput,
							custom_id: 'text',
							label: t(interaction.locale, 'voice.textLabel'),
							style: TextInputStyle.Paragraph,
							required: true,
							max_length: MAX_TEXT_LENGTH,
						},
					],
				},
				{
					type: ComponentType.ActionRow,
					components: [
						{
							type: ComponentType.TextInput,
							custom_id: 'language',
							label: t(interaction.locale, 'voice.languageLabel'),
							style: TextInputStyle.Short,
							required: false,
							max_length: 20,
							placeholder: t(interaction.locale, 'voice.languagePlaceholder'),
						},
					],
				},
			],
		});
	},
};

/** The form "Clone this voice" opens: the text, and optionally the language. */
export const cloneVoiceModal: ModalHandler = {
	prefix: MODAL_PREFIX,
	async execute(interaction, context, [key = '']) {
		const languageText = interaction.fields.getTextInputValue('language').trim();
		const language = languageText ? parseLanguage(languageText) : null;
		if (language === undefined) {
			await replyPrivately(interaction, t(interaction.locale, 'voice.unknownLanguage', { text: languageText.slice(0, 20), codes: LANGUAGE_CODES.join(', ') }));
			return;
		}
		// Taken only once the form is valid, so a typo doesn't use it up.
		const pending = await context.pendingVoices.take(key);
		if (!pending) {
			await replyPrivately(interaction, t(interaction.locale, 'voice.expired'));
			return;
		}
		await startClone(interaction, context, { ...pending, text: interaction.fields.getTextInputValue('text'), language, cleanupVoice: false });
	},
};

function isAudioAttachment(attachment: Attachment): boolean {
	return Boolean(attachment.contentType?.startsWith('audio/') || attachment.waveform || speakerFormatForFileName(attachment.name));
}

function asSpeaker(attachment: Attachment): SpeakerAttachment {
	return { name: attachment.name, url: attachment.url, size: attachment.size, contentType: attachment.contentType, duration: attachment.duration ?? null };
}

/** A code (de) or a language's name in any of the bot's languages (German, Deutsch, alemán), any case; undefined when it is neither. */
export function parseLanguage(value: string): LanguageCode | undefined {
	return parseLanguageName(value);
}
