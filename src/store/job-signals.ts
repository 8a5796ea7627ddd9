import type { Redis } from 'ioredis';

/**
 * What a member or the API does to a job reaches it whichever process receives it: a Cancel pressed on a message
 * another process made, a callback arriving at a process that doesn't run the job. Each is published to every
 * process sharing the Redis (the one running the job acts on it), and also kept, so that a process taking the job
 * over later (after a crash, or between two runs) finds it.
 */

export type JobSignal = { kind: 'cancel'; jobId: string } | { kind: 'callback'; jobId: string; body: unknown };

export interface JobSignals {
	/** Records the member's Cancel and tells every process. */
	cancel(jobId: string): Promise<void>;
	cancelled(jobId: string): Promise<boolean>;
	/** Keeps a callback's body for the job and tells every process. */
	forward(jobId: string, body: unknown): Promise<void>;
	/** The callbacks kept for a job, oldest first. */
	kept(jobId: string): Promise<unknown[]>;
	/** Calls `listener` for every signal published by any process (this one included). */
	listen(listener: (signal: JobSignal) => void): Promise<void>;
	close(): Promise<void>;
}

const PREFIX = 'xtts-bot:signal:';
const CHANNEL = `${PREFIX}events`;
/** Longer than any job's life (XTTS_JOB_TIMEOUT_MS is at most a day). */
const KEEP_SECONDS = 2 * 24 * 60 * 60;
/** A job gets a handful of callbacks (one per status change, per part); more are kept only up to this. */
const KEEP_CALLBACKS = 50;

export function createJobSignals({ redis, subscriber }: { redis: Redis; subscriber: Redis }): JobSignals {
	return {
		async cancel(jobId) {
			await redis.set(`${PREFIX}cancel:${jobId}`, '1', 'EX', KEEP_SECONDS);
			await redis.publish(CHANNEL, JSON.stringify({ kind: 'cancel', jobId } satisfies JobSignal));
		},
		async cancelled(jobId) {
			return (await redis.exists(`${PREFIX}cancel:${jobId}`)) === 1;
		},
		async forward(jobId, body) {
			const key = `${PREFIX}callbacks:${jobId}`;
			await redis.multi().rpush(key, JSON.stringify(body)).ltrim(key, -KEEP_CALLBACKS, -1).expire(key, KEEP_SECONDS).exec();
			await redis.publish(CHANNEL, JSON.stringify({ kind: 'callback', jobId, body } satisfies JobSignal));
		},
		async kept(jobId) {
			const bodies = await redis.lrange(`${PREFIX}callbacks:${jobId}`, 0, -1);
			return bodies.flatMap((body) => {
				try {
					return [JSON.parse(body) as unknown];
				} catch {
					return [];
				}
			});
		},
		async listen(listener) {
			subscriber.on('message', (channel: string, message: string) => {
				if (channel !== CHANNEL) return;
				try {
					const signal = JSON.parse(message) as JobSignal;
					if (signal && typeof signal.jobId === 'string' && (signal.kind === 'cancel' || signal.kind === 'callback')) listener(signal);
				} catch {
					// Not ours: ignored.
				}
			});
			await subscriber.subscribe(CHANNEL);
		},
		async close() {
			await subscriber.unsubscribe(CHANNEL).catch(() => undefined);
		},
	};
}
