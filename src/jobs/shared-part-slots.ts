import type { Limits } from '../store/guild-settings.js';
import type { SharedLine } from '../store/shared-line.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { JobRecord } from './lifecycle.js';
import type { PartSlots } from './parts.js';

/**
 * On a shared Redis, a long text's other parts at the API each take a slot of their own in the shared line
 * (store/shared-line.ts), after those waiting in line are served: counted against MAX_JOBS_IN_FLIGHT for the whole
 * deployment and against the server's cap, whichever process runs the job.
 */

export interface SharedPartSlotDeps {
	line: Pick<SharedLine, 'takeExtra' | 'release' | 'dropExtras'>;
	log: Logger;
	clock: Clock;
	maxAtApi: number;
	limitsFor(guildId: string | null): Promise<Limits>;
	/** Hands the jobs whose turn came (a freed slot, or the pump before a part's) to the queue. */
	dispatch(jobIds: readonly string[]): Promise<void>;
	/** The soonest cooldown in line ends in this many ms (-1: none): the line is pumped then. */
	wakeFor(ms: number): void;
}

export interface SharedPartSlots {
	/** The slots for one run of a long text. */
	forJob(job: JobRecord): Promise<PartSlots>;
	/** Extra slots this process's long texts hold now. */
	readonly held: number;
}

export function createSharedPartSlots(deps: SharedPartSlotDeps): SharedPartSlots {
	const { line, clock, maxAtApi, log } = deps;
	let held = 0;
	/** The jobs whose turn a pump gave: a hand-over that fails is repaired by the keeper's reconciliation. */
	const handOver = async (pumped: { started: string[]; soonestMs: number }) => {
		deps.wakeFor(pumped.soonestMs);
		await deps.dispatch(pumped.started).catch((error: unknown) => log.warn({ err: error }, 'could not hand over the jobs whose turn came; reconciled shortly'));
	};
	return {
		get held() {
			return held;
		},
		async forJob(job) {
			const request = { jobId: job.id, requesterId: job.requesterId, guildId: job.guildId };
			// An earlier run that died (kill -9) may have left some: this run starts from its job's own slot.
			await handOver(await line.dropExtras(job.id, maxAtApi, clock.now()));
			const keys: string[] = [];
			return {
				async take(force) {
					const limits = await deps.limitsFor(job.guildId);
					const { key, pumped } = await line.takeExtra(request, limits.perServer, maxAtApi, clock.now(), force);
					// Counted before anything else can fail, so that it is always given back.
					if (key) {
						keys.push(key);
						held++;
					}
					await handOver(pumped);
					return key !== undefined;
				},
				async release() {
					const key = keys.pop();
					if (!key) return;
					held--;
					await handOver(await line.release(key, maxAtApi, clock.now()));
				},
			};
		},
	};
}
