import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIComponentInMessageActionRow, userMention } from 'discord.js';
import { t } from '../i18n/index.js';
import { CONSENT_WINDOW_MS, type ConsentReporter } from '../jobs/consent.js';
import { toAwaitingConsent, type JobIn } from '../jobs/lifecycle.js';
import { RefusedError } from '../jobs/admission.js';
import { limitsIn } from '../store/guild-settings.js';
import type { Logger } from '../util/logger.js';
import type { ChannelMessages } from './channel-messages.js';
import { refusalMessage, startAdmitted } from './clone-start.js';
import { askEndedForRequester, askMessage, askOutcome, waitingMessage } from './consent-presenter.js';
import { customId, type ComponentHandler, type HandlerContext } from './context.js';
import type { Delivery } from './delivery.js';
import { replyPrivately } from './replies.js';

/**
 * Asking a voice's owner for their permission: the ask posted in the channel (pinging the owner alone), the
 * requester's reply saying it waits, the Allow and Deny buttons only the owner may use, and what everyone is told
 * when it is answered or lapses. Nothing reaches the voice service before Allow.
 */

const PREFIX = 'consent';

function askButtons(jobId: string, locale: string): APIActionRowComponent<APIComponentInMessageActionRow>[] {
	return [
		{
			type: ComponentType.ActionRow,
			components: [
				{ type: ComponentType.Button, style: ButtonStyle.Success, label: t(locale, 'consent.allow'), custom_id: customId(PREFIX, 'allow', jobId) },
				{ type: ComponentType.Button, style: ButtonStyle.Danger, label: t(locale, 'consent.deny'), custom_id: customId(PREFIX, 'deny', jobId) },
			],
		},
	];
}

/** Posts the ask and keeps the job waiting for the answer; the requester's reply (deferred already) says so. */
export async function askForConsent(
	context: HandlerContext,
	job: JobIn<'recorded'>,
	ask: { ownerId: string; locale: string },
): Promise<JobIn<'awaiting-consent'>> {
	const now = context.now();
	const waiting = toAwaitingConsent(job, { ...ask, channelId: job.channelId, expiresAt: now + CONSENT_WINDOW_MS }, now);
	// Held before the ask is visible, so that the owner's answer always finds it.
	await context.consent.hold(waiting);
	await context.delivery.progress(waiting, { content: waitingMessage(waiting), components: [] });
	const messageId = await context.channelMessages.post(job.channelId, { content: askMessage(waiting), components: askButtons(job.id, ask.locale) }, [
		ask.ownerId,
	]);
	await context.consent.attachAsk(job.id, messageId);
	context.logger.info({ jobId: job.id, guildId: job.guildId, userId: job.requesterId, ownerId: ask.ownerId }, 'voice owner asked for permission');
	return waiting;
}

/** When an ask is declined, lapses or is withdrawn: the ask says so, and the requester is told privately. */
export function createConsentReporter({
	channelMessages,
	delivery,
	logger,
}: {
	channelMessages: ChannelMessages;
	delivery: Delivery;
	logger: Logger;
}): ConsentReporter {
	return {
		async ended(job) {
			const { messageId, channelId } = job.consent;
			if (messageId) {
				await channelMessages
					.edit(channelId, messageId, { content: askOutcome(job, job.state === 'denied' ? 'denied' : 'expired'), components: [] })
					.catch((error: unknown) => logger.warn({ err: error, jobId: job.id }, 'could not update the ask'));
			}
			await delivery.tellPrivately(job, askEndedForRequester(job));
		},
	};
}

/** Allow and Deny under an ask. */
export const consentButtons: ComponentHandler = {
	prefix: PREFIX,
	async execute(interaction, context, [action, jobId = '']) {
		const locale = interaction.locale;
		if (action !== 'allow' && action !== 'deny') return replyPrivately(interaction, t(locale, 'interaction.unknown'));
		const answer = await context.consent.answer(jobId, interaction.user.id, action === 'allow');
		if (answer.kind === 'not-owner') return replyPrivately(interaction, t(locale, 'consent.notOwner', { owner: userMention(answer.ownerId) }));
		if (answer.kind === 'closed') return replyPrivately(interaction, t(locale, 'consent.closed'));
		if (answer.kind === 'denied') {
			await interaction.update({ content: askOutcome(answer.job, 'denied'), components: [], allowedMentions: { parse: [] } });
			await context.delivery.tellPrivately(answer.job, askEndedForRequester(answer.job));
			return;
		}
		const { job } = answer;
		await interaction.update({
			content: askOutcome({ ...job, consent: { ownerId: interaction.user.id, locale: interaction.guildLocale ?? locale } }, 'allowed'),
			components: [],
			allowedMentions: { parse: [] },
		});
		const limits = limitsIn(job.guildId ? await context.settings.get(job.guildId) : undefined);
		try {
			await startAdmitted(context, job, limits);
		} catch (error) {
			if (!(error instanceof RefusedError)) throw error;
			await context.delivery.tellPrivately(job, refusalMessage(error.admission, limits, job.locale));
		}
	},
};
