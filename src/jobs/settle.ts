import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { JobFailed, toFailure } from './failure.js';
import { toCancelled, toFailed, toUndeliverable, type JobRecord } from './lifecycle.js';
import { UndeliverableError, type JobReporter } from './ports.js';

/** How a job ends without a result: cancelled by its member, failed (and why), or undeliverable. */

export interface SettleContext {
	reporter: Pick<JobReporter, 'failed' | 'cancelled'>;
	save<T extends JobRecord>(job: T): Promise<T>;
	clock: Clock;
	log: Logger;
}

export async function settleCancelled(job: JobRecord, context: SettleContext): Promise<void> {
	const { log } = context;
	const cancelled = toCancelled(job, context.clock.now());
	log.info({ state: job.state, requestId: cancelled.xtts?.requestId }, 'job cancelled by the member');
	await context.reporter.cancelled(cancelled).catch((error: unknown) => log.warn({ err: error }, 'could not show the cancellation'));
	await context.save(cancelled).catch((storeError: unknown) => log.error({ err: storeError }, 'could not record the cancellation'));
}

export async function settleFailure(job: JobRecord, error: unknown, context: SettleContext): Promise<void> {
	const { log, clock } = context;
	const requestId = 'xtts' in job ? job.xtts?.requestId : undefined;
	if (error instanceof UndeliverableError && job.state === 'completed') {
		// Neither the reply nor the channel takes our messages: a failure message would bounce too.
		log.error({ err: error.message, requestId }, 'job undeliverable: the bot may not post in this channel');
		await context.save(toUndeliverable(job, clock.now())).catch((storeError: unknown) => log.error({ err: storeError }, 'could not record the failure'));
		return;
	}
	// A long text's failure names its part where one part caused it (jobs/parts.ts names it).
	const failure = toFailure(error);
	if (failure.kind === 'internal') log.error({ err: error, state: job.state }, 'job failed');
	else {
		const apiError = failure.kind === 'failed' ? failure.apiError : undefined;
		log.warn({ kind: failure.kind, apiError, err: error instanceof JobFailed ? undefined : error }, 'job failed');
	}
	let told = false;
	try {
		await context.reporter.failed(job, failure);
		told = true;
	} catch (deliveryError) {
		log.error({ err: deliveryError instanceof UndeliverableError ? deliveryError.message : deliveryError }, 'could not tell the member that the job failed');
	}
	await context.save(toFailed(job, failure, told, clock.now())).catch((storeError: unknown) => log.error({ err: storeError }, 'could not record the failure'));
}
