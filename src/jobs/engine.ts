import type { Limits } from '../store/guild-settings.js';
import type { Admission, AdmissionRequest } from './admission.js';
import type { JobIn, JobRecord } from './lifecycle.js';

/**
 * What the rest of the bot may ask of the job engine: the Discord layer starts, cancels and looks up jobs, the HTTP
 * receiver hands it callbacks, the composition root resumes and stops it. jobs/runner.ts is the embedded engine
 * (one process, its own line and slots, on SQLite); jobs/bullmq-engine.ts the shared one (BullMQ on a Redis that
 * several processes share, with one line and one set of limits for all of them).
 */
export interface JobRunner {
	/** Whether a request from this member in this server may start now (answered before anything is spent). */
	admit(request: AdmissionRequest, limits: Limits): Promise<Admission>;
	/**
	 * Records the job, then runs it in the background (or puts it in line). Resolves once the record is stored.
	 * With limits, admission is checked again first (the member may have started another job meanwhile):
	 * throws a RefusedError when refused.
	 */
	start(job: JobIn<'recorded'>, limits?: Limits): Promise<void>;
	/** The member's cooldown starts now (an ask for another member's permission counts as a request). */
	startCooldown(requesterId: string): void;
	/** Starts taking jobs, and picks up the unfinished jobs in the store that no live process runs; returns how many. */
	resume(): Promise<number>;
	/**
	 * Stops a job for its member, wherever it runs or waits: 'cancelled' (its message says so once it has stopped),
	 * or 'unknown' when no process can be reached that runs it.
	 */
	cancel(jobId: string): Promise<'cancelled' | 'unknown'>;
	/** The live record of a job this process runs or has in line. */
	running(jobId: string): JobRecord | undefined;
	/**
	 * A callback from the API: 'taken' (also when passed on to the process that runs the job); 'invalid' for a
	 * body that is no status; 'unknown' for no such job; 'elsewhere' for an unfinished job no process here runs yet
	 * (the embedded engine, before it has resumed).
	 */
	notify(jobId: string, body: unknown): Promise<'taken' | 'unknown' | 'elsewhere' | 'invalid'>;
	/**
	 * Stops tracking (jobs stay in the store for the next start) and waits for the runs to settle; a generate
	 * request still on the wire gets `graceMs` to come back (it may be charged) before it is abandoned.
	 */
	stop(graceMs?: number): Promise<void>;
	/** Jobs this process runs or has in line (at the API, waiting, or delivering). */
	readonly active: number;
	/** Jobs holding one of the MAX_JOBS_IN_FLIGHT slots at the API. */
	readonly atApi: number;
	/** Jobs in line for a slot. */
	readonly waiting: number;
	readonly maxAtApi: number;
	/** New jobs are paused after a 402 (Insufficient Balance). */
	readonly balancePaused: boolean;
	/** Resolves when the job's current run has settled (for tests and shutdown). */
	settled(jobId: string): Promise<void>;
}
