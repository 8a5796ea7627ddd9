import type { Admission } from '../jobs/admission.js';
import type { JobIn } from '../jobs/lifecycle.js';
import type { Limits } from '../store/guild-settings.js';
import type { HandlerContext } from './context.js';
import { refusal, voiceOf } from './presenter.js';

/** The last step of every accepted request, however it was allowed: the job starts, and the audit log has it. */
export async function startAdmitted(context: HandlerContext, job: JobIn<'recorded'>, limits: Limits): Promise<void> {
	// Throws a RefusedError when the member started another one meanwhile.
	await context.runner.start(job, limits);
	const voice = voiceOf(job);
	context.logger.info(
		{
			jobId: job.id,
			guildId: job.guildId,
			channelId: job.channelId,
			userId: job.requesterId,
			voiceOwnerId: voice.ownerId,
			basis: voice.basis,
			language: job.request.language,
			chars: job.request.text.length,
		},
		'clone requested',
	);
	if (!job.guildId) return;
	await context.audit
		.record({
			jobId: job.id,
			guildId: job.guildId,
			channelId: job.channelId,
			at: job.createdAt,
			requesterId: job.requesterId,
			voiceOwnerId: voice.ownerId,
			basis: voice.basis,
			text: job.request.text.slice(0, 100),
			reported: false,
		})
		// The clone goes ahead: an audit entry missing is a log line, not a member's problem.
		.catch((error: unknown) => context.logger.error({ err: error, jobId: job.id }, 'could not write the audit entry'));
}

export function refusalMessage(admission: Exclude<Admission, { ok: true }>, locale: string): string {
	switch (admission.reason) {
		case 'member-busy':
			return refusal.memberBusy(admission.limit, locale);
		case 'member-line-full':
			return refusal.memberLineFull(admission.limit, locale);
		case 'server-line-full':
			return refusal.serverLineFull(admission.limit, locale);
		case 'balance':
			return refusal.balance(locale);
		case 'stopping':
			return refusal.stopping(locale);
	}
}
