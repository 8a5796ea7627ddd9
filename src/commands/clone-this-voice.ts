import {
	ApplicationCommandType,
	ApplicationIntegrationType,
	ComponentType,
	InteractionContextType,
	TextInputStyle,
	type Attachment,
	type MessageContextMenuCommandInteraction,
	type ModalSubmitInteraction,
	type RESTPostAPIContextMenuApplicationCommandsJSONBody,
} from 'discord.js';
import { speakerFormatForFileName } from '../services/audio.js';
import { LANGUAGE_CODES, LANGUAGES, isLanguageCode, type LanguageCode } from '../services/languages.js';
import { MAX_TEXT_LENGTH, replyPrivately, startClone } from './clone-flow.js';
import type { CommandContext } from './types.js';

/**
 * "Clone this voice": a message context-menu command. On a message with audio (including Discord voice
 * messages) it asks for the text in a modal, then runs the same pipeline as /clone with that audio.
 */

export const MODAL_PREFIX = 'clone-voice:';

export const cloneThisVoiceCommand = {
	data: {
		type: ApplicationCommandType.Message,
		name: 'Clone this voice',
		contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
		integration_types: [ApplicationIntegrationType.GuildInstall],
	} satisfies RESTPostAPIContextMenuApplicationCommandsJSONBody,

	async execute(interaction: MessageContextMenuCommandInteraction, context: CommandContext): Promise<void> {
		const audio = interaction.targetMessage.attachments.find(isAudioAttachment);
		if (!audio) {
			await replyPrivately(
				interaction,
				'🎧 This message has no audio to clone. Use it on a message with a voice message or an audio file (WAV, MP3, M4A, OGG or FLV), or run `/clone` and attach one.',
			);
			return;
		}
		const key = await context.pendingVoices.put({
			name: audio.name,
			url: audio.url,
			size: audio.size,
			contentType: audio.contentType,
			duration: audio.duration ?? null,
		});
		await interaction.showModal({
			custom_id: `${MODAL_PREFIX}${key}`,
			title: 'Clone this voice',
			components: [
				{
					type: ComponentType.ActionRow,
					components: [
						{
							type: ComponentType.TextInput,
							custom_id: 'text',
							label: 'What should the voice say?',
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
							label: 'Language (optional)',
							style: TextInputStyle.Short,
							required: false,
							max_length: 20,
							placeholder: 'en, de, fr, es… or a name like German',
						},
					],
				},
			],
		});
	},

	async submit(interaction: ModalSubmitInteraction, context: CommandContext): Promise<void> {
		const speaker = await context.pendingVoices.take(interaction.customId.slice(MODAL_PREFIX.length));
		if (!speaker) {
			await replyPrivately(interaction, '⌛ This form has expired. Please use "Clone this voice" on the message again.');
			return;
		}
		const languageText = interaction.fields.getTextInputValue('language').trim();
		const language = languageText ? parseLanguage(languageText) : null;
		if (language === undefined) {
			await replyPrivately(interaction, `🌐 "${languageText.slice(0, 20)}" is not a language the voice service speaks. Use one of: ${LANGUAGE_CODES.join(', ')}.`);
			return;
		}
		await startClone(interaction, context, { speaker, text: interaction.fields.getTextInputValue('text'), language, cleanupVoice: false });
	},
};

function isAudioAttachment(attachment: Attachment): boolean {
	return Boolean(attachment.contentType?.startsWith('audio/') || attachment.waveform || speakerFormatForFileName(attachment.name));
}

/** A code (de) or an English name (German), any case; undefined when it is neither. */
export function parseLanguage(value: string): LanguageCode | undefined {
	const lower = value.toLowerCase();
	if (isLanguageCode(lower)) return lower;
	return LANGUAGE_CODES.find((code) => LANGUAGES[code].toLowerCase() === lower);
}
