import { isUnfinished, type JobRecord } from './lifecycle.js';
import type { JobRecords } from './records.js';

/** After a restart of the embedded engine: the unfinished jobs in the store, which this process now runs. */
export async function adoptUnfinished({
	jobs,
	isRunningHere,
	stopping,
}: {
	jobs: JobRecords;
	isRunningHere(jobId: string): boolean;
	stopping: AbortSignal;
}): Promise<JobRecord[]> {
	const adopted: JobRecord[] = [];
	for (const listed of await jobs.unfinished()) {
		if (stopping.aborted) break;
		if (isRunningHere(listed.id)) continue;
		// The list is a snapshot: the job may have finished since.
		const found = await jobs.get(listed.id);
		if (!found || !isUnfinished(found) || isRunningHere(found.id)) continue;
		// Waiting for its owner's permission: the consent desk keeps those (jobs/consent.ts).
		if (found.state === 'awaiting-consent') continue;
		adopted.push(found);
	}
	return adopted;
}
