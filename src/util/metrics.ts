import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What hosts see of the bot working, in the Prometheus text format (prom-client): served as GET /metrics beside
 * /healthz (server/http-server.ts). Labels are closed sets (states, kinds, HTTP statuses): never an id, a token or
 * a text. Each process counts what it did; Prometheus sums a deployment's processes.
 */

export type ApiCall = 'generate' | 'status' | 'download';

export interface ApiObservation {
	kind: ApiCall;
	seconds: number;
	/** 'ok', or the error's kind (rate-limited, server, network…). */
	outcome: string;
	requestId?: string;
}

/** A job's record as written: enough to count its moves. */
export interface RecordSeen {
	id: string;
	state: string;
	createdAt: number;
	updatedAt: number;
	failure?: { kind: string };
	xtts?: { requestId: string; submittedAt: number };
	parts?: ReadonlyArray<{ requestId?: string; submittedAt?: number; sending?: boolean; status?: string }>;
}

export interface LiveFigures {
	waiting: number;
	atApi: number;
	maxAtApi: number;
	balancePaused: boolean;
}

export interface Metrics {
	readonly registry: Registry;
	/** A job's record was written (every move of every job goes through here). */
	recorded(job: RecordSeen, now: number): void;
	api(observation: ApiObservation): void;
	/** The API took `apiMs` (its created_at → completed_at) for this request: seen by the run that tracks it. */
	apiDone(requestId: string, apiMs: number): void;
	/** Discord answered a REST request with an error status. */
	discordError(status: number): void;
	/** Where the gauges read from when scraped. */
	live(read: () => LiveFigures): void;
	/** The text a scrape gets. */
	render(): Promise<{ contentType: string; body: string }>;
}

const FINAL = new Set(['delivered', 'failed', 'cancelled', 'undeliverable', 'denied', 'expired']);

/** Node's and the process's own metrics, collected once per process however many bots it runs (tests do). */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
	if (!processRegistry) {
		processRegistry = new Registry();
		collectDefaultMetrics({ register: processRegistry });
	}
	return processRegistry;
}

/** Jobs whose last counted state is remembered (those in progress here); past this, the oldest are forgotten. */
const REMEMBERED = 50_000;

