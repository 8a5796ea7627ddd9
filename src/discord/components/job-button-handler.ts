import { MessageFlags, PermissionFlagsBits, Routes, type ButtonInteraction } from 'discord.js';
import { t } from '../../i18n/index.js';
import { JOB_BUTTON_PREFIX, parseJobButtonArgs } from './job-buttons.js';
import { isUnfinished } from '../../jobs/lifecycle.js';
import { startClone } from '../clone-request.js';
import { voiceOf } from '../presenter.js';
import { replyPrivately } from '../replies.js';
import type { ComponentHandler, HandlerContext } from '../context.js';

/** Cancel, Again and Delete under a job's message. Everything they need comes from the job's record. */
export const jobButtons: ComponentHandler = { prefix: JOB_BUTTON_PREFIX, execute: handleJobButton };

async function handleJobButton(interaction: ButtonInteraction, context: HandlerContext, args: readonly string[]): Promise<void> {
	const parsed = parseJobButtonArgs(args);
	if (!parsed) return replyPrivately(interaction, t(interaction.locale, 'interaction.unknown'));
	// Answers go to whoever pressed, in their language.
	const locale = interaction.locale;
	const job = context.runner.running(parsed.jobId) ?? (await context.jobs.get(parsed.jobId));
	if (!job) {
		await replyPrivately(interaction, t(locale, 'button.expired'));
		return;
	}
	const isRequester = interaction.user.id === job.requesterId;

	switch (parsed.action) {
		case 'cancel': {
			if (!isRequester) {
				await replyPrivately(interaction, t(locale, 'button.cancelNotYours'));
				return;
			}
			if (!isUnfinished(job)) {
				await replyPrivately(interaction, t(locale, 'button.alreadyFinished'));
				return;
			}
			await interaction.deferUpdate();
			// Wherever it runs or waits, the engine stops it and edits the message to say it was cancelled.
			if ((await context.runner.cancel(job.id)) === 'unknown') {
				// Unfinished, but no process runs it yet (this one has just started and not picked it up): not finished.
				await interaction.followUp({ content: t(locale, 'button.notRunningHere'), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
			}
			return;
		}
		case 'delete': {
			const mayManage = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) ?? false;
			// The voice's owner may always remove a clone of their voice.
			const isVoiceOwner = interaction.user.id === voiceOf(job).ownerId;
			if (!isRequester && !isVoiceOwner && !mayManage) {
				await replyPrivately(interaction, t(locale, 'button.deleteNotAllowed'));
				return;
			}
			await interaction.deferUpdate();
			// Through the interaction's own webhook: needs no channel permission of the bot's.
			await interaction.deleteReply();
			if (job.state === 'delivered' && job.delivered.voiceMessageId) {
				// The bot may always delete its own messages.
				await interaction.client.rest
					.delete(Routes.channelMessage(job.channelId, job.delivered.voiceMessageId))
					.catch((error: unknown) => context.logger.warn({ err: error, jobId: job.id }, 'could not delete the voice message'));
			}
			context.logger.info({ jobId: job.id, by: interaction.user.id }, 'result deleted');
			return;
		}
		case 'again': {
			if (speakerLinkExpired(job.request.speakerUrl, context.now())) {
				await replyPrivately(interaction, t(locale, 'button.speakerExpired'));
				return;
			}
			await startClone(interaction, context, {
				speaker: { name: job.request.speakerName, url: job.request.speakerUrl, size: 0, contentType: null, duration: job.request.speakerSeconds ?? null },
				text: job.request.text,
				language: job.request.language,
				cleanupVoice: job.request.cleanupVoice,
				voiceMessage: job.request.voiceMessage ?? null,
				// The same voice: whoever presses needs its owner's consent as for any new request (a permission
				// covered only the request it was given for). The uploader pressing again answers for it again.
				source: { ownerId: voiceOf(job).ownerId, ownerIsBot: voiceOf(job).ownerIsBot ?? false, uploaded: voiceOf(job).basis === 'uploaded' },
			});
			return;
		}
	}
}

/** Discord CDN links are signed until the hex Unix time in their `ex` parameter. */
export function speakerLinkExpired(url: string, now: number): boolean {
	try {
		const expires = new URL(url).searchParams.get('ex');
		return expires !== null && /^[0-9a-f]+$/i.test(expires) && Number.parseInt(expires, 16) * 1000 <= now;
	} catch {
		return true;
	}
}
