import {
	ApplicationCommandOptionType,
	ApplicationIntegrationType,
	ChannelType,
	DiscordAPIError,
	InteractionContextType,
	MessageFlags,
	PermissionFlagsBits,
	RESTJSONErrorCodes,
	channelMention,
	time,
	TimestampStyles,
	userMention,
	type ChatInputCommandInteraction,
} from 'discord.js';
import { LANGUAGE_CHOICES, isLanguageCode, languageName } from '../services/languages.js';
import { languageLabel } from '../services/messages.js';
import type { LanguageSetting } from '../services/settings.js';
import type { Command, CommandContext } from './types.js';

/** Channels members can run /clone in (text chat, including the chat of voice and stage channels). */
const CHAT_CHANNEL_TYPES = [
	ChannelType.GuildText,
	ChannelType.GuildAnnouncement,
	ChannelType.GuildVoice,
	ChannelType.GuildStageVoice,
	ChannelType.GuildForum,
	ChannelType.GuildMedia,
] as const;

const channelOption = (description: string) => ({
	type: ApplicationCommandOptionType.Channel as const,
	name: 'channel',
	description,
	channel_types: [...CHAT_CHANNEL_TYPES],
});

export const cloneSettingsCommand = {
	data: {
		name: 'clone-settings',
		description: "Set the language /clone speaks in this server when a member doesn't pick one",
		contexts: [InteractionContextType.Guild],
		integration_types: [ApplicationIntegrationType.GuildInstall],
		// Manage Server by default; admins can grant it to a moderator role under Server Settings → Integrations.
		default_member_permissions: PermissionFlagsBits.ManageGuild.toString(),
		options: [
			{
				type: ApplicationCommandOptionType.Subcommand,
				name: 'language',
				description: "Set the server's default language, or one channel's",
				options: [
					{ type: ApplicationCommandOptionType.String, name: 'language', description: 'The language /clone should speak', required: true, choices: LANGUAGE_CHOICES },
					channelOption('Only in this channel (leave empty for the whole server)'),
				],
			},
			{
				type: ApplicationCommandOptionType.Subcommand,
				name: 'reset',
				description: "Remove the server's default language, or one channel's",
				options: [channelOption('Only this channel (leave empty for the server default)')],
			},
			{
				type: ApplicationCommandOptionType.Subcommand,
				name: 'show',
				description: 'Show the language settings and what /clone would use here',
			},
		],
	},

	async execute(interaction, context) {
		if (!interaction.inGuild()) {
			await reply(interaction, 'These settings belong to a server: run this command in one.');
			return;
		}
		const guildId = interaction.guildId;
		const channelId = interaction.options.getChannel('channel')?.id ?? null;

		switch (interaction.options.getSubcommand()) {
			case 'language': {
				const language = interaction.options.getString('language', true);
				if (!isLanguageCode(language)) {
					await reply(interaction, 'Please pick one of the listed languages.');
					return;
				}
				await context.settings.setLanguage(guildId, channelId, language, interaction.user.id);
				context.logger.info({ guildId, channelId, language, by: interaction.user.id }, 'language setting changed');
				await reply(
					interaction,
					channelId
						? `✅ /clone now speaks **${languageName(language)}** in ${channelMention(channelId)} unless a member picks a language.`
						: `✅ /clone now speaks **${languageName(language)}** in this server unless a member picks a language or a channel has its own.`,
				);
				return;
			}
			case 'reset': {
				const removed = await context.settings.reset(guildId, channelId);
				context.logger.info({ guildId, channelId, removed, by: interaction.user.id }, 'language setting reset');
				const where = channelId ? `${channelMention(channelId)}` : 'this server';
				await reply(
					interaction,
					removed
						? `✅ Removed the language setting for ${where}.${channelId ? ' It follows the server default again.' : ' /clone falls back to channel settings, then each member’s Discord language.'}`
						: `ℹ️ ${channelId ? channelMention(channelId) : 'This server'} had no language setting.`,
				);
				return;
			}
			case 'show':
				await reply(interaction, await describeSettings(interaction, context, guildId));
				return;
		}
	},
} satisfies Command;

async function describeSettings(interaction: ChatInputCommandInteraction, context: CommandContext, guildId: string): Promise<string> {
	const settings = await context.settings.get(guildId);
	const gone: string[] = [];
	const overrides: string[] = [];
	for (const [channelId, setting] of Object.entries(settings.channels)) {
		if (await channelIsGone(interaction, channelId)) {
			gone.push(channelId);
			continue;
		}
		overrides.push(`• ${channelMention(channelId)}: **${languageName(setting.language)}** ${changedBy(setting)}`);
	}
	if (gone.length > 0) await context.settings.forgetChannels(guildId, gone);

	const channel = interaction.channel;
	const here = await context.settings.resolveLanguage({
		guildId,
		channelId: interaction.channelId,
		parentChannelId: channel?.isThread() ? channel.parentId : null,
		locale: interaction.locale,
	});
	const lines = [
		'**/clone language settings**',
		`Server default: ${settings.language ? `**${languageName(settings.language.language)}** ${changedBy(settings.language)}` : '*none* (each member’s Discord language, else English)'}`,
		overrides.length > 0 ? `Channel overrides:\n${overrides.slice(0, 25).join('\n')}${overrides.length > 25 ? `\n…and ${overrides.length - 25} more` : ''}` : 'Channel overrides: *none*',
		`In this channel, /clone without a language speaks **${languageLabel(here.language, here.source)}**.`,
		'-# Order: the language option › channel › server › the member’s Discord language › English.',
	];
	return lines.join('\n');
}

function changedBy(setting: LanguageSetting): string {
	return `— set by ${userMention(setting.by)} ${time(new Date(setting.at), TimestampStyles.RelativeTime)}`;
}

/** Only "Unknown Channel" means gone; a channel the bot can't see may still exist. */
async function channelIsGone(interaction: ChatInputCommandInteraction, channelId: string): Promise<boolean> {
	try {
		await interaction.client.channels.fetch(channelId);
		return false;
	} catch (error) {
		return error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownChannel;
	}
}

async function reply(interaction: ChatInputCommandInteraction, content: string): Promise<void> {
	await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}
