import {
	ApplicationCommandOptionType,
	ApplicationIntegrationType,
	ChannelType,
	InteractionContextType,
	MessageFlags,
	PermissionFlagsBits,
	channelMention,
	type ChatInputCommandInteraction,
} from 'discord.js';
import { localizeCommand, languageNameFor, t } from '../../i18n/index.js';
import { LANGUAGE_CHOICES, isLanguageCode } from '../../xtts/languages.js';
import { DEFAULT_LIMITS, LIMIT_BOUNDS, type Limits } from '../../store/guild-settings.js';
import type { SlashCommand } from '../context.js';
import { MODERATION_SUBCOMMANDS, moderate } from './clone-settings-moderation.js';
import { describeLimits, describeSettings } from './settings-show.js';

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
	// English here; the other languages' names and descriptions come from src/i18n/locales/.
	data: localizeCommand(
		{
			name: 'clone-settings',
			description: 'Set how /clone works in this server: language, limits, consent, reports, blocks, audit',
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
						{
							type: ApplicationCommandOptionType.String,
							name: 'language',
							description: 'The language /clone should speak',
							required: true,
							choices: LANGUAGE_CHOICES,
						},
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
					name: 'limits',
					description: 'How many clones members and the server may run at once, and the wait between two',
					options: [
						{
							type: ApplicationCommandOptionType.Integer,
							name: 'member_jobs',
							description: `Clones one member may have in progress at once (default ${DEFAULT_LIMITS.perMember})`,
							min_value: LIMIT_BOUNDS.perMember.min,
							max_value: LIMIT_BOUNDS.perMember.max,
						},
						{
							type: ApplicationCommandOptionType.Integer,
							name: 'server_jobs',
							description: `Clones the whole server may have in progress at once (default ${DEFAULT_LIMITS.perServer})`,
							min_value: LIMIT_BOUNDS.perServer.min,
							max_value: LIMIT_BOUNDS.perServer.max,
						},
						{
							type: ApplicationCommandOptionType.Integer,
							name: 'cooldown_seconds',
							description: `Seconds a member waits between two clones (default ${DEFAULT_LIMITS.cooldownSeconds})`,
							min_value: LIMIT_BOUNDS.cooldownSeconds.min,
							max_value: LIMIT_BOUNDS.cooldownSeconds.max,
						},
						{
							type: ApplicationCommandOptionType.Integer,
							name: 'member_waiting',
							description: `Requests one member may have waiting in line (default ${DEFAULT_LIMITS.memberWaiting})`,
							min_value: LIMIT_BOUNDS.memberWaiting.min,
							max_value: LIMIT_BOUNDS.memberWaiting.max,
						},
						{
							type: ApplicationCommandOptionType.Integer,
							name: 'server_waiting',
							description: `Requests the whole server may have waiting in line (default ${DEFAULT_LIMITS.serverWaiting})`,
							min_value: LIMIT_BOUNDS.serverWaiting.min,
							max_value: LIMIT_BOUNDS.serverWaiting.max,
						},
					],
				},
				{
					type: ApplicationCommandOptionType.Subcommand,
					name: 'voice-messages',
					description: 'Whether /clone posts results as voice messages by default',
					options: [{ type: ApplicationCommandOptionType.Boolean, name: 'enabled', description: 'On: voice messages; off: audio files', required: true }],
				},
				{
					type: ApplicationCommandOptionType.Subcommand,
					name: 'show',
					description: 'Show the settings and what /clone would use here',
				},
				...MODERATION_SUBCOMMANDS,
			],
		},
		{ ...DEFAULT_LIMITS },
	),

	async execute(interaction, context) {
		const locale = interaction.locale;
		if (!interaction.inGuild()) {
			await reply(interaction, t(locale, 'settings.guildOnly'));
			return;
		}
		const guildId = interaction.guildId;
		const channelId = interaction.options.getChannel('channel')?.id ?? null;

		switch (interaction.options.getSubcommand()) {
			case 'language': {
				const language = interaction.options.getString('language', true);
				if (!isLanguageCode(language)) {
					await reply(interaction, t(locale, 'settings.pickListed'));
					return;
				}
				await context.settings.setLanguage(guildId, channelId, language, interaction.user.id);
				context.logger.info({ guildId, channelId, language, by: interaction.user.id }, 'language setting changed');
				await reply(
					interaction,
					channelId
						? t(locale, 'settings.languageSetChannel', { language: languageNameFor(language, locale), channel: channelMention(channelId) })
						: t(locale, 'settings.languageSetServer', { language: languageNameFor(language, locale) }),
				);
				return;
			}
			case 'reset': {
				const removed = await context.settings.reset(guildId, channelId);
				context.logger.info({ guildId, channelId, removed, by: interaction.user.id }, 'language setting reset');
				const channel = channelId ? { channel: channelMention(channelId) } : undefined;
				await reply(
					interaction,
					removed
						? channel
							? t(locale, 'settings.resetChannel', channel)
							: t(locale, 'settings.resetServer')
						: channel
							? t(locale, 'settings.noSettingChannel', channel)
							: t(locale, 'settings.noSettingServer'),
				);
				return;
			}
			case 'limits': {
				const changes = {
					...optionalInteger(interaction, 'member_jobs', 'perMember'),
					...optionalInteger(interaction, 'server_jobs', 'perServer'),
					...optionalInteger(interaction, 'cooldown_seconds', 'cooldownSeconds'),
					...optionalInteger(interaction, 'member_waiting', 'memberWaiting'),
					...optionalInteger(interaction, 'server_waiting', 'serverWaiting'),
				};
				const limits =
					Object.keys(changes).length > 0 ? await context.settings.setLimits(guildId, changes, interaction.user.id) : await context.settings.limitsFor(guildId);
				if (Object.keys(changes).length > 0) context.logger.info({ guildId, ...changes, by: interaction.user.id }, 'limits changed');
				const described = describeLimits(limits, locale);
				await reply(interaction, Object.keys(changes).length > 0 ? t(locale, 'settings.limitsSaved', { limits: described }) : described);
				return;
			}
			case 'voice-messages': {
				const enabled = interaction.options.getBoolean('enabled', true);
				await context.settings.setVoiceMessages(guildId, enabled, interaction.user.id);
				context.logger.info({ guildId, enabled, by: interaction.user.id }, 'voice message default changed');
				await reply(interaction, t(locale, enabled ? 'settings.voiceMessagesOn' : 'settings.voiceMessagesOff'));
				return;
			}
			case 'show':
				// Checking which channels still exist takes a request each: acknowledge first.
				await interaction.deferReply({ flags: MessageFlags.Ephemeral });
				await interaction.editReply({ content: await describeSettings(interaction, context, guildId), allowedMentions: { parse: [] } });
				return;
			default:
				await moderate(interaction, context, guildId);
		}
	},
} satisfies SlashCommand;

async function reply(interaction: ChatInputCommandInteraction, content: string): Promise<void> {
	await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

function optionalInteger(interaction: ChatInputCommandInteraction, option: string, name: keyof Limits): Partial<Limits> {
	const value = interaction.options.getInteger(option);
	return value === null ? {} : { [name]: value };
}
