import type Keyv from 'keyv';

/**
 * Each member's own choice for their voice, across every server: asked each time (the default), allowed where
 * the server's policy permits, or never. Kept until the member changes or deletes it (`voice-choice:<user>`).
 */

export type VoiceChoice = 'ask' | 'allow' | 'never';
export const VOICE_CHOICES: readonly VoiceChoice[] = ['ask', 'allow', 'never'];
export const DEFAULT_VOICE_CHOICE: VoiceChoice = 'ask';

export interface StoredVoiceChoice {
	choice: VoiceChoice;
	/** ISO time it was set. */
	at: string;
}

export interface VoiceChoices {
	get(memberId: string): Promise<VoiceChoice>;
	/** What is stored (undefined: the member never chose). */
	stored(memberId: string): Promise<StoredVoiceChoice | undefined>;
	set(memberId: string, choice: VoiceChoice): Promise<void>;
	/** False when there was nothing to forget. */
	forget(memberId: string): Promise<boolean>;
}

export function createVoiceChoices({ store, now = () => new Date() }: { store: Keyv; now?: () => Date }): VoiceChoices {
	const key = (memberId: string) => `voice-choice:${memberId}`;
	async function stored(memberId: string): Promise<StoredVoiceChoice | undefined> {
		const value = (await store.get(key(memberId))) as StoredVoiceChoice | undefined;
		return value && VOICE_CHOICES.includes(value.choice) ? value : undefined;
	}
	return {
		stored,
		async get(memberId) {
			return (await stored(memberId))?.choice ?? DEFAULT_VOICE_CHOICE;
		},
		async set(memberId, choice) {
			await store.set(key(memberId), { choice, at: now().toISOString() } satisfies StoredVoiceChoice);
		},
		async forget(memberId) {
			return store.delete(key(memberId));
		},
	};
}
