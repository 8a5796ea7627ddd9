import { randomBytes } from 'node:crypto';
import type Keyv from 'keyv';

/**
 * Which live process runs which job, for stores shared by several processes (Redis).
 * Each process keeps a short lease alive in the store; a job whose owner's lease has lapsed
 * belongs to a process that died, and another may adopt it.
 */
export interface Ownership {
	readonly id: string;
	/** Whether the owner of a job is a live process other than this one. */
	ownedElsewhere(owner: string | undefined): Promise<boolean>;
	/**
	 * Takes a job over from `previousOwner` (who is gone), atomically: of several processes adopting the
	 * same orphan at once, exactly one gets true.
	 */
	claim(jobId: string, previousOwner: string | undefined): Promise<boolean>;
	start(): Promise<void>;
	stop(): Promise<void>;
}

export const LEASE_TTL_MS = 45_000;
const RENEW_EVERY_MS = 15_000;

/** Compare-and-set in one Redis step: the claim moves only from the expected owner (or from nobody). */
const CLAIM_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

/** A claim outlives any job (XTTS_JOB_TIMEOUT_MS is at most a day). */
const CLAIM_TTL_MS = 2 * 24 * 60 * 60 * 1000;

interface EvalClient {
	eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export function createOwnership({ store, shared }: { store: Keyv; shared: boolean }): Ownership {
	const id = randomBytes(6).toString('base64url');
	const key = (owner: string) => `lease:${owner}`;
	let timer: ReturnType<typeof setInterval> | undefined;

	return {
		id,
		async ownedElsewhere(owner) {
			// An embedded store has one process: whoever owned a job before this start is gone.
			if (!shared || !owner || owner === id) return false;
			return (await store.get(key(owner))) !== undefined;
		},
		async claim(jobId, previousOwner) {
			if (!shared) return true;
			const client = (store.store as { client?: EvalClient }).client;
			if (!client) return true;
			const result = await client.eval(CLAIM_SCRIPT, {
				keys: [`xtts-bot:claim:${jobId}`],
				arguments: [previousOwner ?? '', id, String(CLAIM_TTL_MS)],
			});
			return Number(result) === 1;
		},

		async start() {
			if (!shared) return;
			await store.set(key(id), Date.now(), LEASE_TTL_MS);
			timer = setInterval(() => void store.set(key(id), Date.now(), LEASE_TTL_MS).catch(() => undefined), RENEW_EVERY_MS);
			timer.unref();
		},
		async stop() {
			if (timer) clearInterval(timer);
			// Let the next process take over at once instead of after the lease lapses.
			if (shared) await store.delete(key(id)).catch(() => undefined);
		},
	};
}
