import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row } from '../bench/report.js';
import type { ScenarioResults } from '../bench/scenarios.js';

/**
 * `npm run bench` itself (options, a process per scenario, the table and results.json) at toy sizes: every
 * figure is produced and no job is lost. No timing is asserted: that is what the benchmark is for.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
let dir: string;
let output = '';
let results: { rows: Row[]; results: ScenarioResults; botOverrides: string };

beforeAll(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'xtts-bench-smoke-'));
	const out = path.join(dir, 'results.json');
	const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
	expect(code, output).toBe(0);
	results = JSON.parse(await readFile(out, 'utf8'));
}, 300_000);

afterAll(async () => {
	await rm(dir, { recursive: true, force: true });
});

const finite = (value: number) => expect(Number.isFinite(value), `${value} is a number`).toBe(true);

describe('npm run bench -- --smoke', () => {
	it('prints the table with every figure and writes it to results.json', () => {
		const figures = results.rows.map((row) => `${row.scenario}: ${row.figure.split(' (')[0]}`);
		for (const wanted of [
			'Acknowledgement',
			'Delivery, webhook mode',
			'Delivery, polling mode',
			'Delivery, polling mode, job times 5–40 s',
			'Long text',
			'API cost',
			'3 jobs in flight',
			'Throughput',
			'Scale-out (Redis), 1 process',
			'Scale-out (Redis), 2 processes',
			'Scale-out (Redis), takeover',
		]) {
			expect(
				figures.some((figure) => figure.startsWith(wanted)),
				`${wanted} in ${figures.join(' | ')}`,
			).toBe(true);
		}
		for (const row of results.rows) for (const shown of [row.measured, row.floor, row.naive]) expect(shown, row.figure).not.toContain('n/a');
		for (const row of results.rows)
			expect(output).toContain(`| ${row.scenario} | ${row.figure} | ${row.measured} | ${row.floor} | ${row.naive} | ${row.ratios} |`);
		expect(output).toContain('| scenario | figure | measured (this machine) | floor | naive peer | ratios | target | |');
		expect(output).toContain(`The bot runs with its defaults but: ${results.botOverrides}.`);
	});

	it('acknowledgement: a latency for every size, nothing refused', () => {
		const { ack } = results.results;
		expect(ack!.sizes.map((size) => size.simultaneous)).toEqual([1, 3]);
		for (const size of ack!.sizes) {
			expect(size.count).toBeGreaterThanOrEqual(2);
			expect(size.refused).toBe(0);
			[size.p50, size.p99, size.max, size.cold.p50, size.cold.p99].forEach(finite);
		}
	});

	it('delivery: webhook and polling latencies, every job delivered once', () => {
		const { delivery } = results.results;
		for (const mode of [delivery!.webhook, delivery!.polling]) {
			expect(mode.count).toBe(3);
			expect(mode.lost).toBe(0);
			[mode.p50, mode.p99, mode.max].forEach(finite);
		}
		// The grid, then timed to the learned end, and the naive peer: all measured, nothing lost, never more status requests.
		const { spread, floor, naivePolling } = delivery!;
		expect(naivePolling.count).toBe(3);
		expect(naivePolling.lost).toBe(0);
		expect([spread.grid.count, spread.learned.count, spread.naive.count]).toEqual([8, 8, 8]);
		expect(spread.lost).toBe(0);
		[spread.grid.p50, spread.learned.p50, spread.naive.p50, floor.p50, floor.p99].forEach(finite);
		expect(floor.count).toBe(3);
		expect(spread.learned.statusPerJob).toBeLessThanOrEqual(spread.grid.statusPerJob);
	});

	it('every ratio is computed: the floor and the naive peer beside each figure that has them', () => {
		const { ack, delivery, inflight, throughput, parts } = results.results;
		for (const size of ack!.sizes) [size.floor.p50, size.floor.p99].forEach(finite);
		[ack!.sizes.at(-1)!.naive!.p50, ack!.sizes.at(-1)!.naive!.p99].forEach(finite);
		[inflight!.naive.peakRssMB, throughput!.naive.jobsPerSecond, parts!.parallelMs, parts!.sequentialMs, parts!.floorMs].forEach(finite);
		expect(parts!.parts).toBe(6);
		expect(inflight!.naive.lost).toBe(0);
		expect(throughput!.naive.lost).toBe(0);
		expect(delivery!.spread.naive.statusPerJob).toBeGreaterThan(0);
		// Every row with a floor or a naive peer shows its ratios, each a number.
		const compared = results.rows.filter((row) => row.floor !== '—' || row.naive !== '—');
		expect(compared.length).toBeGreaterThanOrEqual(9);
		for (const row of compared) {
			expect(row.ratios, row.figure).toMatch(/×\d/);
			expect(row.ratios, row.figure).not.toContain('n/a');
		}
		// Every target set as a ratio is judged on a ratio that was computed.
		const judged = results.rows.filter((row) => row.judged !== undefined);
		expect(judged.map((row) => row.target.split(' and ').at(-1))).toEqual([
			'p99 ≤ 1.5× the floor',
			'≥ 50× sooner than the naive peer (p50)',
			'≤ 0.25× the grid, no more status requests',
			'≤ 0.5× one after another',
			'≤ 0.75× the naive peer',
			'≥ 2× the naive peer',
		]);
		for (const row of judged) finite(row.judged as number);
	});

	it('API cost: status requests per job and one generate request per delivered job', () => {
		const { cost } = results.results;
		expect(cost!.statusPerJob).toHaveLength(2);
		expect(cost!.statusMax).toBeGreaterThan(0);
		expect(cost!.generate).toBe(2);
		expect(cost!.delivered).toBe(2);
		expect(cost!.lost).toBe(0);
		expect(cost!.naive.lost).toBe(0);
		expect(cost!.naive.generatePerDelivered).toBe(1);
	});

	it('jobs in flight: memory and event-loop figures, nothing lost', () => {
		const { inflight } = results.results;
		[inflight!.idleRssMB, inflight!.peakRssMB, inflight!.peakHeapMB, inflight!.eventLoopDelayMs.p99, inflight!.seconds].forEach(finite);
		expect(inflight!.peakInFlight).toBeGreaterThan(0);
		expect(inflight!.lost).toBe(0);
		expect(inflight!.duplicates).toBe(0);
		expect(inflight!.generate).toBe(3);
	});

	it('throughput: jobs per second and memory per large delivery, nothing lost', () => {
		const { throughput } = results.results;
		expect(throughput!.delivered).toBe(3);
		expect(throughput!.lost).toBe(0);
		[throughput!.jobsPerSecond, throughput!.latency.p99, throughput!.memory.rssPerDelivery, throughput!.memory.heapAndBuffersPerDelivery].forEach(finite);
	});
});
