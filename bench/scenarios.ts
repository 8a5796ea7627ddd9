import { sparePort } from '../test/helpers/redis.js';
import { scaleOutScenario, type ScaleOutResult } from './scale-out.js';
import { MIN_SAMPLES } from '../src/jobs/poll-timing.js';
import { instantClock, isSettled, isSubmitted, startRig, type RigOptions, type Trace } from './rig.js';
import { collectGarbage, lostOf, sleep, startMonitor, summarize, type Summary } from './stats.js';

/** The benchmark's sizes. `npm run bench` uses DEFAULTS; the smoke test shrinks them. */
export interface BenchOptions {
	/** Simultaneous /clone requests for the acknowledgement scenario. */
	ackSizes: number[];
	/** Measured rounds are repeated until at least this many acknowledgements and rounds were measured per size. */
	ackMinSamples: number;
	ackMinRounds: number;
	/** Requests (in bursts of ackWarmUpBurst) a bot has served before its acknowledgements are measured. */
	ackWarmUpRequests: number;
	ackWarmUpBurst: number;
	/** XTTS_POLL_INTERVAL_MS for the real-time scenarios (the default cadence is 5000 ms). */
	cadenceMs: number;
	/** Jobs per delivery mode, and their output size. */
	deliveryJobs: number;
	/** How long each job of the steady-API polling run takes at the API. */
	steadyJobMs: number;
	deliveryBytes: number;
	/** Jobs and job length (submit → COMPLETED) for the API-cost scenario. */
	costJobs: number;
	costJobMs: number;
	/** Jobs waiting on the API at once, and how long each stays QUEUED. */
	inflightJobs: number;
	inflightQueuedMs: number;
	/** How fast those requests arrive (the acknowledgement scenario covers bursts). */
	inflightArrivalsPerSecond: number;
	throughputJobs: number;
	/** Concurrent deliveries of a large output, to measure the memory each one holds. */
	bigDeliveries: number;
	bigBytes: number;
	/** The scale-out scenario: jobs per run, MAX_JOBS_IN_FLIGHT, and JOB_LOCK_MS for the takeover. */
	scaleOutJobs: number;
	scaleOutMaxAtApi: number;
	scaleOutLockMs: number;
}

const MiB = 1024 * 1024;

export const DEFAULTS: BenchOptions = {
	ackSizes: [1, 50, 200],
	ackMinSamples: 20,
	ackMinRounds: 3,
	ackWarmUpRequests: 400,
	ackWarmUpBurst: 50,
	cadenceMs: 5_000,
	deliveryJobs: 30,
	steadyJobMs: 12_000,
	deliveryBytes: MiB,
	costJobs: 5,
	costJobMs: 12_000,
	inflightJobs: 1_000,
	inflightQueuedMs: 20_000,
	inflightArrivalsPerSecond: 100,
	throughputJobs: 1_000,
	bigDeliveries: 16,
	bigBytes: 8 * MiB,
	scaleOutJobs: 300,
	scaleOutMaxAtApi: 20,
	scaleOutLockMs: 30_000,
};

/** Toy sizes, for `npm run bench -- --smoke` (the test suite's run): every figure is produced in seconds. */
export const SMOKE: BenchOptions = {
	...DEFAULTS,
	ackSizes: [1, 3],
	ackMinSamples: 2,
	ackMinRounds: 1,
	ackWarmUpRequests: 5,
	ackWarmUpBurst: 2,
	cadenceMs: 1_000,
	deliveryJobs: 3,
	steadyJobMs: 2_500,
	deliveryBytes: 64 * 1024,
	costJobs: 2,
	costJobMs: 2_500,
	inflightJobs: 3,
	inflightQueuedMs: 1_500,
	throughputJobs: 3,
	bigDeliveries: 2,
	bigBytes: 256 * 1024,
	scaleOutJobs: 6,
	scaleOutMaxAtApi: 4,
	scaleOutLockMs: 2_000,
};

