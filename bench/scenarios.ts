import { sparePort } from '../test/helpers/redis.js';
import { scaleOutScenario, type ScaleOutResult } from './scale-out.js';
import { MIN_SAMPLES } from '../src/jobs/poll-timing.js';
import { bareRestOf, floorAcks, floorDeliveries, floorParts } from './floor.js';
import { runIsolated } from './isolate.js';
import { benchText } from './protocol.js';
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
	/** The polling run with realistic job times: jobs per phase (≥ 8, to learn from), and their times by text length. */
	spreadJobs: number;
	spreadMinMs: number;
	spreadMaxMs: number;
	spreadJitter: number;
	/** The long-text run: a text of six parts, each taking this long at the API, at this poll cadence. */
	partsJobMs: number;
	partsCadenceMs: number;
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
	spreadJobs: 16,
	spreadMinMs: 5_000,
	spreadMaxMs: 40_000,
	// A steady API: each job within ±2% of its length's time (past a few %, no schedule can beat the grid by 4×: README).
	spreadJitter: 0.02,
	partsJobMs: 4_000,
	partsCadenceMs: 1_000,
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
	spreadJobs: 8,
	spreadMinMs: 1_000,
	spreadMaxMs: 4_000,
	partsJobMs: 500,
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
	/** `floor`: as many bare deferred callbacks (discord.js's REST alone), in the same rig, as many bursts; `naive`: the naive peer's (largest size). */
	sizes: (Summary & { simultaneous: number; rounds: number; refused: number; botWarnings: number; cold: Summary; floor: Summary; naive?: Summary })[];
}

export async function ackScenario(o: BenchOptions): Promise<AckResult> {
	const sizes: AckResult['sizes'] = [];
	const largest = Math.max(...o.ackSizes);
	for (const simultaneous of o.ackSizes) {
		// A fresh bot per size. Each job completes at its first poll (1 s), and every burst is delivered before the
		// next one starts: nothing but the burst itself runs while its acknowledgements are measured.
		const measure = (naive: boolean) =>
			withRig({ env: { XTTS_POLL_INTERVAL_MS: '1000' }, fakes: { script: ['COMPLETED'] }, ...(naive ? { naive: { pollMs: 1_000 } } : {}) }, async (rig) => {
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
				// The floor, in the same process and on the same fakes: as many bursts of bare callbacks (one to warm up).
				const rest = bareRestOf(rig);
				await floorAcks(rig, simultaneous, rest);
				const floor: number[] = [];
				for (let round = 0; round < rounds; round++) floor.push(...(await floorAcks(rig, simultaneous, rest)));
				return { simultaneous, rounds, refused, cold, floor: summarize(floor), ...summarize(latencies) };
			});
		const result = await measure(false);
		const naive = simultaneous === largest ? await measure(true) : undefined;
		sizes.push({ ...result, ...(naive ? { naive: { count: naive.count, p50: naive.p50, p99: naive.p99, max: naive.max } } : {}) });
	}
	return { warmUpRequests: o.ackWarmUpRequests, sizes };
}

// 2. The API job turns COMPLETED → the audio upload reaches Discord.

export interface DeliveryResult {
	outputBytes: number;
	cadenceMs: number;
	webhook: Summary & { jobs: number; lost: number; botWarnings: number };
	polling: Summary & { jobs: number; lost: number; botWarnings: number };
	/** The naive peer on the polling run's jobs: COMPLETED → upload, for the webhook and polling figures. */
	naivePolling: Summary & { jobs: number; lost: number; botWarnings: number };
	/** The floor: the same output downloaded and uploaded bare, the media URL in hand (as a callback brings it). */
	floor: Summary;
	/**
	 * Polling with realistic job times (from `minMs` to `maxMs`, growing with the text's length, ±`jitter`): the first
	 * jobs on the fixed grid (too little history to learn from), then as many timed to their learned end, in the
	 * same run; and the naive peer on as many such jobs. COMPLETED → upload, and status requests per job, for each.
	 */
	spread: {
		minMs: number;
		maxMs: number;
		jitter: number;
		grid: PhaseResult;
		learned: PhaseResult;
		naive: PhaseResult;
		lost: number;
		botWarnings: number;
	};
}

