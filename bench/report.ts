import type { ScenarioResults } from './scenarios.js';

/**
 * The figures as table rows: each as measured on this machine, beside the same scenario's floor (the fakes alone,
 * nothing of the bot in between) and the naive peer's (bench/naive-peer.ts) from the same run, the ratios between
 * them, and its target — a ratio where the issue sets one, since absolute times drift with the machine — and
 * whether it is met.
 */

export interface Row {
	scenario: string;
	figure: string;
	measured: string;
	/** The floor's and the naive peer's figures, '—' where there is none to compare with. */
	floor: string;
	naive: string;
	/** The bot's figure over the floor's and over the naive peer's. */
	ratios: string;
	target: string;
	/** undefined: no target for this figure. */
	ok?: boolean;
	/** The ratio a ratio target judges (NaN when it could not be computed: then the target is missed). */
	judged?: number;
}

/** a / b, as '×0.12'; 'n/a' when either is missing. */
export const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);
const times = (value: number) => (Number.isNaN(value) ? 'n/a' : `×${value < 0.1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value.toFixed(0)}`);
const ratios = (floor: number | undefined, naive: number | undefined) =>
	[floor === undefined ? '' : `${times(floor)} floor`, naive === undefined ? '' : `${times(naive)} naive`].filter(Boolean).join(' · ') || '—';
/** Timestamps are whole milliseconds: a latency of 0 counts as 1 ms in a ratio. */
const atLeast1 = (value: number) => (Number.isFinite(value) ? Math.max(1, value) : value);

/**
 * Ratio targets set from what was measured (README, Performance: ×2.87–2.92 the naive peer's throughput, ×0.52–0.53
 * its peak RSS with 1000 jobs in flight, on 2 cores), with room for the run-to-run spread: the bot must keep at least this
 * throughput, and at most this peak memory, relative to the naive peer doing the same work in the same run.
 */
export const NAIVE_FACTORS = { throughputAtLeast: 2, peakRssAtMost: 0.75 };