async function withRig<T>(options: RigOptions, run: (rig: Awaited<ReturnType<typeof startRig>>) => Promise<T>): Promise<T & { botWarnings: number }> {
	const rig = await startRig(options);
	try {
		const result = await run(rig);
		return { ...result, botWarnings: rig.warnings.length };
	} finally {
		await rig.close();
	}
}

async function webhookEnv(o: BenchOptions): Promise<Record<string, string>> {
	const port = await sparePort();
	return {
		XTTS_POLL_INTERVAL_MS: String(o.cadenceMs),
		WEBHOOK_PUBLIC_URL: `http://127.0.0.1:${port}/hooks`,
		WEBHOOK_PORT: String(port),
		WEBHOOK_SECRET: 'bench-webhook-secret-0123456789abcdef',
	};
}

const all = (traces: Trace[], predicate: (trace: Trace) => boolean) => () => traces.every(predicate);

// 1. Interaction injected → deferred callback received, with N requests arriving at the same moment.

export interface AckResult {
	warmUpRequests: number;
	sizes: (Summary & { simultaneous: number; rounds: number; refused: number; botWarnings: number; cold: Summary })[];
}

export async function ackScenario(o: BenchOptions): Promise<AckResult> {
	const sizes: AckResult['sizes'] = [];
	for (const simultaneous of o.ackSizes) {
		// A fresh bot per size. Each job completes at its first poll (1 s), and every burst is delivered before the
		// next one starts: nothing but the burst itself runs while its acknowledgements are measured.
		const result = await withRig({ env: { XTTS_POLL_INTERVAL_MS: '1000' }, fakes: { script: ['COMPLETED'] } }, async (rig) => {
			let refused = 0;
			const burst = async (size: number) => {
				const batch = rig.clone(size);
				await rig.waitFor(all(batch, isSettled), 60_000, `${size} simultaneous requests to be acknowledged and delivered`);
				refused += batch.filter((trace) => trace.refused !== undefined).length;
				return batch.flatMap((trace) => (trace.refused === undefined ? [trace.ackAt! - trace.injectedAt] : []));
			};
			// The first burst meets code V8 has not optimised yet and opens the connections it needs: reported apart,
			// as a bot that has just started sees it. The figure is a running bot's, after a warm-up of a few hundred requests.
			const cold = summarize(await burst(simultaneous));
			for (let warmed = simultaneous; warmed < o.ackWarmUpRequests; warmed += o.ackWarmUpBurst) await burst(o.ackWarmUpBurst);
			refused = 0;
			const latencies: number[] = [];
			let rounds = 0;
			while (rounds < o.ackMinRounds || latencies.length < o.ackMinSamples) {
				latencies.push(...(await burst(simultaneous)));
				rounds++;
			}
			return { simultaneous, rounds, refused, cold, ...summarize(latencies) };
		});
		sizes.push(result);
	}
	return { warmUpRequests: o.ackWarmUpRequests, sizes };
}

// 2. The API job turns COMPLETED → the audio upload reaches Discord.

export interface DeliveryResult {
	outputBytes: number;
	cadenceMs: number;
	webhook: Summary & { jobs: number; lost: number; botWarnings: number };
	polling: Summary & { jobs: number; lost: number; botWarnings: number };
	/**
	 * Polling with a steady API (every job takes `jobMs`): the first jobs on the fixed grid (too little history to
	 * learn from), then as many timed to their learned end, in the same run. COMPLETED → upload, and status
	 * requests per job, for each.
	 */
	steady: { jobMs: number; grid: Summary & { statusPerJob: number }; learned: Summary & { statusPerJob: number }; lost: number; botWarnings: number };
}

