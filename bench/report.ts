import type { ScenarioResults } from './scenarios.js';

/** The figures as table rows, each beside its target (issue #5) and whether it is met. */

export interface Row {
	scenario: string;
	figure: string;
	measured: string;
	target: string;
	/** undefined: no target for this figure. */
	ok?: boolean;
}

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
	const { ack, delivery, cost, inflight, throughput, scaleout } = results;
	if (ack) {
		const largest = Math.max(...ack.sizes.map((size) => size.simultaneous));
		for (const size of ack.sizes) {
			const judged = size.simultaneous === largest;
			out.push({
				scenario: 'Acknowledgement',
				figure: `injected → deferred callback, ${size.simultaneous} simultaneous (${size.rounds} bursts, ${size.count} samples${size.refused ? `, ${size.refused} refused` : ''}, after ${ack.warmUpRequests} requests; first burst after start: ${ms(size.cold.p50)} / ${ms(size.cold.p99)}): p50 / p99`,
				measured: `${ms(size.p50)} / ${ms(size.p99)}`,
				target: judged ? 'p99 ≤ 50 ms' : '',
				...(judged ? { ok: size.p99 <= 50 && size.refused === 0 } : {}),
			});
		}
	}
	if (delivery) {
		const { webhook, polling } = delivery;
		out.push({
			scenario: 'Delivery, webhook mode',
			figure: `callback → upload received, ${mb(delivery.outputBytes)} output (${webhook.count} jobs): p50 / p99`,
			measured: `${ms(webhook.p50)} / ${ms(webhook.p99)}`,
			target: '≤ 50 ms / ≤ 150 ms',
			ok: webhook.p50 <= 50 && webhook.p99 <= 150 && webhook.lost === 0,
		});
		out.push({
			scenario: 'Delivery, polling mode',
			figure: `COMPLETED → upload received, ${delivery.cadenceMs} ms cadence, ${mb(delivery.outputBytes)} output (${polling.count} jobs): p50 / p99 / max`,
			measured: `${ms(polling.p50)} / ${ms(polling.p99)} / ${ms(polling.max)}`,
			target: `max ≤ ${delivery.cadenceMs + 100} ms`,
			ok: polling.max <= delivery.cadenceMs + 100 && polling.lost === 0,
		});
	}
	if (delivery?.steady) {
		const { steady } = delivery;
		const ratio = steady.learned.p50 / Math.max(1, steady.grid.p50);
		out.push({
			scenario: 'Delivery, polling mode, steady API',
			figure: `COMPLETED → upload, every job ${steady.jobMs / 1000} s, ${delivery.cadenceMs} ms cadence: p50 on the fixed grid (first ${steady.grid.count} jobs) → timed to the learned end (next ${steady.learned.count}); status requests per job ${steady.grid.statusPerJob.toFixed(1)} → ${steady.learned.statusPerJob.toFixed(1)}`,
			measured: `${ms(steady.grid.p50)} → ${ms(steady.learned.p50)} (×${ratio.toFixed(2)})`,
			target: '≤ 0.25× the grid, no more status requests',
			ok: ratio <= 0.25 && steady.learned.statusPerJob <= steady.grid.statusPerJob && steady.lost === 0,
		});
	}
	if (cost) {
		out.push({
			scenario: 'API cost',
			figure: `status requests for a ${cost.jobMs / 1000} s job at a ${cost.cadenceMs} ms cadence (worst of ${cost.jobs})`,
			measured: String(cost.statusMax),
			target: '≤ 4',
			ok: cost.statusMax <= 4,
		});
		out.push({
			scenario: 'API cost',
			figure: `generate requests per delivered job (${cost.generate} for ${cost.delivered})`,
			measured: cost.generatePerDelivered.toFixed(2),
			target: '= 1',
			ok: cost.generate === cost.delivered && cost.delivered === cost.jobs,
		});
	}
	if (inflight) {
		const label = `${inflight.jobs} jobs in flight`;
		const detail = `(${inflight.arrivalsPerSecond} arrivals/s, QUEUED ${inflight.queuedMs / 1000} s, ${inflight.cadenceMs} ms cadence, peak ${inflight.peakInFlight} in flight)`;
		out.push({
			scenario: label,
			figure: `peak RSS of the bot's process ${detail}; idle ${inflight.idleRssMB.toFixed(0)} MB`,
			measured: `${inflight.peakRssMB.toFixed(0)} MB`,
			target: '≤ 250 MB',
			ok: inflight.peakRssMB <= 250,
		});
		out.push({
			scenario: label,
			figure: `event-loop delay p99 over the whole run (p50, max; p99 while all wait: ${ms(inflight.waitingEventLoopDelayMs.p99)})`,
			measured: `${ms(inflight.eventLoopDelayMs.p99)} (${ms(inflight.eventLoopDelayMs.p50)}, ${ms(inflight.eventLoopDelayMs.max)})`,
			target: '≤ 20 ms',
			ok: inflight.eventLoopDelayMs.p99 <= 20,
		});
		out.push({
			scenario: label,
			figure: `jobs lost (not delivered exactly once; ${inflight.duplicates} duplicates; ${inflight.generate} generate requests; ${inflight.seconds.toFixed(0)} s in all)`,
			measured: String(inflight.lost),
			target: '0',
			ok: inflight.lost === 0 && inflight.generate === inflight.jobs,
		});
	}
	if (throughput) {
		out.push({
			scenario: 'Throughput',
			figure: `jobs/s end to end, instant API, ${throughput.jobs} jobs at once (${throughput.lost} lost; latency p50 ${ms(throughput.latency.p50)}, p99 ${ms(throughput.latency.p99)})`,
			measured: throughput.jobsPerSecond.toFixed(1),
			target: '≥ 100 jobs/s',
			ok: throughput.jobsPerSecond >= 100 && throughput.lost === 0,
		});
		const { memory } = throughput;
		out.push({
			scenario: 'Throughput',
			figure: `memory held per concurrent delivery of a ${mb(memory.outputBytes)} output (${memory.deliveries} at once): heap + buffers / RSS`,
			measured: `${mb(memory.heapAndBuffersPerDelivery)} / ${mb(memory.rssPerDelivery)}`,
			target: '—',
		});
	}
	if (scaleout?.skipped) out.push({ scenario: 'Scale-out (Redis)', figure: `skipped: ${scaleout.skipped}`, measured: '—', target: '' });
	for (const run of scaleout?.runs ?? []) {
		const label = `Scale-out (Redis), ${run.processes} process${run.processes > 1 ? 'es' : ''}`;
		out.push({
			scenario: label,
			figure: `jobs/s end to end, instant API, ${run.jobs} jobs at once (${run.lost} lost${run.processes > 1 ? `; ${run.ranElsewhere} run by the second process` : ''})`,
			measured: run.jobsPerSecond.toFixed(1),
			target: '',
			ok: run.lost === 0,
		});
		out.push({
			scenario: label,
			figure: `most jobs at the API at once, as the XTTS fake counts them (MAX_JOBS_IN_FLIGHT ${run.maxAtApi})`,
			measured: String(run.peakAtApi),
			target: `≤ ${run.maxAtApi}`,
			ok: run.peakAtApi <= run.maxAtApi,
		});
		out.push({ scenario: label, figure: 'Redis commands per job (INFO stats, every process)', measured: run.redisCommandsPerJob.toFixed(0), target: '' });
	}
	if (scaleout?.takeover) {
		const { takeover } = scaleout;
		out.push({
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
	const lines = ['| scenario | figure | measured | target | |', '|---|---|---|---|---|'];
	for (const row of list) lines.push(`| ${row.scenario} | ${row.figure} | ${row.measured} | ${row.target} | ${mark(row)} |`);
	return lines.join('\n');
}
