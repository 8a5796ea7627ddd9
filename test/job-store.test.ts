import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../src/util/logger.js';
import type { JobState } from '../src/jobs/lifecycle.js';
import { createJobRecords as createJobStore } from '../src/jobs/records.js';
import { FINISHED_JOB_TTL_MS } from '../src/store/job-store.js';
import { createStores, type Stores } from '../src/store/stores.js';
import { jobRecord } from './helpers/jobs.js';
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis.js';

/** What a restart resumes: every unfinished job and nothing else, however many finished records lie around. */

const job = (id: string, state: JobState, createdAt: number) => jobRecord({ id, state, createdAt });

function contract(name: string, open: () => Promise<Stores>) {
	describe(`job store on ${name}`, () => {
		afterEach(() => {
			vi.useRealTimers();
		});

		it('lists exactly the unfinished jobs, oldest first, also when a week of finished ones has just expired', async () => {
			vi.useFakeTimers({ toFake: ['Date'] });
			const stores = await open();
			try {
				const jobs = createJobStore(stores);
				const start = Date.now();
				// Finished records interleaved with unfinished ones, as a busy week leaves them.
				for (let index = 0; index < 30; index++) {
					await jobs.save(job(`done-${index}`, 'submitted', start + index));
					await jobs.save(job(`done-${index}`, index % 2 ? 'delivered' : 'failed', start + index));
					if (index % 6 === 0) await jobs.save(job(`open-${index}`, 'submitted', start + index));
				}
				// Past the finished records' lifetime: keyv deletes them as it meets them.
				vi.setSystemTime(start + FINISHED_JOB_TTL_MS + 60_000);
				const open = await createJobStore(stores).unfinished();
				expect(open.map((listed) => listed.id)).toEqual(['open-0', 'open-6', 'open-12', 'open-18', 'open-24']);

				// Finishing one unlists it.
				await jobs.save(job('open-12', 'delivered', start + 12));
				expect((await jobs.unfinished()).map((listed) => listed.id)).toEqual(['open-0', 'open-6', 'open-18', 'open-24']);
			} finally {
				await stores.close();
			}
		});

		it('drops a mark left by a crash: an id whose record was never written, or was written finished', async () => {
			const stores = await open();
			try {
				await stores.activeJobs.set('never-written', 1);
				await stores.activeJobs.set('finished-then-crashed', 2);
				await stores.jobs.set('finished-then-crashed', job('finished-then-crashed', 'delivered', 2));
				const jobs = createJobStore(stores);
				await jobs.save(job('still-open', 'recorded', 3));
				expect((await jobs.unfinished()).map((listed) => listed.id)).toEqual(['still-open']);
				expect(await stores.activeJobs.get('never-written')).toBeUndefined();
				expect(await stores.activeJobs.get('finished-then-crashed')).toBeUndefined();
			} finally {
				await stores.close();
			}
		});

		it('lists again when a job finishes (its mark deleted) in the middle of the listing', async () => {
			const stores = await open();
			try {
				const jobs = createJobStore(stores);
				await jobs.save(job('a', 'submitted', 1));
				await jobs.save(job('b', 'submitted', 2));
				const iterator = stores.activeJobs.iterator?.bind(stores.activeJobs);
				let listings = 0;
				// The first listing meets a key whose value went away after it was listed, as keyv's iterator then does.
				stores.activeJobs.iterator = async function* (namespace: unknown) {
					listings++;
					if (listings === 1) {
						yield ['a', 1];
						const gone = undefined as unknown as { expires: number };
						void gone.expires;
					}
					yield* iterator?.(namespace as undefined) ?? [];
				} as never;
				expect((await jobs.unfinished()).map((listed) => listed.id)).toEqual(['a', 'b']);
				expect(listings).toBe(2);
			} finally {
				await stores.close();
			}
		});
	});
}

let dir: string;
beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'xtts-jobs-'));
});
afterAll(async () => {
	await rm(dir, { recursive: true, force: true });
});

let files = 0;
contract('SQLite', () => createStores(`sqlite://${path.join(dir, `jobs-${files++}.sqlite`)}`, silentLogger));

describe.skipIf(!redisAvailable())('Redis', () => {
	let redis: RedisServer;
	let db = 4;
	beforeAll(async () => {
		redis = await startRedis();
	});
	afterAll(async () => {
		await redis?.stop();
	});
	contract('Redis', () => createStores(`${redis.url}/${db++}`, silentLogger));
});
