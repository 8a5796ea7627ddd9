import {
	ApplicationCommandOptionType,
	ChannelType,
	channelMention,
	MessageFlags,
	time,
	TimestampStyles,
	userMention,
	type APIApplicationCommandSubcommandOption,
	type ChatInputCommandInteraction,
} from 'discord.js';
import { t } from '../../i18n/index.js';
import type { AuditEntry } from '../../store/audit.js';
import { CONSENT_POLICIES, type ConsentPolicy } from '../../store/guild-settings.js';
import type { HandlerContext } from '../context.js';
import { oneLine } from '../presenter.js';

/** `/clone-settings consent | reports | block | unblock | audit`: who may clone whose voice, and what moderators see. */

export const AUDIT_PAGE_SIZE = 10;

export const MODERATION_SUBCOMMANDS: APIApplicationCommandSubcommandOption[] = [
	{
		type: ApplicationCommandOptionType.Subcommand,
		name: 'consent',
		description: 'Whose voice members may clone: their own, another’s with permission, or anyone’s',
		options: [
			{
				type: ApplicationCommandOptionType.String,
				name: 'policy',
				description: 'own-voice, with-permission (default) or anyone',
				required: true,
				choices: CONSENT_POLICIES.map((policy) => ({ name: policy, value: policy })),
			},
		],
	},
	{
		type: ApplicationCommandOptionType.Subcommand,
		name: 'reports',
		description: 'The channel where members’ reports of clones are posted for moderators',
		options: [
			{
				type: ApplicationCommandOptionType.Channel,
				name: 'channel',
				description: 'Leave empty to stop posting reports (they are still recorded)',
				channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement],
			},
		],
	},
	{
		type: ApplicationCommandOptionType.Subcommand,
		name: 'block',
		description: 'Stop a member from cloning voices in this server',
		options: [{ type: ApplicationCommandOptionType.User, name: 'member', description: 'The member to block', required: true }],
	},
	{
		type: ApplicationCommandOptionType.Subcommand,
		name: 'unblock',
		description: 'Let a blocked member clone voices again',
		options: [{ type: ApplicationCommandOptionType.User, name: 'member', description: 'The member to unblock', required: true }],
	},
	{
		type: ApplicationCommandOptionType.Subcommand,
		name: 'audit',
		description: 'The server’s recent clones, newest first',
		options: [
			{ type: ApplicationCommandOptionType.User, name: 'member', description: 'Only clones this member asked for, or of their voice' },
			{ type: ApplicationCommandOptionType.Integer, name: 'page', description: 'Which page (10 clones a page)', min_value: 1 },
		],
	},
];

async function reply(interaction: ChatInputCommandInteraction, content: string): Promise<void> {
	await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

export async function moderate(interaction: ChatInputCommandInteraction, context: HandlerContext, guildId: string): Promise<void> {
	const locale = interaction.locale;
	const by = interaction.user.id;
	const subcommand = interaction.options.getSubcommand();
	switch (subcommand) {
		case 'consent': {
			const policy = interaction.options.getString('policy', true) as ConsentPolicy;
			if (!CONSENT_POLICIES.includes(policy)) return reply(interaction, t(locale, 'interaction.unknown'));
			await context.settings.setConsentPolicy(guildId, policy, by);
			context.logger.info({ guildId, policy, by }, 'consent policy changed');
			return reply(interaction, t(locale, `settings.consentSet.${policy}`));
		}
		case 'reports': {
			const channelId = interaction.options.getChannel('channel')?.id ?? null;
			await context.settings.setReportChannel(guildId, channelId, by);
			context.logger.info({ guildId, channelId, by }, 'report channel changed');
			return reply(interaction, channelId ? t(locale, 'settings.reportsSet', { channel: channelMention(channelId) }) : t(locale, 'settings.reportsOff'));
		}
		case 'block':
		case 'unblock': {
			const member = interaction.options.getUser('member', true).id;
			const changed = subcommand === 'block' ? await context.settings.block(guildId, member, by) : await context.settings.unblock(guildId, member);
			if (changed) context.logger.info({ guildId, member, by }, subcommand === 'block' ? 'member blocked' : 'member unblocked');
			const key = subcommand === 'block' ? (changed ? 'settings.blocked' : 'settings.alreadyBlocked') : changed ? 'settings.unblocked' : 'settings.notBlocked';
			return reply(interaction, t(locale, key, { member: userMention(member) }));
		}
		case 'audit': {
			const memberId = interaction.options.getUser('member')?.id;
			const entries = await context.audit.list(guildId, memberId ? { memberId } : {});
			return reply(interaction, auditPage(entries, interaction.options.getInteger('page') ?? 1, context.config.auditRetentionDays, locale));
		}
	}
}

/** One page of the audit log, within Discord's 2000 characters. */
export function auditPage(entries: readonly AuditEntry[], page: number, days: number, locale: string): string {
	if (entries.length === 0) return t(locale, 'audit.empty', { days });
	const pages = Math.ceil(entries.length / AUDIT_PAGE_SIZE);
	const shown = Math.min(Math.max(1, page), pages);
	const lines = entries.slice((shown - 1) * AUDIT_PAGE_SIZE, shown * AUDIT_PAGE_SIZE).map((entry) =>
		t(locale, 'audit.entry', {
			time: time(Math.floor(entry.at / 1000), TimestampStyles.ShortDateTime),
			requester: userMention(entry.requesterId),
			owner: userMention(entry.voiceOwnerId),
			basis: t(locale, `audit.basis.${entry.basis}`),
			reported: entry.reported ? t(locale, 'audit.reported') : '',
			link: entry.messageId
				? t(locale, 'audit.link', { url: `https://discord.com/channels/${entry.guildId}/${entry.channelId}/${entry.messageId}` })
				: t(locale, 'audit.noLink'),
			text: oneLine(entry.text, 80),
		}),
	);
	return [t(locale, 'audit.header', { page: shown, pages, days }), ...lines].join('\n').slice(0, 2000);
}