export async function deliveryScenario(o: BenchOptions): Promise<DeliveryResult> {
	const webhook = await withRig({ env: await webhookEnv(o), fakes: { script: ['QUEUED'], mediaBytes: o.deliveryBytes } }, async (rig) => {
		// One warm-up job, then the measured ones, completed one at a time: callback → upload for each.
		const traces = rig.clone(o.deliveryJobs + 1);
		await rig.waitFor(all(traces, isSubmitted), 60_000, 'the jobs to be submitted');
		const latencies: number[] = [];
		for (let index = 0; index < traces.length; index++) {
			const completed = await rig.fakes.completeNext();
			if (!completed) break;
			const trace = rig.traces.get(completed.member)!;
			await rig.waitFor(() => isSettled(trace), 30_000, 'the upload after a callback');
			if (index > 0 && trace.uploads[0] !== undefined) latencies.push(trace.uploads[0] - completed.at);
		}
		return { jobs: o.deliveryJobs, lost: lostOf(traces), ...summarize(latencies) };
	});

	// Polling on the real clock: each job completes at a random moment of the poll cycle (1 s + 0–2 cadences after submit).
	const polling = await withRig(
		{
			env: { XTTS_POLL_INTERVAL_MS: String(o.cadenceMs) },
			fakes: { script: ['QUEUED'], mediaBytes: o.deliveryBytes, completeAfterMs: 1_000, completeJitterMs: 2 * o.cadenceMs },
		},
		async (rig) => {
			const traces = rig.clone(o.deliveryJobs);
			await rig.waitFor(all(traces, isSettled), 1_000 + 4 * o.cadenceMs + 60_000, 'every polled job to be delivered');
			const latencies = traces.flatMap((trace) =>
				trace.uploads[0] !== undefined && trace.completedAt !== undefined ? [trace.uploads[0] - trace.completedAt] : [],
			);
			return { jobs: o.deliveryJobs, lost: lostOf(traces), ...summarize(latencies) };
		},
	);
	const steady = await withRig(
		{ env: { XTTS_POLL_INTERVAL_MS: String(o.cadenceMs) }, fakes: { script: ['QUEUED'], mediaBytes: o.deliveryBytes, completeAfterMs: o.steadyJobMs } },
		async (rig) => {
			const phase = async (count: number) => {
				const before = (await rig.fakes.statusPerJob()).length;
				const traces = rig.clone(count);
				await rig.waitFor(all(traces, isSettled), o.steadyJobMs + 4 * o.cadenceMs + 60_000, 'every steady job to be delivered');
				const asked = (await rig.fakes.statusPerJob()).slice(before);
				const latencies = traces.flatMap((trace) =>
					trace.uploads[0] !== undefined && trace.completedAt !== undefined ? [trace.uploads[0] - trace.completedAt] : [],
				);
				return { traces, summary: { ...summarize(latencies), statusPerJob: asked.reduce((sum, n) => sum + n, 0) / Math.max(1, asked.length) } };
			};
			// Eight jobs teach the bot the API's time (MIN_SAMPLES); until then it polls on the grid.
			const grid = await phase(MIN_SAMPLES);
			const learned = await phase(MIN_SAMPLES);
			return { jobMs: o.steadyJobMs, grid: grid.summary, learned: learned.summary, lost: lostOf([...grid.traces, ...learned.traces]) };
		},
	);
	return { outputBytes: o.deliveryBytes, cadenceMs: o.cadenceMs, webhook, polling, steady };
}

// 3. What a job costs at the API: status requests for a job of 12 s, generate requests per delivered job.

export interface CostResult {
	jobs: number;
	jobMs: number;
	cadenceMs: number;
	statusPerJob: number[];
	statusMax: number;
	generate: number;
	delivered: number;
	generatePerDelivered: number;
	lost: number;
	botWarnings: number;
}