type PhaseResult = Summary & { statusPerJob: number };

/** The spread run's lines: from 60 to 240 characters (within one request's limit), each naming its member. */
export const SPREAD_CHARS = { min: 60, max: 240 };
function spreadText(member: string, index: number): string {
	const length = SPREAD_CHARS.min + ((index * 53) % (SPREAD_CHARS.max - SPREAD_CHARS.min + 1));
	const line = `${benchText(member)} ${'And a few more words to say. '.repeat(10)}`;
	return `${line.slice(0, length - 1).trimEnd()}.`;
}

/** `count` jobs at once, until delivered: COMPLETED → upload, and the status requests each needed. */
async function pollingPhase(rig: Awaited<ReturnType<typeof startRig>>, count: number, textOf: (member: string, index: number) => string, timeoutMs: number) {
	const before = (await rig.fakes.statusPerJob()).length;
	const traces = rig.clone(count, textOf);
	await rig.waitFor(all(traces, isSettled), timeoutMs, 'every polled job to be delivered');
	const asked = (await rig.fakes.statusPerJob()).slice(before);
	const latencies = traces.flatMap((trace) =>
		trace.uploads[0] !== undefined && trace.completedAt !== undefined ? [trace.uploads[0] - trace.completedAt] : [],
	);
	const summary: PhaseResult = { ...summarize(latencies), statusPerJob: asked.reduce((sum, n) => sum + n, 0) / Math.max(1, asked.length) };
	return { traces, summary };
}

