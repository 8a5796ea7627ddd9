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
	start(): Promise<void>;
	stop(): Promise<void>;
}

export const LEASE_TTL_MS = 45_000;
const RENEW_EVERY_MS = 15_000;

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