// Timestamps are whole milliseconds (Date.now() in two processes), so 0 means "within the same millisecond".
const ms = (value: number) =>
	typeof value !== 'number' || Number.isNaN(value)
		? 'n/a'
		: value < 1
			? '< 1 ms'
			: value >= 1000
				? `${Math.round(value).toLocaleString('en-US')} ms`
				: `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

export function rows(results: ScenarioResults): Row[] {
	const out: Row[] = [];
	const push = (row: Omit<Row, 'floor' | 'naive' | 'ratios'> & Partial<Pick<Row, 'floor' | 'naive' | 'ratios'>>) =>
		out.push({ floor: '—', naive: '—', ratios: '—', ...row });
	const { ack, delivery, cost, inflight, throughput, parts, scaleout } = results;
	if (ack) {
		const largest = Math.max(...ack.sizes.map((size) => size.simultaneous));
		for (const size of ack.sizes) {
			const judged = size.simultaneous === largest;
			const overFloor = ratio(atLeast1(size.p99), atLeast1(size.floor.p99));
			push({
				scenario: 'Acknowledgement',
				figure: `injected → deferred callback, ${size.simultaneous} simultaneous (${size.rounds} bursts, ${size.count} samples${size.refused ? `, ${size.refused} refused` : ''}, after ${ack.warmUpRequests} requests; first burst after start: ${ms(size.cold.p50)} / ${ms(size.cold.p99)}): p50 / p99`,
				measured: `${ms(size.p50)} / ${ms(size.p99)}`,
				floor: `${ms(size.floor.p50)} / ${ms(size.floor.p99)}`,
				naive: size.naive ? `${ms(size.naive.p50)} / ${ms(size.naive.p99)}` : '—',
				ratios: `p99 ${ratios(overFloor, size.naive ? ratio(atLeast1(size.p99), atLeast1(size.naive.p99)) : undefined)}`,
				target: judged ? 'p99 ≤ 1.5× the floor' : '',
				...(judged ? { ok: overFloor <= 1.5 && size.refused === 0, judged: overFloor } : {}),
			});
		}
	}
	if (delivery) {
		const { webhook, polling, floor, spread, naivePolling } = delivery;
		const sooner = ratio(atLeast1(naivePolling.p50), atLeast1(webhook.p50));
		push({
			scenario: 'Delivery, webhook mode',
			figure: `callback → upload received, ${mb(delivery.outputBytes)} output (${webhook.count} jobs): p50 / p99; the naive peer polls (COMPLETED → upload, the polling run's jobs); ${times(sooner)} sooner than it`,
			measured: `${ms(webhook.p50)} / ${ms(webhook.p99)}`,
			floor: `${ms(floor.p50)} / ${ms(floor.p99)}`,
			naive: `${ms(naivePolling.p50)} / ${ms(naivePolling.p99)}`,
			ratios: `p50 ${ratios(ratio(atLeast1(webhook.p50), atLeast1(floor.p50)), ratio(atLeast1(webhook.p50), atLeast1(naivePolling.p50)))}`,
			target: '≥ 50× sooner than the naive peer (p50)',
			ok: sooner >= 50 && webhook.lost === 0 && naivePolling.lost === 0,
			judged: sooner,
		});
		push({
			scenario: 'Delivery, polling mode',
			figure: `COMPLETED → upload received, ${delivery.cadenceMs} ms cadence, completions at random in the cycle, ${mb(delivery.outputBytes)} output (${polling.count} jobs): p50 / p99 / max`,
			measured: `${ms(polling.p50)} / ${ms(polling.p99)} / ${ms(polling.max)}`,
			floor: `${ms(floor.p50)} / ${ms(floor.p99)}`,
			naive: `${ms(naivePolling.p50)} / ${ms(naivePolling.p99)} / ${ms(naivePolling.max)}`,
			ratios: `p50 ${ratios(ratio(atLeast1(polling.p50), atLeast1(floor.p50)), ratio(atLeast1(polling.p50), atLeast1(naivePolling.p50)))}`,
			target: `max ≤ ${delivery.cadenceMs + 100} ms`,
			ok: polling.max <= delivery.cadenceMs + 100 && polling.lost === 0,
		});
		const overGrid = ratio(atLeast1(spread.learned.p50), atLeast1(spread.grid.p50));
		push({
			scenario: 'Delivery, polling mode, job times 5–40 s',
			figure: `COMPLETED → upload, jobs of ${spread.minMs / 1000}–${spread.maxMs / 1000} s growing with the text's length (±${spread.jitter * 100}%), ${delivery.cadenceMs} ms cadence: p50 on the fixed grid (first ${spread.grid.count} jobs) → timed to the learned end (next ${spread.learned.count}, other lengths); status requests per job ${spread.grid.statusPerJob.toFixed(1)} → ${spread.learned.statusPerJob.toFixed(1)}, naive peer ${spread.naive.statusPerJob.toFixed(1)}`,
			measured: `${ms(spread.grid.p50)} → ${ms(spread.learned.p50)} (${times(overGrid)} the grid)`,
			floor: ms(floor.p50),
			naive: ms(spread.naive.p50),
			ratios: `p50 ${ratios(ratio(atLeast1(spread.learned.p50), atLeast1(floor.p50)), ratio(atLeast1(spread.learned.p50), atLeast1(spread.naive.p50)))}`,
			target: '≤ 0.25× the grid, no more status requests',
			ok: overGrid <= 0.25 && spread.learned.statusPerJob <= spread.grid.statusPerJob && spread.lost === 0,
			judged: overGrid,
		});
	}
	if (cost) {
		push({
			scenario: 'API cost',
			figure: `status requests for a ${cost.jobMs / 1000} s job at a ${cost.cadenceMs} ms cadence (worst of ${cost.jobs})`,
			measured: String(cost.statusMax),
			naive: String(cost.naive.statusMax),
			ratios: ratios(undefined, ratio(cost.statusMax, cost.naive.statusMax)),
			target: '≤ 4',
			ok: cost.statusMax <= 4,
		});
		push({
			scenario: 'API cost',
			figure: `generate requests per delivered job (${cost.generate} for ${cost.delivered})`,
			measured: cost.generatePerDelivered.toFixed(2),
			naive: cost.naive.generatePerDelivered.toFixed(2),
			ratios: ratios(undefined, ratio(cost.generatePerDelivered, cost.naive.generatePerDelivered)),
			target: '= 1',
			ok: cost.generate === cost.delivered && cost.delivered === cost.jobs,
		});
	}
	if (parts) {
		const overSequential = ratio(parts.parallelMs, parts.sequentialMs);
		push({
			scenario: 'Long text',
			figure: `/clone → joined audio uploaded, a text of ${parts.parts} parts of ${parts.jobMs / 1000} s each at the API, ${parts.cadenceMs} ms cadence: PARTS_IN_PARALLEL 3 / 1 (one after another); the floor: as many bare generate requests at once, until the last is COMPLETED; the naive peer doesn't split`,
			measured: `${ms(parts.parallelMs)} / ${ms(parts.sequentialMs)}`,
			floor: ms(parts.floorMs),
			ratios: `${times(overSequential)} one after another · ${times(ratio(parts.parallelMs, parts.floorMs))} floor`,
			target: '≤ 0.5× one after another',
			ok: overSequential <= 0.5 && parts.lost === 0,
			judged: overSequential,
		});
	}
	if (inflight) {
		const label = `${inflight.jobs} jobs in flight`;
		const detail = `(${inflight.arrivalsPerSecond} arrivals/s, QUEUED ${inflight.queuedMs / 1000} s, ${inflight.cadenceMs} ms cadence, peak ${inflight.peakInFlight} in flight)`;
		const overNaive = ratio(inflight.peakRssMB, inflight.naive.peakRssMB);
		push({
			scenario: label,
			figure: `peak RSS of the bot's process ${detail}; idle ${inflight.idleRssMB.toFixed(0)} MB (naive peer ${inflight.naive.idleRssMB.toFixed(0)} MB)`,
			measured: `${inflight.peakRssMB.toFixed(0)} MB`,
			naive: `${inflight.naive.peakRssMB.toFixed(0)} MB`,
			ratios: ratios(undefined, overNaive),
			target: `≤ 250 MB and ≤ ${NAIVE_FACTORS.peakRssAtMost}× the naive peer`,
			ok: inflight.peakRssMB <= 250 && overNaive <= NAIVE_FACTORS.peakRssAtMost && inflight.naive.lost === 0,
			judged: overNaive,
		});
		push({
			scenario: label,
			figure: `event-loop delay p99 over the whole run (p50, max; p99 while all wait: ${ms(inflight.waitingEventLoopDelayMs.p99)})`,
			measured: `${ms(inflight.eventLoopDelayMs.p99)} (${ms(inflight.eventLoopDelayMs.p50)}, ${ms(inflight.eventLoopDelayMs.max)})`,
			naive: ms(inflight.naive.eventLoopDelayMs.p99),
			ratios: ratios(undefined, ratio(atLeast1(inflight.eventLoopDelayMs.p99), atLeast1(inflight.naive.eventLoopDelayMs.p99))),
			target: '≤ 20 ms',
			ok: inflight.eventLoopDelayMs.p99 <= 20,
		});
		push({
			scenario: label,
			figure: `jobs lost (not delivered exactly once; ${inflight.duplicates} duplicates; ${inflight.generate} generate requests; ${inflight.seconds.toFixed(0)} s in all; the naive peer lost ${inflight.naive.lost})`,
			measured: String(inflight.lost),
			target: '0',
			ok: inflight.lost === 0 && inflight.generate === inflight.jobs,
		});
	}
	if (throughput) {
		const overNaive = ratio(throughput.jobsPerSecond, throughput.naive.jobsPerSecond);
		push({
			scenario: 'Throughput',
			figure: `jobs/s end to end, instant API, ${throughput.jobs} jobs at once (${throughput.lost} lost; latency p50 ${ms(throughput.latency.p50)}, p99 ${ms(throughput.latency.p99)})`,
			measured: throughput.jobsPerSecond.toFixed(1),
			naive: throughput.naive.jobsPerSecond.toFixed(1),
			ratios: ratios(undefined, overNaive),
			target: `≥ 100 jobs/s and ≥ ${NAIVE_FACTORS.throughputAtLeast}× the naive peer`,
			ok: throughput.jobsPerSecond >= 100 && overNaive >= NAIVE_FACTORS.throughputAtLeast && throughput.lost === 0 && throughput.naive.lost === 0,
			judged: overNaive,
		});
		const { memory } = throughput;
		push({
			scenario: 'Throughput',
			figure: `memory held per concurrent delivery of a ${mb(memory.outputBytes)} output (${memory.deliveries} at once): heap + buffers / RSS`,
			measured: `${mb(memory.heapAndBuffersPerDelivery)} / ${mb(memory.rssPerDelivery)}`,
			target: '—',
		});
	}
	if (scaleout?.skipped) push({ scenario: 'Scale-out (Redis)', figure: `skipped: ${scaleout.skipped}`, measured: '—', target: '' });
	for (const run of scaleout?.runs ?? []) {
		const label = `Scale-out (Redis), ${run.processes} process${run.processes > 1 ? 'es' : ''}`;
		push({
			scenario: label,
			figure: `jobs/s end to end, instant API, ${run.jobs} jobs at once (${run.lost} lost${run.processes > 1 ? `; ${run.ranElsewhere} run by the second process` : ''})`,
			measured: run.jobsPerSecond.toFixed(1),
			target: '',
			ok: run.lost === 0,
		});
		push({
			scenario: label,
			figure: `most jobs at the API at once, as the XTTS fake counts them (MAX_JOBS_IN_FLIGHT ${run.maxAtApi})`,
			measured: String(run.peakAtApi),
			target: `≤ ${run.maxAtApi}`,
			ok: run.peakAtApi <= run.maxAtApi,
		});
		push({ scenario: label, figure: 'Redis commands per job (INFO stats, every process)', measured: run.redisCommandsPerJob.toFixed(0), target: '' });
	}
	if (scaleout?.takeover) {
		const { takeover } = scaleout;
		push({
			scenario: 'Scale-out (Redis), takeover',
			figure: `kill -9 of a process holding ${takeover.jobsOfKilled} job(s) → delivered by the other (JOB_LOCK_MS ${takeover.lockMs}; ${takeover.lost} lost)`,
			measured: ms(takeover.killedToDeliveredMs),
			target: `≤ ${ms(2 * takeover.lockMs + 5_000)}`,
			ok: takeover.lost === 0 && takeover.killedToDeliveredMs <= 2 * takeover.lockMs + 5_000,
		});
	}
	return out;
}

export function markdownTable(list: readonly Row[]): string {
	const mark = (row: Row) => (row.ok === undefined ? '' : row.ok ? '✓' : '✗');
	const lines = ['| scenario | figure | measured (this machine) | floor | naive peer | ratios | target | |', '|---|---|---|---|---|---|---|---|'];
	for (const row of list)
		lines.push(`| ${row.scenario} | ${row.figure} | ${row.measured} | ${row.floor} | ${row.naive} | ${row.ratios} | ${row.target} | ${mark(row)} |`);
	return lines.join('\n');
}
