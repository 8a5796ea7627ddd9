import type Keyv from 'keyv';
import { createKeyedLock } from '../util/keyed-lock.js';

/**
 * Every clone a server's members asked for, kept for its moderators for AUDIT_RETENTION_DAYS, then deleted:
 * who asked, whose voice, on what ground, the start of the text, when, where the result is, whether it was
 * reported. Each entry is a key of its own (`audit-entry:<guild>:<job>`), so recording or updating one costs the
 * same however busy the server is; a server's day lists the ids of that day's entries (`audit-day:<guild>:<day>`)
 * and each member the servers where they appear (`audit-member:<user>`), so that moderators can list a server's
 * entries and a member can see and delete what is kept about them.
 *
 * On a shared Redis two processes adding to one day's list in the same instant can lose one id (a
 * read-modify-write); the entry itself is still written, and the job records and reports are unaffected.
 */

/** On what ground a voice was used. */
export type ConsentBasis =
	/** /clone with a file: the member who uploaded it answers for it. */
	| 'uploaded'
	/** Their own message. */
	| 'own'
	/** The owner pressed Allow for this request. */
	| 'permission'
	/** The owner's choice is "allow". */
	| 'owner-allows'
	/** The server's policy is "anyone". */
	| 'anyone';

export interface AuditEntry {
	jobId: string;
	guildId: string;
	channelId: string;
	at: number;
	requesterId: string;
	voiceOwnerId: string;
	basis: ConsentBasis;
	/** The start of the text (at most 100 characters). */
	text: string;
	/** The result's message, once delivered. */
	messageId?: string;
	reported: boolean;
}

export interface AuditLog {
	record(entry: AuditEntry): Promise<void>;
	/** Records the result's message, or that it was reported. */
	update(guildId: string, jobId: string, change: Partial<Pick<AuditEntry, 'messageId' | 'reported'>>): Promise<void>;
	/** A server's entries within the retention, newest first; only those where `memberId` asked or was the voice. */
	list(guildId: string, options?: { memberId?: string }): Promise<AuditEntry[]>;
	/** Every entry where this member asked or was the voice, in every server, newest first. */
	forMember(memberId: string): Promise<AuditEntry[]>;
	/** Deletes the member's own requests (not those `keep` says to keep); returns how many were deleted. */
	forgetRequests(memberId: string, keep: (entry: AuditEntry) => boolean): Promise<number>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_AUDIT_RETENTION_DAYS = 30;

export function createAuditLog({ store, retentionDays, now = Date.now }: { store: Keyv; retentionDays: number; now?: () => number }): AuditLog {
	const retentionMs = retentionDays * DAY_MS;
	const entryKey = (guildId: string, jobId: string) => `audit-entry:${guildId}:${jobId}`;
	const dayOf = (at: number) => Math.floor(at / DAY_MS);
	const dayKey = (guildId: string, day: number) => `audit-day:${guildId}:${day}`;
	const memberKey = (memberId: string) => `audit-member:${memberId}`;
	const locked = createKeyedLock();
	/** What is left of an entry's retention: it is kept from when it was made, whatever happens to it later. */
	const ttlOf = (entry: AuditEntry) => Math.max(1, entry.at + retentionMs - now());
	const involves = (entry: AuditEntry, memberId: string) => entry.requesterId === memberId || entry.voiceOwnerId === memberId;

	/**
	 * Member–server pairs this process noted in the last day: a regular's next clone reads nothing for it. Once a day
	 * the member's list is written again, which renews its retention while they keep using the bot.
	 */
	const noted = new Map<string, number>();
	async function noteMember(memberId: string, guildId: string): Promise<void> {
		const pair = `${memberId}:${guildId}`;
		const last = noted.get(pair);
		if (last !== undefined && now() - last < DAY_MS) return;
		if (noted.size >= 10_000) noted.clear();
		noted.set(pair, now());
		await locked(memberKey(memberId), async () => {
			const guilds = ((await store.get(memberKey(memberId))) as string[] | undefined) ?? [];
			await store.set(memberKey(memberId), guilds.includes(guildId) ? guilds : [...guilds, guildId], retentionMs);
		});
	}

	/**
	 * Ids waiting to be added to a day's list. A burst of clones in one server becomes a few writes of the list, not
	 * one read-modify-write each: while one write runs, the ids that arrive meanwhile go together in the next.
	 */
	const pendingIds = new Map<string, { ids: string[]; written: Promise<void> }>();
	function appendToDay(key: string, jobId: string): Promise<void> {
		const pending = pendingIds.get(key);
		if (pending) {
			pending.ids.push(jobId);
			return pending.written;
		}
		const batch = { ids: [jobId], written: Promise.resolve() };
		batch.written = locked(key, async () => {
			pendingIds.delete(key);
			const ids = ((await store.get(key)) as string[] | undefined) ?? [];
			await store.set(key, [...ids, ...batch.ids], retentionMs + DAY_MS);
		});
		pendingIds.set(key, batch);
		return batch.written;
	}

	/** A server's entries within the retention, newest first. */
	async function entriesOf(guildId: string): Promise<AuditEntry[]> {
		const today = dayOf(now());
		const days = Array.from({ length: retentionDays + 1 }, (_, back) => today - back);
		const ids = (await Promise.all(days.map(async (day) => ((await store.get(dayKey(guildId, day))) as string[] | undefined) ?? []))).flat();
		const entries = await Promise.all([...new Set(ids)].map(async (jobId) => (await store.get(entryKey(guildId, jobId))) as AuditEntry | undefined));
		return entries.filter((entry): entry is AuditEntry => entry !== undefined && entry.at > now() - retentionMs).sort((a, b) => b.at - a.at);
	}

	async function forMember(memberId: string): Promise<AuditEntry[]> {
		const guilds = ((await store.get(memberKey(memberId))) as string[] | undefined) ?? [];
		const all = (await Promise.all(guilds.map(entriesOf))).flat().filter((entry) => involves(entry, memberId));
		return all.sort((a, b) => b.at - a.at);
	}

	return {
		async record(entry) {
			await store.set(entryKey(entry.guildId, entry.jobId), entry, ttlOf(entry));
			await appendToDay(dayKey(entry.guildId, dayOf(entry.at)), entry.jobId);
			await noteMember(entry.requesterId, entry.guildId);
			if (entry.voiceOwnerId !== entry.requesterId) await noteMember(entry.voiceOwnerId, entry.guildId);
		},
		async update(guildId, jobId, change) {
			const key = entryKey(guildId, jobId);
			await locked(key, async () => {
				const entry = (await store.get(key)) as AuditEntry | undefined;
				if (entry) await store.set(key, { ...entry, ...change }, ttlOf(entry));
			});
		},
		async list(guildId, { memberId } = {}) {
			return (await entriesOf(guildId)).filter((entry) => !memberId || involves(entry, memberId));
		},
		forMember,
		async forgetRequests(memberId, keep) {
			let deleted = 0;
			for (const entry of await forMember(memberId)) {
				if (entry.requesterId !== memberId || keep(entry)) continue;
				// The day's list keeps the id; listing skips an entry that is gone.
				if (await store.delete(entryKey(entry.guildId, entry.jobId))) deleted++;
			}
			return deleted;
		},
	};
}
