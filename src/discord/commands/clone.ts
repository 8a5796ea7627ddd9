import { ApplicationCommandOptionType, ApplicationIntegrationType, InteractionContextType } from 'discord.js';
import { localizeCommand } from '../../i18n/index.js';
import { SPEAKER_FILE_TYPES } from '../../audio/formats.js';
import { LANGUAGE_CHOICES, isLanguageCode } from '../../xtts/languages.js';
import { MAX_TEXT_LENGTH, startClone } from '../clone-request.js';
import type { SlashCommand } from '../context.js';

export const cloneCommand = {
	// English here; the other languages' names and descriptions come from src/i18n/locales/.
	data: localizeCommand({
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
				// Discord's file picker offers only these; the bot still checks every file, since clients may not.
				file_types: [...SPEAKER_FILE_TYPES],
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
			{
				type: ApplicationCommandOptionType.Boolean,
				name: 'voice_message',
				description: 'Post the result as a Discord voice message',
			},
		],
	}),

	async execute(interaction, context) {
		const attachment = interaction.options.getAttachment('speaker', true);
		const language = interaction.options.getString('language');
		await startClone(interaction, context, {
			speaker: {
				name: attachment.name,
				url: attachment.url,
				size: attachment.size,
				contentType: attachment.contentType,
				duration: attachment.duration ?? null,
			},
			text: interaction.options.getString('text', true),
			language: isLanguageCode(language) ? language : null,
			cleanupVoice: interaction.options.getBoolean('cleanup_voice') ?? false,
			voiceMessage: interaction.options.getBoolean('voice_message'),
			// An upload: the member who gives it answers for it.
			source: { ownerId: interaction.user.id, ownerIsBot: false, uploaded: true },
		});
	},
} satisfies SlashCommand;