export async function deliveryScenario(o: BenchOptions): Promise<DeliveryResult> {
	let floor: Summary = summarize([]);
	const webhook = await withRig({ env: await webhookEnv(o), fakes: { script: ['QUEUED'], mediaBytes: o.deliveryBytes } }, async (rig) => {
		// The floor first, on the same fakes: the same output downloaded and uploaded bare, one warm-up then as many.
		floor = summarize((await floorDeliveries(rig, o.deliveryJobs + 1)).slice(1));
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

	// Polling on the real clock: each job completes at a random moment of the poll cycle (1 s + 0–2 cadences after
	// submit); the bot, then the naive peer on the same jobs (what a bot without webhooks sees after a completion).
	const randomPolling = (naive: boolean) =>
		withRig(
			{
				env: { XTTS_POLL_INTERVAL_MS: String(o.cadenceMs) },
				fakes: { script: ['QUEUED'], mediaBytes: o.deliveryBytes, completeAfterMs: 1_000, completeJitterMs: 2 * o.cadenceMs },
				...(naive ? { naive: { pollMs: o.cadenceMs } } : {}),
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
	const polling = await randomPolling(false);
	const naivePolling = await randomPolling(true);
	const jobTimeByChars = { minMs: o.spreadMinMs, maxMs: o.spreadMaxMs, minChars: SPREAD_CHARS.min, maxChars: SPREAD_CHARS.max, jitter: o.spreadJitter };
	const spreadFakes = { script: ['QUEUED' as const], mediaBytes: o.deliveryBytes, jobTimeByChars };
	const phaseTimeoutMs = o.spreadMaxMs * (1 + o.spreadJitter) + 4 * o.cadenceMs + 60_000;
	const jobs = Math.max(MIN_SAMPLES, o.spreadJobs);
	const ours = await withRig({ env: { XTTS_POLL_INTERVAL_MS: String(o.cadenceMs) }, fakes: spreadFakes }, async (rig) => {
		// The first jobs teach the bot the API's times (MIN_SAMPLES); they were sent with no history, on the grid.
		const grid = await pollingPhase(rig, jobs, spreadText, phaseTimeoutMs);
		// Other lengths than it learned from: the fit is judged on jobs it has not seen.
		const learned = await pollingPhase(rig, jobs, (member, index) => spreadText(member, index + jobs), phaseTimeoutMs);
		return { grid: grid.summary, learned: learned.summary, lost: lostOf([...grid.traces, ...learned.traces]) };
	});
	const naive = await withRig({ naive: { pollMs: o.cadenceMs }, fakes: spreadFakes }, async (rig) => {
		const phase = await pollingPhase(rig, jobs, spreadText, phaseTimeoutMs);
		return { naive: phase.summary, lost: lostOf(phase.traces) };
	});
	const spread = {
		minMs: o.spreadMinMs,
		maxMs: o.spreadMaxMs,
		jitter: o.spreadJitter,
		grid: ours.grid,
		learned: ours.learned,
		naive: naive.naive,
		lost: ours.lost + naive.lost,
		botWarnings: ours.botWarnings,
	};
	return { outputBytes: o.deliveryBytes, cadenceMs: o.cadenceMs, webhook, floor, polling, naivePolling, spread };
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
	/** The naive peer on the same jobs. */
	naive: { statusMax: number; generatePerDelivered: number; lost: number };
}

export async function costScenario(o: BenchOptions): Promise<CostResult> {
	const ours = await costRun(o, false);
	const naive = await costRun(o, true);
	return { ...ours, naive: { statusMax: naive.statusMax, generatePerDelivered: naive.generatePerDelivered, lost: naive.lost } };
}

function costRun(o: BenchOptions, naive: boolean) {
	const peer = naive ? { naive: { pollMs: o.cadenceMs } } : {};
	return withRig({ env: { XTTS_POLL_INTERVAL_MS: String(o.cadenceMs) }, fakes: { script: ['QUEUED'], completeAfterMs: o.costJobMs }, ...peer }, async (rig) => {
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
	/** The naive peer on the same requests. */
	naive: { idleRssMB: number; peakRssMB: number; eventLoopDelayMs: { p50: number; p99: number; max: number }; lost: number };
}

export async function inflightScenario(o: BenchOptions): Promise<InflightResult> {
	// The naive peer in a process of its own: memory one run leaves in a process would weigh on the other's figures.
	const naive = (await runIsolated('inflight-naive')) as Omit<InflightResult, 'naive'>;
	const ours = await inflightRun(o, false);
	return { ...ours, naive: { idleRssMB: naive.idleRssMB, peakRssMB: naive.peakRssMB, eventLoopDelayMs: naive.eventLoopDelayMs, lost: naive.lost } };
}

async function inflightRun(o: BenchOptions, naive: boolean): Promise<Omit<InflightResult, 'naive'>> {
	return withRig(
		{
			env: { XTTS_POLL_INTERVAL_MS: String(o.cadenceMs) },
			fakes: { script: ['QUEUED'], completeAfterMs: o.inflightQueuedMs, mediaBytes: 240_000 },
			...(naive ? { naive: { pollMs: o.cadenceMs } } : {}),
		},
		async (rig) => {
			// One job first, so that the figures are those of a running bot, not of its first minutes' compilation.
			const warmUp = rig.clone(1);
			// The naive peer shows no progress: its warm-up job simply runs its course (QUEUED inflightQueuedMs).
			if (!naive) {
				await rig.waitFor(all(warmUp, isSubmitted), 30_000, 'the warm-up job to be submitted');
				await rig.fakes.completeNext();
			}
			await rig.waitFor(all(warmUp, isSettled), o.inflightQueuedMs + 2 * o.cadenceMs + 30_000, 'the warm-up job');
			collectGarbage();
			const idleRssMB = process.memoryUsage().rss / MiB;
			const overall = startMonitor(() => rig.active());
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
	/** The naive peer on the same jobs, its waits ended at once too. */
	naive: { jobsPerSecond: number; lost: number };
}

export async function throughputScenario(o: BenchOptions): Promise<ThroughputResult> {
	const naive = (await runIsolated('throughput-naive')) as Awaited<ReturnType<typeof throughputRun>>;
	const run = await throughputRun(o, false);
	const memory = await memoryRun(o);
	return { ...run, lost: run.lost + memory.lost, memory, naive: { jobsPerSecond: naive.jobsPerSecond, lost: naive.lost } };
}

function throughputRun(o: BenchOptions, naive: boolean) {
	return withRig({ clock: instantClock, fakes: { script: ['COMPLETED'] }, ...(naive ? { naive: { pollMs: o.cadenceMs } } : {}) }, async (rig) => {
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
}

async function memoryRun(o: BenchOptions) {
	// N jobs wait QUEUED; their callbacks arrive together and Discord takes 2 s to answer each upload,
	// so all N deliveries are in progress at once. Peak minus the idle level, divided by N.
	return withRig({ env: await webhookEnv(o), fakes: { script: ['QUEUED'], mediaBytes: o.bigBytes, holdUploadsMs: 2_000 } }, async (rig) => {
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
}

// 6. A long text of six parts: sent three at a time (PARTS_IN_PARALLEL's default) and one after another.

export interface PartsResult {
	parts: number;
	jobMs: number;
	cadenceMs: number;
	/** /clone → the joined audio uploaded, with PARTS_IN_PARALLEL 3 and 1. */
	parallelMs: number;
	sequentialMs: number;
	/** The floor: as many bare generate requests sent at once, until the last is COMPLETED (the API's own time). */
	floorMs: number;
	lost: number;
	botWarnings: number;
}

/** About 1200 characters in sentences of their own, naming the member: six parts for XTTS's English limit. */
export const sixPartText = (member: string) =>
	[benchText(member), ...Array.from({ length: 16 }, (_, n) => `Sentence ${n + 1} tells of the quick brown fox near the riverbank at dawn.`)].join(' ');

export async function partsScenario(o: BenchOptions): Promise<PartsResult> {
	const run = (inParallel: number) =>
		withRig(
			{
				env: { XTTS_POLL_INTERVAL_MS: String(o.partsCadenceMs), PARTS_IN_PARALLEL: String(inParallel) },
				fakes: { script: ['QUEUED'], completeAfterMs: o.partsJobMs },
			},
			async (rig) => {
				const [trace] = rig.clone(1, sixPartText) as [Trace];
				await rig.waitFor(() => isSettled(trace), 12 * (o.partsJobMs + o.partsCadenceMs) + 60_000, 'the long text to be delivered');
				const { generate } = await rig.fakes.counts();
				// The floor, on the same fakes once the text is delivered: as many parts, bare, all at once.
				const floorMs = await floorParts(rig, generate);
				return { ms: trace.uploads[0] === undefined ? Number.NaN : trace.uploads[0] - trace.injectedAt, lost: lostOf([trace]), generate, floorMs };
			},
		);
	const parallel = await run(3);
	const sequential = await run(1);
	return {
		parts: parallel.generate,
		jobMs: o.partsJobMs,
		cadenceMs: o.partsCadenceMs,
		parallelMs: parallel.ms,
		sequentialMs: sequential.ms,
		floorMs: parallel.floorMs,
		lost: parallel.lost + sequential.lost,
		botWarnings: parallel.botWarnings + sequential.botWarnings,
	};
}

export const SCENARIOS = {
	ack: ackScenario,
	delivery: deliveryScenario,
	cost: costScenario,
	inflight: inflightScenario,
	throughput: throughputScenario,
	parts: partsScenario,
	scaleout: (o: BenchOptions) => scaleOutScenario({ scaleOutJobs: o.scaleOutJobs, maxAtApi: o.scaleOutMaxAtApi, lockMs: o.scaleOutLockMs }),
} as const;

export type ScenarioName = keyof typeof SCENARIOS;

/** One side of a scenario, run in a process of its own by that scenario (bench/isolate.ts); not a scenario to choose. */
export const SIDES = {
	'inflight-naive': (o: BenchOptions) => inflightRun(o, true),
	'throughput-naive': (o: BenchOptions) => throughputRun(o, true),
} as const;
export type ScenarioResults = {
	ack?: AckResult;
	delivery?: DeliveryResult;
	cost?: CostResult;
	inflight?: InflightResult;
	throughput?: ThroughputResult;
	parts?: PartsResult;
	scaleout?: ScaleOutResult;
};
