import type { Redis } from 'ioredis';
import type { Clock } from '../util/clock.js';
import { createAdmissions, type Admissions } from './admission.js';

/**
 * The pause after a 402 for a deployment of several processes: the API account is one, so a 402 seen by one process
 * pauses them all. Kept in Redis as a key that expires with the pause; each process also keeps it locally, so that
 * a submit never waits for Redis to know.
 */

export interface SharedBalance extends Pick<Admissions, 'balancePaused' | 'pauseForBalance' | 'balancePauseMs' | 'stop'> {
	/** Whether any process is paused (asks Redis), and takes the pause over locally if so. */
	pausedAnywhere(): Promise<boolean>;
}

const BALANCE_KEY = 'xtts-bot:pause:balance';

export function createSharedBalance({ redis, clock, balancePauseMs }: { redis: Redis; clock: Clock; balancePauseMs?: number | undefined }): SharedBalance {
	const local = createAdmissions({ clock, balancePauseMs });
	return {
		get balancePaused() {
			return local.balancePaused;
		},
		balancePauseMs: local.balancePauseMs,
		pauseForBalance(ms) {
			local.pauseForBalance(ms);
			void redis.set(BALANCE_KEY, '1', 'PX', ms ?? local.balancePauseMs).catch(() => undefined);
		},
		async pausedAnywhere() {
			if (local.balancePaused) return true;
			const left = await redis.pttl(BALANCE_KEY);
			if (left > 0) local.pauseForBalance(left);
			return left > 0;
		},
		stop: () => local.stop(),
	};
}
