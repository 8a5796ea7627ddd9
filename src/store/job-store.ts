import type Keyv from 'keyv';

/**
 * Durable job records in keyv. The store knows no more of a record than its id and its age; what a record holds,
 * and which ones are unfinished, the job layer says (jobs/records.ts).
 */

export interface StoredRecord {
	id: string;
	createdAt: number;
}

/** Finished records are kept this long for audit and support, then expire. */
export const FINISHED_JOB_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface JobStore<T extends StoredRecord> {
	get(id: string): Promise<T | undefined>;
	save(job: T): Promise<void>;
	/** The unfinished jobs, oldest first. */
	unfinished(): Promise<T[]>;
	/** Deletes a record (a member deleting their data); false when there was none. */
	forget(id: string): Promise<boolean>;
}

export interface JobStoreOptions<T extends StoredRecord> {
	records: Keyv;
	active: Keyv;
	isUnfinished(record: T): boolean;
	/** A stored value as a record (an older version's upgraded), or undefined for one that is not. */
	read(value: unknown): T | undefined;
}

/**
 * Records live in `records`; the ids of unfinished ones also in `active`, which is what unfinished() lists.
 * Listing the records themselves would walk a week of finished jobs, and keyv deletes expired entries while it
 * iterates, which makes the SQLite adapter's paged listing skip records.
 *
 * Order keeps a crash harmless: an id is marked active before its record is first written, and unmarked
 * only after the finished record is written. A stale mark (its record finished or gone) is dropped when listed.
 */
export function createJobStore<T extends StoredRecord>({ records, active, isUnfinished, read }: JobStoreOptions<T>): JobStore<T> {
	// Ids this process has marked active, so that a job's later transitions don't write the mark again.
	const marked = new Set<string>();

	async function get(id: string): Promise<T | undefined> {
		return read(await records.get(id));
	}

	/**
	 * keyv's iterator reads each listed key's value after listing it, and throws (a TypeError on the missing value)
	 * when another writer deleted the key in between: a job finishing, in this process or another sharing Redis,
	 * while this one lists. The listing is then simply done again.
	 */
	async function activeIds(attempt = 1): Promise<string[]> {
		if (!active.iterator) throw new Error('the job store cannot list its active jobs');
		const ids: string[] = [];
		try {
			for await (const [id] of active.iterator(undefined)) if (typeof id === 'string') ids.push(id);
		} catch (error) {
			if (!(error instanceof TypeError) || attempt >= 5) throw error;
			return activeIds(attempt + 1);
		}
		return ids;
	}

	return {
		get,
		async save(job) {
			if (isUnfinished(job)) {
				if (!marked.has(job.id)) {
					await active.set(job.id, job.createdAt);
					marked.add(job.id);
				}
				await records.set(job.id, job);
				return;
			}
			await records.set(job.id, job, FINISHED_JOB_TTL_MS);
			await active.delete(job.id);
			marked.delete(job.id);
		},
		async forget(id) {
			await active.delete(id);
			marked.delete(id);
			return records.delete(id);
		},
		async unfinished() {
			const ids = await activeIds();
			const jobs: T[] = [];
			for (const id of ids) {
				const job = await get(id);
				if (job && isUnfinished(job)) jobs.push(job);
				else await active.delete(id);
			}
			return jobs.sort((a, b) => a.createdAt - b.createdAt);
		},
	};
}
