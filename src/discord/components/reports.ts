import {
	ButtonStyle,
	ComponentType,
	PermissionFlagsBits,
	TextInputStyle,
	time,
	TimestampStyles,
	userMention,
	type APIActionRowComponent,
	type APIComponentInMessageActionRow,
	DiscordAPIError,
	RESTJSONErrorCodes,
} from 'discord.js';
import { t } from '../../i18n/index.js';
import type { JobRecord } from '../../jobs/lifecycle.js';
import type { Report } from '../../store/reports.js';
import { createKeyedLock } from '../../util/keyed-lock.js';
import { customId, type ComponentHandler, type HandlerContext, type ModalHandler } from '../context.js';
import { quoteText, voiceOf } from '../presenter.js';
import { replyPrivately } from '../replies.js';
import { REPORT_PREFIX } from './job-buttons.js';

/**
 * Reports (Discord's Developer Policy asks apps to let users report violations and to act on them): any member's
 * Report button opens a form; the report is stored and, where the server has a report channel, posted there with
 * Delete result, Block requester and Dismiss for members with Manage Messages. The report message then says who
 * acted and how.
 */

const ACTION_PREFIX = 'report-action';
type ReportAction = 'delete' | 'block' | 'dismiss';
const REASON_MAX = 500;

const jobOf = async (context: HandlerContext, jobId: string): Promise<JobRecord | undefined> =>
	context.runner.running(jobId) ?? (await context.jobs.get(jobId));

/** The Report button under a result: the form for the reason. */
export const reportButton: ComponentHandler = {
	prefix: REPORT_PREFIX,
	async execute(interaction, context, [action, jobId = '']) {
		const locale = interaction.locale;
		if (action !== 'open') return replyPrivately(interaction, t(locale, 'interaction.unknown'));
		if (!interaction.guildId) return replyPrivately(interaction, t(locale, 'report.dmOnly'));
		if (!(await jobOf(context, jobId))) return replyPrivately(interaction, t(locale, 'button.expired'));
		await interaction.showModal({
			custom_id: customId(REPORT_PREFIX, jobId),
			title: t(locale, 'report.modalTitle'),
			components: [
				{
					type: ComponentType.ActionRow,
					components: [
						{
							type: ComponentType.TextInput,
							custom_id: 'reason',
							label: t(locale, 'report.reasonLabel'),
							placeholder: t(locale, 'report.reasonPlaceholder'),
							style: TextInputStyle.Paragraph,
							required: true,
							max_length: REASON_MAX,
						},
					],
				},
			],
		});
	},
};

/** The report form, sent: stored, posted to the report channel, acknowledged privately. */
export const reportForm: ModalHandler = {
	prefix: REPORT_PREFIX,
	async execute(interaction, context, [jobId = '']) {
		const locale = interaction.locale;
		const guildId = interaction.guildId;
		const job = await jobOf(context, jobId);
		if (!guildId || job?.guildId !== guildId) return replyPrivately(interaction, t(locale, 'button.expired'));
		const delivered = job.state === 'delivered' ? job.delivered : undefined;
		const report = await context.reports.create({
			guildId,
			jobId,
			reporterId: interaction.user.id,
			requesterId: job.requesterId,
			voiceOwnerId: voiceOf(job).ownerId,
			text: job.request.text.slice(0, 300),
			reason: interaction.fields.getTextInputValue('reason').trim().slice(0, REASON_MAX),
			at: context.now(),
			madeAt: job.createdAt,
			channelId: job.channelId,
			...(delivered?.messageId ? { messageId: delivered.messageId } : {}),
		});
		await context.audit
			.update(guildId, jobId, { reported: true })
			.catch((error: unknown) => context.logger.warn({ err: error, jobId }, 'could not mark the clone reported'));
		context.logger.info({ reportId: report.id, jobId, guildId, by: interaction.user.id }, 'clone reported');
		const channelId = (await context.settings.get(guildId)).reportChannel?.channelId;
		let posted = false;
		if (channelId) {
			try {
				const messageId = await context.channelMessages.post(
					channelId,
					{ content: reportMessage(report, interaction.guildLocale ?? locale), components: actionButtons(report.id, interaction.guildLocale ?? locale) },
					[],
				);
				await context.reports.setPosted(report.id, { channelId, messageId });
				posted = true;
			} catch (error) {
				// Stored all the same: moderators find it in /clone-settings audit.
				context.logger.warn({ err: error, reportId: report.id, channelId }, 'could not post the report in the report channel');
			}
		}
		await replyPrivately(interaction, t(locale, posted ? 'report.thanks' : 'report.thanksStored'));
	},
};

