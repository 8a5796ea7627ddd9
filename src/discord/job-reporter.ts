import type { JobReporter } from '../jobs/ports.js';
import type { AuditLog } from '../store/audit.js';
import type { Logger } from '../util/logger.js';
import { resultButtons, runningButtons } from './components/job-buttons.js';
import type { Delivery, OutgoingMessage } from './delivery.js';
import { cancelledMessage, failureMessage, partLinks, progressMessage, resultMessage } from './presenter.js';

/**
 * The job layer's reports (phases and outcomes, as data) as the member sees them: the presenter words them in the
 * member's language, the job buttons go under them, and delivery puts them on the reply or in the channel.
 */
export function createJobReporter(delivery: Delivery, { audit, logger }: { audit: AuditLog; logger: Logger }): JobReporter {
	return {
		progress: (job, phase) => delivery.progress(job, { content: progressMessage(job, phase), components: runningButtons(job.id, job.locale) }),

		postVoiceMessage: (job, voice) => delivery.postVoiceMessage(job, voice),

		async result(job, result) {
			const components = resultButtons(job.id, job.locale);
			const content = resultMessage(job, result);
			const { audio } = result;
			let message: OutgoingMessage = { content, components };
			// With a voice message, the reply points to it instead of carrying the audio twice.
			if (audio.kind === 'file' && !result.voiceMessageUrl) message = { content, file: audio.file, components };
			else if (audio.kind === 'part-links') message = { content, embeds: partLinks(audio.urls), components };
			const delivered = await delivery.finish(job, message);
			// The audit log links to the result; a result the log can't link to is still delivered.
			if (job.guildId && delivered.messageId) {
				await audit
					.update(job.guildId, job.id, { messageId: delivered.messageId })
					.catch((error: unknown) => logger.warn({ err: error, jobId: job.id }, 'could not link the result in the audit log'));
			}
			return delivered;
		},

		async failed(job, failure) {
			// A long text's failure names the request of the part that failed.
			const partRequest = failure.part ? job.parts?.[failure.part.index]?.requestId : undefined;
			const requestId = partRequest ?? ('xtts' in job ? job.xtts?.requestId : undefined);
			await delivery.finish(job, { content: failureMessage(failure, { jobId: job.id, ...(requestId ? { requestId } : {}) }, job.locale) });
		},

		async cancelled(job) {
			await delivery.finish(job, { content: cancelledMessage(job), components: [] });
		},
	};
}
