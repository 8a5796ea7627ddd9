import type { JobRecord, JobState } from '../../src/store/job-store.js';

/** A job's record as the bot writes it, for tests that drive the runner or the store without Discord. */
export function jobRecord(options: { id?: string; state?: JobState; createdAt?: number } = {}): JobRecord {
	const createdAt = options.createdAt ?? Date.now();
	return {
		v: 1,
		id: options.id ?? 'job-1',
		state: options.state ?? 'recorded',
		createdAt,
		updatedAt: createdAt,
		interaction: { id: '1', applicationId: '2', token: 'tok', createdAt },
		guildId: '3',
		channelId: '4',
		requesterId: '5',
		locale: 'en-US',
		uploadLimit: 10 * 1024 * 1024,
		request: { speakerUrl: 'https://cdn.example/v.wav', speakerName: 'v.wav', text: 'hi', language: 'en', languageSource: 'default', cleanupVoice: false },
	};
}
