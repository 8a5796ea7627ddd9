import { randomBytes } from 'node:crypto';
import type Keyv from 'keyv';

/**
 * The audio a member picked with "Clone this voice", kept while they fill in the modal. A modal's custom id
 * holds 100 characters, too few for a signed attachment URL, so it carries a short key to this instead.
 */
export interface PendingVoices<T> {
	put(speaker: T): Promise<string>;
	take(key: string): Promise<T | undefined>;
}

/** Discord gives a member 15 minutes to submit a modal. */
const PENDING_TTL_MS = 15 * 60 * 1000;

export function createPendingVoices<T>(store: Keyv): PendingVoices<T> {
	return {
		async put(speaker) {
			const key = randomBytes(9).toString('base64url');
			await store.set(`pending-voice:${key}`, speaker, PENDING_TTL_MS);
			return key;
		},
		async take(key) {
			const speaker = (await store.get(`pending-voice:${key}`)) as T | undefined;
			// One form, one request: a second submit of the same form finds nothing.
			if (speaker) await store.delete(`pending-voice:${key}`);
			return speaker;
		},
	};
}
