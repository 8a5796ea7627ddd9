import { randomBytes } from 'node:crypto';
import type Keyv from 'keyv';

/**
 * Members' reports of results, and what moderators did about them. A report is kept as long as the audit log
 * (AUDIT_RETENTION_DAYS); while it is open, the job it is about counts as needed (`open-report:<job>`), so that
 * the requester deleting their data does not erase what a moderator still has to look at.
 */

export type ReportStatus = 'open' | 'deleted' | 'blocked' | 'dismissed';

export interface Report {
	id: string;
	guildId: string;
	jobId: string;
	reporterId: string;
	requesterId: string;
	voiceOwnerId: string;
	/** The start of the clone's text. */
	text: string;
	reason: string;
	/** When it was reported, and when the clone was made. */
	at: number;
	madeAt: number;
	/** The result's message. */
	channelId: string;
	messageId?: string;
	status: ReportStatus;
	/** Who acted on it, and when. */
	actedBy?: string;
	actedAt?: number;
	/** The message in the report channel, once posted. */
	posted?: { channelId: string; messageId: string };
}

export interface Reports {
	create(report: Omit<Report, 'id' | 'status'>): Promise<Report>;
	get(id: string): Promise<Report | undefined>;
	/** Sets what happened; undefined when the report is gone, or was acted on already (the first action wins). */
	close(id: string, status: Exclude<ReportStatus, 'open'>, by: string): Promise<Report | undefined>;
	setPosted(id: string, posted: Report['posted']): Promise<void>;
	/** Whether a job has a report no moderator has acted on. */
	hasOpenReport(jobId: string): Promise<boolean>;
	/** The reports this member filed, newest first. */
	filedBy(memberId: string): Promise<Report[]>;
}

export function createReports({ store, retentionDays, now = Date.now }: { store: Keyv; retentionDays: number; now?: () => number }): Reports {
	const retentionMs = retentionDays * 24 * 60 * 60 * 1000;
	/** Kept a retention from when it was reported, whatever happens to it after. */
	const ttlOf = (report: Report) => Math.max(1, report.at + retentionMs - now());
	const key = (id: string) => `report:${id}`;
	const openKey = (jobId: string) => `open-report:${jobId}`;
	const filedKey = (memberId: string) => `reports-filed:${memberId}`;

	async function get(id: string): Promise<Report | undefined> {
		return (await store.get(key(id))) as Report | undefined;
	}

	return {
		get,
		async create(fields) {
			const report: Report = { ...fields, id: randomBytes(6).toString('base64url'), status: 'open' };
			await store.set(key(report.id), report, ttlOf(report));
			// Every open report of the job: it stays needed until the last one is acted on.
			const open = ((await store.get(openKey(report.jobId))) as string[] | undefined) ?? [];
			await store.set(openKey(report.jobId), [...open, report.id], retentionMs);
			const filed = ((await store.get(filedKey(report.reporterId))) as string[] | undefined) ?? [];
			await store.set(filedKey(report.reporterId), [...filed, report.id].slice(-200), retentionMs);
			return report;
		},
		async close(id, status, by) {
			const report = await get(id);
			if (report?.status !== 'open') return undefined;
			const closed: Report = { ...report, status, actedBy: by, actedAt: now() };
			await store.set(key(id), closed, ttlOf(closed));
			const open = (((await store.get(openKey(report.jobId))) as string[] | undefined) ?? []).filter((other) => other !== id);
			if (open.length > 0) await store.set(openKey(report.jobId), open, retentionMs);
			else await store.delete(openKey(report.jobId));
			return closed;
		},
		async setPosted(id, posted) {
			const report = await get(id);
			if (report) await store.set(key(id), { ...report, posted }, ttlOf(report));
		},
		async hasOpenReport(jobId) {
			return (((await store.get(openKey(jobId))) as string[] | undefined) ?? []).length > 0;
		},
		async filedBy(memberId) {
			const ids = ((await store.get(filedKey(memberId))) as string[] | undefined) ?? [];
			const reports = await Promise.all(ids.map(get));
			return reports.filter((report): report is Report => report !== undefined).sort((a, b) => b.at - a.at);
		},
	};
}
