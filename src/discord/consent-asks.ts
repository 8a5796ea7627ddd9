import { ButtonStyle, ComponentType, escapeMarkdown, type APIActionRowComponent, type APIComponentInMessageActionRow, userMention } from 'discord.js';
import { t } from '../i18n/index.js';
import { RefusedError } from '../jobs/admission.js';
import { CONSENT_WINDOW_MS, decideConsent, type ConsentRefusal, type ConsentReporter } from '../jobs/consent.js';
import { toAwaitingConsent, type JobIn } from '../jobs/lifecycle.js';
import { consentPolicyIn, isBlockedIn, limitsIn } from '../store/guild-settings.js';
import type { Logger } from '../util/logger.js';
import type { ChannelMessages } from './channel-messages.js';
import { refusalMessage, startAdmitted } from './clone-start.js';
import { askEndedForRequester, askMessage, askOutcome, consentRefusal, waitingMessage } from './consent-presenter.js';
import { customId, type ComponentHandler, type HandlerContext } from './context.js';
import type { Delivery } from './delivery.js';
import { replyPrivately } from './replies.js';

/**
 * Asking a voice's owner for their permission: the ask posted in the channel (pinging the owner alone, the whole
 * text shown), the requester's reply saying it waits, the Allow and Deny buttons only the owner may use, and what
 * everyone is told when it is answered, lapses or is withdrawn. Nothing reaches the voice service before Allow.
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
export async function askForConsent(context: HandlerContext, job: JobIn<'recorded'>, ask: { ownerId: string; locale: string }): Promise<void> {
	const now = context.now();
	const waiting = toAwaitingConsent(job, { ...ask, channelId: job.channelId, expiresAt: now + CONSENT_WINDOW_MS }, now);
	// Held before the ask is visible, so that the owner's answer always finds it.
	await context.consent.hold(waiting);
	context.runner.startCooldown(job.requesterId);
	let messageId: string;
	try {
		// The whole text, so that the owner knows what they allow (a message's 2000 characters may not hold it).
		messageId = await context.channelMessages.post(
			job.channelId,
			{ content: askMessage(waiting), embeds: [{ description: escapeMarkdown(job.request.text) }], components: askButtons(job.id, ask.locale) },
			[ask.ownerId],
		);
	} catch (error) {
		context.logger.warn({ err: error, jobId: job.id, channelId: job.channelId }, 'could not post the consent ask');
		await context.consent.cancel(job.id);
		await context.delivery.tellPrivately(waiting, t(job.locale, 'consent.askFailed', { owner: userMention(ask.ownerId) }));
		return;
	}
	await context.consent.attachAsk(job.id, messageId);
	await context.delivery.progress(waiting, { content: waitingMessage(waiting), components: [] });
	context.logger.info({ jobId: job.id, guildId: job.guildId, userId: job.requesterId, ownerId: ask.ownerId }, 'voice owner asked for permission');
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
	async function editAsk(jobId: string, ask: { channelId: string; messageId?: string }, content: string): Promise<void> {
		if (!ask.messageId) return;
		await channelMessages
			.edit(ask.channelId, ask.messageId, { content, components: [] })
			.catch((error: unknown) => logger.warn({ err: error, jobId }, 'could not update the ask'));
	}
	return {
		async ended(job) {
			await editAsk(job.id, job.consent, askOutcome(job, job.state === 'denied' ? 'denied' : 'expired'));
			// Past the reply's 15 minutes (the bot was down when the ask lapsed) the requester can't be told privately.
			if (!(await delivery.tellPrivately(job, askEndedForRequester(job))))
				logger.info({ jobId: job.id }, 'ask ended after the reply expired; the requester was not told');
		},
		async withdrawn(job, ask) {
			await editAsk(job.id, ask, askOutcome({ ...job, consent: ask }, 'withdrawn'));
		},
	};
}

class ConsentRefusedError extends Error {
	constructor(readonly reason: ConsentRefusal) {
		super(`consent refused: ${reason}`);
	}
}

/** Allow and Deny under an ask. */
export const consentButtons: ComponentHandler = {
	prefix: PREFIX,
	async execute(interaction, context, [action, jobId = '']) {
		const locale = interaction.locale;
		if (action !== 'allow' && action !== 'deny') return replyPrivately(interaction, t(locale, 'interaction.unknown'));
		let limits = limitsIn(undefined);
		const answer = await context.consent.answer(jobId, interaction.user.id, action === 'allow', async (job) => {
			// Things may have changed in the minutes the owner took: the requester blocked, the policy tightened, a limit.
			const settings = job.guildId ? await context.settings.get(job.guildId) : undefined;
			limits = limitsIn(settings);
			const decision = await decideConsent({
				policy: consentPolicyIn(settings),
				requesterId: job.requesterId,
				requesterBlocked: isBlockedIn(settings, job.requesterId),
				source: { ownerId: interaction.user.id, ownerIsBot: false, uploaded: false },
				// The owner has just allowed this request.
				ownerChoice: async () => 'ask',
			});
			if (decision.kind === 'refused') throw new ConsentRefusedError(decision.reason);
			// The cooldown started when the ask was posted: the owner's answer doesn't wait for it.
			await startAdmitted(context, job, { ...limits, cooldownSeconds: 0 });
		});
		if (answer.kind === 'not-owner') return replyPrivately(interaction, t(locale, 'consent.notOwner', { owner: userMention(answer.ownerId) }));
		if (answer.kind === 'closed') return replyPrivately(interaction, t(locale, 'consent.closed'));
		const askLocale = interaction.guildLocale ?? locale;
		const asked = { ...answer.job, consent: { ownerId: interaction.user.id, locale: askLocale } };
		if (answer.kind === 'denied') {
			await interaction.update({ content: askOutcome(answer.job, 'denied'), components: [], embeds: [], allowedMentions: { parse: [] } });
			await context.delivery.tellPrivately(answer.job, askEndedForRequester(answer.job)).catch((error: unknown) => {
				context.logger.warn({ err: error, jobId }, 'could not tell the requester the ask was declined');
			});
			return;
		}
		if (answer.kind === 'refused') {
			await interaction.update({ content: askOutcome(asked, 'refused'), components: [], embeds: [], allowedMentions: { parse: [] } });
			const { reason } = answer;
			const told =
				reason instanceof RefusedError
					? refusalMessage(reason.admission, answer.job.locale)
					: reason instanceof ConsentRefusedError
						? consentRefusal(reason.reason, interaction.user.id, answer.job.locale)
						: undefined;
			if (!told) throw reason;
			await context.delivery
				.tellPrivately(answer.job, told)
				.catch((error: unknown) => context.logger.warn({ err: error, jobId }, 'could not tell the requester'));
			return;
		}
		await interaction.update({ content: askOutcome(asked, 'allowed'), components: [], embeds: [], allowedMentions: { parse: [] } });
	},
};
