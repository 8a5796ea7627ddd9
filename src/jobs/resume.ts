import type { Ownership } from '../store/ownership.js';
import { isUnfinished, type JobRecord } from './lifecycle.js';
import type { JobRecords } from './records.js';

/**
 * After a restart (or, on a shared store, when another process died): the unfinished jobs that no live process
 * runs, claimed for this one. Of several processes adopting the same orphan, exactly one gets it.
 */
export async function adoptUnfinished({
	jobs,
	ownership,
	isRunningHere,
	stopping,
}: {
	jobs: JobRecords;
	ownership: Ownership;
	isRunningHere(jobId: string): boolean;
	stopping: AbortSignal;
}): Promise<JobRecord[]> {
	const adopted: JobRecord[] = [];
	for (const listed of await jobs.unfinished()) {
		if (stopping.aborted) break;
		if (isRunningHere(listed.id)) continue;
		// The list is a snapshot: the job may have finished since (here or elsewhere).
		const found = await jobs.get(listed.id);
		if (!found || !isUnfinished(found) || isRunningHere(found.id) || (await ownership.ownedElsewhere(found.owner))) continue;
		// Waiting for its owner's permission: the consent desk keeps those (jobs/consent.ts).
		if (found.state === 'awaiting-consent') continue;
		if (!(await ownership.claim(found.id, found.owner))) continue;
		const job = found.owner === ownership.id ? found : { ...found, owner: ownership.id };
		// Claimed: it is this process's now, even if recording the new owner fails (the claim is what counts).
		if (job !== found) await jobs.save(job).catch(() => undefined);
		adopted.push(job);
	}
	return adopted;
}
