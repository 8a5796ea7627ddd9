import type Keyv from 'keyv';
import { createKeyedLock } from '../util/keyed-lock.js';

/**
 * Every clone a server's members asked for, kept for its moderators for AUDIT_RETENTION_DAYS, then deleted:
 * who asked, whose voice, on what ground, the start of the text, when, where the result is, whether it was
 * reported. One list a server (`audit:<guild>`), and for each member the servers where they appear
 * (`audit-member:<user>`), so that a member can see and delete what is kept about them.
 *
 * On a shared Redis two processes writing one server's list in the same instant can lose one entry (a
 * read-modify-write); the job records and reports themselves are unaffected.
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
/** A server's list holds at most this many entries (the newest). */
const MAX_ENTRIES_PER_SERVER = 5_000;

export function createAuditLog({ store, retentionDays, now = Date.now }: { store: Keyv; retentionDays: number; now?: () => number }): AuditLog {
	const retentionMs = retentionDays * DAY_MS;
	const serverKey = (guildId: string) => `audit:${guildId}`;
	const memberKey = (memberId: string) => `audit-member:${memberId}`;
	const locked = createKeyedLock();

	const fresh = (entries: AuditEntry[]) => entries.filter((entry) => entry.at > now() - retentionMs);

	async function entriesOf(guildId: string): Promise<AuditEntry[]> {
		return fresh(((await store.get(serverKey(guildId))) as AuditEntry[] | undefined) ?? []);
	}

	async function writeEntries(guildId: string, entries: AuditEntry[]): Promise<void> {
		if (entries.length === 0) await store.delete(serverKey(guildId));
		// The whole list expires a retention after its newest entry; older entries are dropped as it is read.
		else await store.set(serverKey(guildId), entries.slice(-MAX_ENTRIES_PER_SERVER), retentionMs);
	}

	async function noteMember(memberId: string, guildId: string): Promise<void> {
		await locked(memberKey(memberId), async () => {
			const guilds = ((await store.get(memberKey(memberId))) as string[] | undefined) ?? [];
			if (!guilds.includes(guildId)) guilds.push(guildId);
			await store.set(memberKey(memberId), guilds, retentionMs);
		});
	}

	const involves = (entry: AuditEntry, memberId: string) => entry.requesterId === memberId || entry.voiceOwnerId === memberId;

	return {
		async record(entry) {
			await locked(serverKey(entry.guildId), async () => writeEntries(entry.guildId, [...(await entriesOf(entry.guildId)), entry]));
			await noteMember(entry.requesterId, entry.guildId);
			if (entry.voiceOwnerId !== entry.requesterId) await noteMember(entry.voiceOwnerId, entry.guildId);
		},
		async update(guildId, jobId, change) {
			await locked(serverKey(guildId), async () => {
				const entries = await entriesOf(guildId);
				const at = entries.findIndex((entry) => entry.jobId === jobId);
				if (at < 0) return;
				entries[at] = { ...(entries[at] as AuditEntry), ...change };
				await writeEntries(guildId, entries);
			});
		},
		async list(guildId, { memberId } = {}) {
			const entries = await entriesOf(guildId);
			return entries.filter((entry) => !memberId || involves(entry, memberId)).reverse();
		},
		async forMember(memberId) {
			const guilds = ((await store.get(memberKey(memberId))) as string[] | undefined) ?? [];
			const all: AuditEntry[] = [];
			for (const guildId of guilds) all.push(...(await entriesOf(guildId)).filter((entry) => involves(entry, memberId)));
			return all.sort((a, b) => b.at - a.at);
		},
		async forgetRequests(memberId, keep) {
			const guilds = ((await store.get(memberKey(memberId))) as string[] | undefined) ?? [];
			let deleted = 0;
			for (const guildId of guilds) {
				await locked(serverKey(guildId), async () => {
					const entries = await entriesOf(guildId);
					const kept = entries.filter((entry) => entry.requesterId !== memberId || keep(entry));
					deleted += entries.length - kept.length;
					await writeEntries(guildId, kept);
				});
			}
			return deleted;
		},
	};
}