export async function costScenario(o: BenchOptions): Promise<CostResult> {
	return withRig({ env: { XTTS_POLL_INTERVAL_MS: String(o.cadenceMs) }, fakes: { script: ['QUEUED'], completeAfterMs: o.costJobMs } }, async (rig) => {
		const traces = rig.clone(o.costJobs);
		await rig.waitFor(all(traces, isSettled), o.costJobMs + 3 * o.cadenceMs + 60_000, 'every job to be delivered');
		const statusPerJob = await rig.fakes.statusPerJob();
		const { generate } = await rig.fakes.counts();
		const delivered = traces.filter((trace) => trace.uploads.length > 0).length;
		return {
			jobs: o.costJobs,
			jobMs: o.costJobMs,
			cadenceMs: o.cadenceMs,
			statusPerJob,
			statusMax: Math.max(...statusPerJob),
			generate,
			delivered,
			generatePerDelivered: generate / delivered,
			lost: lostOf(traces),
		};
	});
}

// 4. Many jobs waiting on a slow API at once.

export interface InflightResult {
	jobs: number;
	queuedMs: number;
	cadenceMs: number;
	arrivalsPerSecond: number;
	peakInFlight: number;
	idleRssMB: number;
	peakRssMB: number;
	peakHeapMB: number;
	/** Over the whole run: arrivals, waiting, deliveries. */
	eventLoopDelayMs: { p50: number; p99: number; max: number };
	/** Only while every job was waiting at the API (all submitted, none completed yet); NaN when there was no such time. */
	waitingEventLoopDelayMs: { p50: number; p99: number; max: number };
	lost: number;
	duplicates: number;
	generate: number;
	seconds: number;
	botWarnings: number;
}

