import {
	ApplicationCommandOptionType,
	ApplicationIntegrationType,
	InteractionContextType,
	MessageFlags,
	time,
	TimestampStyles,
	type ChatInputCommandInteraction,
} from 'discord.js';
import { localizeCommand, t } from '../../i18n/index.js';
import { isUnfinished } from '../../jobs/lifecycle.js';
import { VOICE_CHOICES, type VoiceChoice } from '../../store/people.js';
import type { HandlerContext, SlashCommand } from '../context.js';
import { oneLine } from '../presenter.js';

/**
 * `/my-voice`: each member decides for their own voice, in every server (permission), sees what the bot keeps
 * about them (data), and deletes it (delete-data). Every answer is private.
 */

/** Entries listed by `data` (the count says how many there are in all). */
const DATA_ENTRIES_SHOWN = 10;

export const myVoiceCommand = {
	// English here; the other languages' names and descriptions come from src/i18n/locales/.
	data: localizeCommand({
		name: 'my-voice',
		description: 'Decide who may clone your voice, and see or delete what the bot keeps about you',
		contexts: [InteractionContextType.Guild, InteractionContextType.BotDM],
		integration_types: [ApplicationIntegrationType.GuildInstall],
		options: [
			{
				type: ApplicationCommandOptionType.Subcommand,
				name: 'permission',
				description: 'Whether others may clone your voice: ask me each time, allow, or never',
				options: [
					{
						type: ApplicationCommandOptionType.String,
						name: 'choice',
						description: 'ask (default), allow or never',
						required: true,
						choices: VOICE_CHOICES.map((choice) => ({ name: choice, value: choice })),
					},
				],
			},
			{ type: ApplicationCommandOptionType.Subcommand, name: 'data', description: 'See what the bot keeps about you' },
			{ type: ApplicationCommandOptionType.Subcommand, name: 'delete-data', description: 'Delete what the bot keeps about you' },
		],
	}),

	async execute(interaction, context) {
		const locale = interaction.locale;
		const memberId = interaction.user.id;
		switch (interaction.options.getSubcommand()) {
			case 'permission': {
				const choice = interaction.options.getString('choice', true) as VoiceChoice;
				if (!VOICE_CHOICES.includes(choice)) return reply(interaction, t(locale, 'interaction.unknown'));
				await context.voiceChoices.set(memberId, choice);
				context.logger.info({ userId: memberId, choice }, 'voice choice changed');
				return reply(interaction, t(locale, `myVoice.set.${choice}`));
			}
			case 'data':
				return reply(interaction, await describeData(context, memberId, locale));
			case 'delete-data':
				return reply(interaction, await deleteData(context, memberId, locale));
		}
	},
} satisfies SlashCommand;

async function reply(interaction: ChatInputCommandInteraction, content: string): Promise<void> {
	await interaction.reply({ content: content.slice(0, 2000), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

async function describeData(context: HandlerContext, memberId: string, locale: string): Promise<string> {
	const [choice, entries, asks, reports] = await Promise.all([
		context.voiceChoices.get(memberId),
		context.audit.forMember(memberId),
		context.consent.pending(memberId),
		context.reports.filedBy(memberId),
	]);
	const lines = entries.slice(0, DATA_ENTRIES_SHOWN).map((entry) =>
		t(locale, 'myVoice.entry', {
			time: time(Math.floor(entry.at / 1000), TimestampStyles.ShortDateTime),
			role: t(locale, entry.requesterId === memberId ? 'myVoice.role.requester' : 'myVoice.role.owner'),
			text: oneLine(entry.text, 60),
		}),
	);
	if (entries.length > DATA_ENTRIES_SHOWN) lines.push(t(locale, 'myVoice.more', { count: entries.length - DATA_ENTRIES_SHOWN }));
	return t(locale, 'myVoice.data', {
		choice: t(locale, `myVoice.choice.${choice}`),
		days: context.config.auditRetentionDays,
		count: entries.length,
		entries: lines.join('\n'),
		asks: asks.length,
		reports: reports.length,
	});
}

/**
 * The member's requests (their texts, in the audit log), their choice and their open asks are deleted; requests
 * with an open report stay until a moderator acts, and the answer says so. Job records expire within 7 days.
 */
async function deleteData(context: HandlerContext, memberId: string, locale: string): Promise<string> {
	// Open asks first: withdrawing one writes its record, which is deleted with the rest.
	const withdrawn = await context.consent.withdraw(memberId);
	for (const jobId of withdrawn) await context.jobs.forget(jobId);
	const asks = withdrawn.length;
	const reported = new Set<string>();
	for (const entry of await context.audit.forMember(memberId)) {
		if (entry.requesterId !== memberId) continue;
		if (await context.reports.hasOpenReport(entry.jobId)) {
			reported.add(entry.jobId);
			continue;
		}
		// The job's own record holds the text too; one still running finishes first (and expires in 7 days).
		const job = context.runner.running(entry.jobId) ? undefined : await context.jobs.get(entry.jobId);
		if (job && !isUnfinished(job)) await context.jobs.forget(entry.jobId);
	}
	const requests = await context.audit.forgetRequests(memberId, (entry) => reported.has(entry.jobId));
	await context.voiceChoices.forget(memberId);
	context.logger.info({ userId: memberId, requests, asks, kept: reported.size }, 'member data deleted');
	const deleted = t(locale, 'myVoice.deleted', { requests, asks });
	return reported.size > 0 ? `${deleted}\n${t(locale, 'myVoice.keptForReports', { count: reported.size })}` : deleted;
}
