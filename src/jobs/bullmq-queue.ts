import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../util/logger.js';

/**
 * BullMQ as this bot uses it: one queue of jobs whose turn has come (the shared line decides the turn), workers
 * that run them, and the options its production guide asks for. A BullMQ job carries only our job's id: its
 * record in the store is the job.
 */

export const QUEUE_NAME = 'xtts-clone';
export const QUEUE_PREFIX = 'xtts-bot:bull';

/** BullMQ's ids: ours, kept apart from BullMQ's own numeric ones. */
export const bullIdOf = (jobId: string) => `clone-${jobId}`;

export type CloneJob = Job<{ jobId: string }>;

export interface CloneQueue {
	/** Hands jobs over to be run by any process; adding one BullMQ holds already is a no-op. */
	add(jobIds: readonly string[]): Promise<void>;
	stateOf(jobId: string): Promise<string>;
	/** Runs again a job BullMQ gave up on. */
	retry(jobId: string): Promise<void>;
	/** Starts this process's worker: up to `concurrency` jobs at once, MAX_JOBS_IN_FLIGHT for the deployment. */
	work(processor: (job: CloneJob, token?: string) => Promise<void>, options: { concurrency: number; lockMs: number; connection: Redis }): Promise<Worker>;
	close(): Promise<void>;
}

export function createCloneQueue({ connection, logger }: { connection: Redis; logger: Logger }): CloneQueue {
	const queue = new Queue(QUEUE_NAME, {
		connection,
		prefix: QUEUE_PREFIX,
		// Finished jobs are the store's business: BullMQ keeps none (a failed one a week, to look at).
		defaultJobOptions: { removeOnComplete: true, removeOnFail: { age: 7 * 24 * 3600 } },
	});
	queue.on('error', (error) => logger.error({ err: error }, 'job queue error'));
	return {
		async add(jobIds) {
			await Promise.all(
				jobIds.map((jobId) =>
					queue
						.add('clone', { jobId }, { jobId: bullIdOf(jobId) })
						// Its slot is taken: the line's reconciliation hands it over again in a while.
						.catch((error: unknown) => logger.error({ err: error, jobId }, 'could not hand the job to the queue; retried shortly')),
				),
			);
		},
		stateOf: (jobId) => queue.getJobState(bullIdOf(jobId)),
		async retry(jobId) {
			await (await queue.getJob(bullIdOf(jobId)))?.retry('failed');
		},
		async work(processor, { concurrency, lockMs, connection: workerConnection }) {
			// A second fence behind the shared line, which decides: the whole deployment's jobs at once.
			await queue.setGlobalConcurrency(concurrency);
			const worker = new Worker(QUEUE_NAME, processor, {
				connection: workerConnection,
				prefix: QUEUE_PREFIX,
				concurrency,
				lockDuration: lockMs,
				// Every process looks for stalled jobs this often: a dead process's jobs are taken over within 1.5 × the lock.
				stalledInterval: Math.max(500, Math.floor(lockMs / 2)),
				// A job is a record that a run carries on from: taking it over again is safe, so stalls rarely fail it
				// (past 10, BullMQ fails it and the line's reconciliation runs it again).
				maxStalledCount: 10,
			});
			worker.on('error', (error) => logger.error({ err: error }, 'job worker error'));
			worker.on('failed', (job, error) => logger.error({ err: error, jobId: job?.data.jobId }, 'job run failed in the queue'));
			worker.on('stalled', (bullId) =>
				logger.warn({ jobId: bullId.replace(/^clone-/, '') }, 'job stalled (its process stopped renewing its lock): it is taken over'),
			);
			return worker;
		},
		close: () => queue.close(),
	};
}
