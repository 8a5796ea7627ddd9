import { describe, expect, it } from 'vitest';
import { markdownTable, rows } from '../bench/report.js';
import { ackScenario, costScenario, deliveryScenario, DEFAULTS, inflightScenario, throughputScenario, type BenchOptions } from '../bench/scenarios.js';

/**
 * The benchmark's own code, run at toy sizes (seconds, not minutes): every figure is produced and no job is lost.
 * No timing is asserted: that is what `npm run bench` is for.
 */

const tiny: BenchOptions = {
	...DEFAULTS,
	ackSizes: [1, 3],
	ackMinSamples: 2,
	ackMinRounds: 1,
	ackWarmUpRequests: 5,
	ackWarmUpBurst: 2,
	cadenceMs: 1_000,
	deliveryJobs: 3,
	deliveryBytes: 64 * 1024,
	costJobs: 2,
	costJobMs: 2_500,
	inflightJobs: 3,
	inflightQueuedMs: 1_500,
	throughputJobs: 3,
	bigDeliveries: 2,
	bigBytes: 256 * 1024,
};

const finite = (value: number) => expect(Number.isFinite(value), `${value} is a number`).toBe(true);

describe('the benchmark at toy sizes', { timeout: 60_000 }, () => {
	it('acknowledgement: a latency for every size, nothing refused', async () => {
		const result = await ackScenario(tiny);
		expect(result.sizes.map((size) => size.simultaneous)).toEqual([1, 3]);
		for (const size of result.sizes) {
			expect(size.count).toBeGreaterThanOrEqual(2);
			expect(size.refused).toBe(0);
			[size.p50, size.p99, size.max, size.cold.p50, size.cold.p99].forEach(finite);
		}
	});

	it('delivery: webhook and polling latencies, every job delivered once', async () => {
		const result = await deliveryScenario(tiny);
		for (const mode of [result.webhook, result.polling]) {
			expect(mode.count).toBe(3);
			expect(mode.lost).toBe(0);
			[mode.p50, mode.p99, mode.max].forEach(finite);
		}
	});

	it('API cost: status requests per job and one generate request per delivered job', async () => {
		const result = await costScenario(tiny);
		expect(result.statusPerJob).toHaveLength(2);
		expect(result.statusMax).toBeGreaterThan(0);
		expect(result.generate).toBe(2);
		expect(result.delivered).toBe(2);
		expect(result.lost).toBe(0);
	});

	it('jobs in flight: memory and event-loop figures, nothing lost', async () => {
		const result = await inflightScenario(tiny);
		[result.idleRssMB, result.peakRssMB, result.peakHeapMB, result.eventLoopDelayMs.p99, result.seconds].forEach(finite);
		expect(result.peakInFlight).toBeGreaterThan(0);
		expect(result.lost).toBe(0);
		expect(result.duplicates).toBe(0);
		expect(result.generate).toBe(3);
	});

	it('throughput: jobs per second and memory per large delivery, nothing lost; the table renders', async () => {
		const result = await throughputScenario(tiny);
		expect(result.delivered).toBe(3);
		expect(result.lost).toBe(0);
		[result.jobsPerSecond, result.latency.p99, result.memory.rssPerDelivery, result.memory.heapAndBuffersPerDelivery].forEach(finite);

		const table = markdownTable(rows({ throughput: result }));
		expect(table).toContain('jobs/s end to end');
		expect(table).not.toContain('n/a');
	});
});
