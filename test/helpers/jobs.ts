import type { JobRecord, JobState } from '../../src/jobs/lifecycle.js';

/** A job's record as the bot writes it, for tests that drive the runner or the store without Discord. */
export function jobRecord(options: { id?: string; state?: JobState; createdAt?: number } = {}): JobRecord {
	const createdAt = options.createdAt ?? Date.now();
	const state = options.state ?? 'recorded';
	const common = {
		v: 3 as const,
		id: options.id ?? 'job-1',
		createdAt,
		updatedAt: createdAt,
		interaction: { id: '1', applicationId: '2', token: 'tok', createdAt },
		guildId: '3',
		channelId: '4',
		requesterId: '5',
		locale: 'en-US',
		uploadLimit: 10 * 1024 * 1024,
		request: {
			speakerUrl: 'https://cdn.example/v.wav',
			speakerName: 'v.wav',
			text: 'hi',
			language: 'en' as const,
			languageSource: 'default' as const,
			cleanupVoice: false,
		},
	};
	const xtts = { requestId: `req-${common.id}`, status: 'QUEUED' as const, submittedAt: createdAt };
	switch (state) {
		case 'recorded':
		case 'waiting':
		case 'submitting':
			return { ...common, state };
		case 'parts':
			return { ...common, state, parts: [{ text: 'one.' }, { text: 'two.' }] };
		case 'submitted':
		case 'completed':
			return { ...common, state, xtts };
		case 'delivered':
			return { ...common, state, xtts: { ...xtts, status: 'COMPLETED' }, delivered: { via: 'reply', messageId: '6' } };
		case 'failed':
			return { ...common, state, failure: { kind: 'timeout' }, told: true };
		case 'cancelled':
			return { ...common, state, reachedApi: false };
		case 'undeliverable':
			return { ...common, state, xtts };
		case 'awaiting-consent':
		case 'denied':
		case 'expired':
			return { ...common, state, consent: { ownerId: '6', channelId: '4', messageId: '7', locale: 'en-US', expiresAt: createdAt + 600_000 } };
	}
}