function resultLink(report: Report): string {
	return report.messageId ? `https://discord.com/channels/${report.guildId}/${report.channelId}/${report.messageId}` : '';
}

function reportMessage(report: Report, locale: string): string {
	const url = resultLink(report);
	return t(locale, 'report.posted', {
		reference: report.id,
		reporter: userMention(report.reporterId),
		time: time(Math.floor(report.at / 1000), TimestampStyles.RelativeTime),
		reason: quoteText(report.reason, REASON_MAX).slice(2),
		requester: userMention(report.requesterId),
		owner: userMention(report.voiceOwnerId),
		quote: quoteText(report.text, 200),
		made: time(Math.floor(report.madeAt / 1000), TimestampStyles.ShortDateTime),
		jobId: report.jobId,
		link: url ? t(locale, 'report.link', { url }) : t(locale, 'report.noLink'),
	});
}

function actionButtons(reportId: string, locale: string): APIActionRowComponent<APIComponentInMessageActionRow>[] {
	const button = (action: ReportAction, style: ButtonStyle.Danger | ButtonStyle.Secondary, label: string) => ({
		type: ComponentType.Button as const,
		style,
		label,
		custom_id: customId(ACTION_PREFIX, action, reportId),
	});
	return [
		{
			type: ComponentType.ActionRow,
			components: [
				button('delete', ButtonStyle.Danger, t(locale, 'report.delete')),
				button('block', ButtonStyle.Secondary, t(locale, 'report.block')),
				button('dismiss', ButtonStyle.Secondary, t(locale, 'report.dismiss')),
			],
		},
	];
}

/** Delete result, Block requester, Dismiss: for members with Manage Messages; the first action wins. */
export const reportActions: ComponentHandler = {
	prefix: ACTION_PREFIX,
	async execute(interaction, context, [action, reportId = '']) {
		const locale = interaction.locale;
		if (action !== 'delete' && action !== 'block' && action !== 'dismiss') return replyPrivately(interaction, t(locale, 'interaction.unknown'));
		if (!interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages)) return replyPrivately(interaction, t(locale, 'report.notModerator'));
		const report = await context.reports.get(reportId);
		if (!report) return replyPrivately(interaction, t(locale, 'report.gone'));
		if (report.status !== 'open') return replyPrivately(interaction, t(locale, 'report.alreadyActed'));
		const moderator = interaction.user.id;
		// One action at a time on a report: the first wins, the others are told.
		const closed = await actOnce(report.id, async () => {
			const current = await context.reports.get(report.id);
			if (current?.status !== 'open') return 'acted' as const;
			if (action === 'delete' && !(await deleteResult(context, current, moderator))) return 'not-deleted' as const;
			if (action === 'block') await context.settings.block(current.guildId, current.requesterId, moderator);
			return (
				(await context.reports.close(current.id, action === 'delete' ? 'deleted' : action === 'block' ? 'blocked' : 'dismissed', moderator)) ??
				('acted' as const)
			);
		});
		if (closed === 'acted') return replyPrivately(interaction, t(locale, 'report.alreadyActed'));
		if (closed === 'not-deleted') return replyPrivately(interaction, t(locale, 'report.notDeleted'));
		context.logger.info({ reportId, jobId: report.jobId, action, by: moderator }, 'report acted on');
		const reportLocale = interaction.guildLocale ?? locale;
		const acted = t(reportLocale, `report.acted.${closed.status === 'deleted' ? 'deleted' : closed.status === 'blocked' ? 'blocked' : 'dismissed'}`, {
			moderator: userMention(moderator),
			requester: userMention(report.requesterId),
		});
		await interaction.update({ content: `${reportMessage(closed, reportLocale)}\n${acted}`, components: [], allowedMentions: { parse: [] } });
	},
};

const actOnce = createKeyedLock();

/**
 * The result's message and, when it was also posted as one, its voice message. False when Discord refused (the
 * bot can't see that channel any more, say): the report stays open. A message already gone counts as deleted.
 */
async function deleteResult(context: HandlerContext, report: Report, moderator: string): Promise<boolean> {
	const job = await jobOf(context, report.jobId);
	const messageId = (job?.state === 'delivered' ? job.delivered.messageId : undefined) ?? report.messageId;
	const voiceMessageId = job?.state === 'delivered' ? job.delivered.voiceMessageId : undefined;
	let deleted = true;
	for (const id of [messageId, voiceMessageId]) {
		if (!id) continue;
		try {
			await context.channelMessages.remove(report.channelId, id);
		} catch (error) {
			if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownMessage) continue;
			context.logger.warn({ err: error, reportId: report.id, messageId: id, by: moderator }, 'could not delete the reported result');
			deleted = false;
		}
	}
	return deleted;
}