export function createMetrics(): Metrics {
	const registry = new Registry();
	let read: () => LiveFigures = () => ({ waiting: 0, atApi: 0, maxAtApi: 0, balancePaused: false });

	const jobs = new Counter({
		name: 'xtts_bot_jobs_total',
		help: 'Jobs that reached each state (each job counts once per state)',
		labelNames: ['state'],
		registers: [registry],
	});
	const failures = new Counter({
		name: 'xtts_bot_job_failures_total',
		help: 'Jobs that failed, by the kind of failure',
		labelNames: ['kind'],
		registers: [registry],
	});
	new Gauge({
		name: 'xtts_bot_requests_waiting',
		help: 'Requests waiting in line for their turn',
		registers: [registry],
		collect() {
			this.set(read().waiting);
		},
	});
	new Gauge({
		name: 'xtts_bot_jobs_at_api',
		help: 'MAX_JOBS_IN_FLIGHT slots held in this process (a long text holds one per part at the API)',
		registers: [registry],
		collect() {
			this.set(read().atApi);
		},
	});
	new Gauge({
		name: 'xtts_bot_max_jobs_at_api',
		help: 'MAX_JOBS_IN_FLIGHT',
		registers: [registry],
		collect() {
			this.set(read().maxAtApi);
		},
	});
	new Gauge({
		name: 'xtts_bot_balance_paused',
		help: '1 while new jobs are paused after the API answered 402 Insufficient Balance',
		registers: [registry],
		collect() {
			this.set(read().balancePaused ? 1 : 0);
		},
	});
	const latency = new Histogram({
		name: 'xtts_bot_xtts_request_duration_seconds',
		help: 'XTTS API requests (generate, status) and media downloads, by outcome',
		labelNames: ['kind', 'outcome'],
		buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
		registers: [registry],
	});
	const statusPerJob = new Histogram({
		name: 'xtts_bot_status_requests_per_job',
		help: 'Status requests a job needed, counted when it ends',
		buckets: [0, 1, 2, 3, 4, 6, 8, 12, 20, 40],
		registers: [registry],
	});
	const completionToUpload = new Histogram({
		name: 'xtts_bot_completion_to_upload_seconds',
		help: 'From the API’s completion to the result posted in Discord (the job’s time here minus the API’s own)',
		buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 20, 60],
		registers: [registry],
	});
	const discordErrors = new Counter({
		name: 'xtts_bot_discord_rest_errors_total',
		help: 'Discord REST answers with an error status, by HTTP status',
		labelNames: ['status'],
		registers: [registry],
	});

	/** The last state counted for each job this process has seen move (bounded by the jobs in progress). */
	const lastState = new Map<string, string>();
	/** Status requests and the API's own job time, by request id, until their job ends. */
	const polls = new Map<string, number>();
	const apiTime = new Map<string, number>();
	const remember = <K, V>(map: Map<K, V>, key: K, value: V) => {
		map.delete(key);
		map.set(key, value);
		if (map.size > REMEMBERED) map.delete(map.keys().next().value as K);
	};

	/**
	 * Whether this save is the job entering its state: once per job, not once per part (a long text's parts each
	 * move within `parts`), not again for a status change (QUEUED → PROCESSING is a save too), and not again after
	 * a restart or a takeover (another process's save of the same state).
	 */
	function enters(job: RecordSeen): boolean {
		if (lastState.get(job.id) === job.state) return false;
		switch (job.state) {
			case 'parts':
				return !job.parts?.some((part) => part.requestId || part.sending || part.status);
			case 'submitted':
				return job.updatedAt === job.xtts?.submittedAt;
			default:
				return true;
		}
	}

	return {
		registry,
		recorded(job, now) {
			if (enters(job)) {
				// A job recorded straight into the shared line (written once, as waiting, when it is made) was recorded too.
				if (job.state === 'waiting' && job.updatedAt === job.createdAt) jobs.inc({ state: 'recorded' });
				jobs.inc({ state: job.state });
				if (job.state === 'failed' && job.failure) failures.inc({ kind: job.failure.kind });
			}
			if (!FINAL.has(job.state)) {
				remember(lastState, job.id, job.state);
				return;
			}
			lastState.delete(job.id);
			const requestIds = new Set([job.xtts?.requestId, ...(job.parts ?? []).map((part) => part.requestId)].filter((id): id is string => Boolean(id)));
			let asked = 0;
			for (const requestId of requestIds) {
				asked += polls.get(requestId) ?? 0;
				polls.delete(requestId);
			}
			if (requestIds.size > 0) statusPerJob.observe(asked);
			// Both durations from the same start (the request sent): free of any skew between the API's clock and ours.
			// A long text's is from its part done last, whichever that was.
			if (job.state === 'delivered') {
				let doneAt: number | undefined;
				for (const request of job.parts ?? (job.xtts ? [job.xtts] : [])) {
					const api = request.requestId ? apiTime.get(request.requestId) : undefined;
					if (api !== undefined && request.submittedAt !== undefined) doneAt = Math.max(doneAt ?? 0, request.submittedAt + api);
				}
				if (doneAt !== undefined) completionToUpload.observe(Math.max(0, (now - doneAt) / 1000));
			}
			for (const requestId of requestIds) apiTime.delete(requestId);
		},
		api(observation) {
			latency.observe({ kind: observation.kind, outcome: observation.outcome }, observation.seconds);
			const { requestId } = observation;
			if (observation.kind !== 'status' || !requestId) return;
			// Bounded: an entry lives until its job ends; a leak would take a job that never ends here (another
			// process finished it), so the oldest go first past a generous size.
			remember(polls, requestId, (polls.get(requestId) ?? 0) + 1);
		},
		apiDone(requestId, apiMs) {
			remember(apiTime, requestId, apiMs);
		},
		discordError(status) {
			discordErrors.inc({ status: String(status) });
		},
		live(next) {
			read = next;
		},
		async render() {
			const merged = Registry.merge([registry, processMetrics()]);
			return { contentType: merged.contentType, body: await merged.metrics() };
		},
	};
}