export async function inflightScenario(o: BenchOptions): Promise<InflightResult> {
	return withRig(
		{ env: { XTTS_POLL_INTERVAL_MS: String(o.cadenceMs) }, fakes: { script: ['QUEUED'], completeAfterMs: o.inflightQueuedMs, mediaBytes: 240_000 } },
		async (rig) => {
			// One job first, so that the figures are those of a running bot, not of its first minutes' compilation.
			const warmUp = rig.clone(1);
			await rig.waitFor(all(warmUp, isSubmitted), 30_000, 'the warm-up job to be submitted');
			await rig.fakes.completeNext();
			await rig.waitFor(all(warmUp, isSettled), 2 * o.cadenceMs + 30_000, 'the warm-up job');
			collectGarbage();
			const idleRssMB = process.memoryUsage().rss / MiB;
			const overall = startMonitor(() => rig.bot.runner.active);
			const started = Date.now();
			// Requests arrive at a steady pace, then wait QUEUED at the API; each completes inflightQueuedMs after its submit.
			const traces: Trace[] = [];
			const perTick = Math.max(1, Math.round(o.inflightArrivalsPerSecond / 10));
			while (traces.length < o.inflightJobs) {
				traces.push(...rig.clone(Math.min(perTick, o.inflightJobs - traces.length)));
				await sleep(100);
			}
			// The quiet middle: every job submitted, none completed yet (there is none when submitting takes longer than the API).
			const anyCompleted = () => traces.some((trace) => trace.completedAt !== undefined);
			await rig.waitFor(() => traces.every(isSubmitted) || anyCompleted(), 120_000, 'every job to be submitted');
			const waiting = anyCompleted() ? undefined : startMonitor();
			await rig.waitFor(anyCompleted, o.inflightQueuedMs + 60_000, 'the first completion');
			const waitingDelay = waiting?.stop().eventLoopDelayMs ?? { p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
			await rig.waitFor(all(traces, isSettled), o.inflightQueuedMs + 4 * o.cadenceMs + 300_000, 'every job to be delivered');
			const seconds = (Date.now() - started) / 1000;
			await sleep(500); // a late duplicate upload would show up here
			const { peakExtra, ...figures } = overall.stop();
			const generate = (await rig.fakes.counts()).generate - warmUp.length;
			return {
				jobs: o.inflightJobs,
				queuedMs: o.inflightQueuedMs,
				cadenceMs: o.cadenceMs,
				arrivalsPerSecond: o.inflightArrivalsPerSecond,
				peakInFlight: peakExtra,
				idleRssMB,
				...figures,
				waitingEventLoopDelayMs: waitingDelay,
				lost: lostOf(traces),
				duplicates: traces.filter((trace) => trace.uploads.length > 1).length,
				generate,
				seconds,
			};
		},
	);
}

// 5. Throughput with an API that answers at once, and the memory one delivery of a large output holds.

export interface ThroughputResult {
	jobs: number;
	delivered: number;
	lost: number;
	seconds: number;
	jobsPerSecond: number;
	latency: Summary;
	botWarnings: number;
	memory: { deliveries: number; outputBytes: number; rssPerDelivery: number; heapAndBuffersPerDelivery: number; botWarnings: number };
}

export async function throughputScenario(o: BenchOptions): Promise<ThroughputResult> {
	const run = await withRig({ clock: instantClock, fakes: { script: ['COMPLETED'] } }, async (rig) => {
		const warmUp = rig.clone(1);
		await rig.waitFor(all(warmUp, isSettled), 30_000, 'the warm-up job');
		const traces = rig.clone(o.throughputJobs);
		const started = traces[0]!.injectedAt;
		await rig.waitFor(all(traces, isSettled), 600_000, 'every job to be delivered');
		const delivered = traces.filter((trace) => trace.uploads.length > 0);
		const seconds = (Math.max(...delivered.map((trace) => trace.uploads[0]!)) - started) / 1000;
		return {
			jobs: o.throughputJobs,
			delivered: delivered.length,
			lost: lostOf(traces),
			seconds,
			jobsPerSecond: delivered.length / seconds,
			latency: summarize(delivered.map((trace) => trace.uploads[0]! - trace.injectedAt)),
		};
	});

	// N jobs wait QUEUED; their callbacks arrive together and Discord takes 2 s to answer each upload,
	// so all N deliveries are in progress at once. Peak minus the idle level, divided by N.
	const memory = await withRig({ env: await webhookEnv(o), fakes: { script: ['QUEUED'], mediaBytes: o.bigBytes, holdUploadsMs: 2_000 } }, async (rig) => {
		const traces = rig.clone(o.bigDeliveries);
		await rig.waitFor(all(traces, isSubmitted), 60_000, 'the jobs to be submitted');
		await sleep(200);
		collectGarbage();
		const before = process.memoryUsage();
		let peakRss = before.rss;
		let peakHeapAndBuffers = before.heapUsed + before.external;
		const timer = setInterval(() => {
			const usage = process.memoryUsage();
			peakRss = Math.max(peakRss, usage.rss);
			peakHeapAndBuffers = Math.max(peakHeapAndBuffers, usage.heapUsed + usage.external);
		}, 5);
		await rig.fakes.completeAll();
		await rig.waitFor(all(traces, isSettled), 120_000, 'every large delivery');
		clearInterval(timer);
		return {
			deliveries: o.bigDeliveries,
			outputBytes: o.bigBytes,
			lost: lostOf(traces),
			rssPerDelivery: (peakRss - before.rss) / o.bigDeliveries,
			heapAndBuffersPerDelivery: (peakHeapAndBuffers - before.heapUsed - before.external) / o.bigDeliveries,
		};
	});
	return { ...run, lost: run.lost + memory.lost, memory };
}

export const SCENARIOS = {
	ack: ackScenario,
	delivery: deliveryScenario,
	cost: costScenario,
	inflight: inflightScenario,
	throughput: throughputScenario,
	scaleout: (o: BenchOptions) => scaleOutScenario({ scaleOutJobs: o.scaleOutJobs, maxAtApi: o.scaleOutMaxAtApi, lockMs: o.scaleOutLockMs }),
} as const;

export type ScenarioName = keyof typeof SCENARIOS;
export type ScenarioResults = {
	ack?: AckResult;
	delivery?: DeliveryResult;
	cost?: CostResult;
	inflight?: InflightResult;
	throughput?: ThroughputResult;
	scaleout?: ScaleOutResult;
};
