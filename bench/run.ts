/**
 * npm run bench [-- --scenario ack|delivery|cost|inflight|throughput|parts|scaleout|all] [--jobs 1000] …
 *
 * Starts the project's loopback fakes (in a process of their own), drives the real bot through them, prints
 * a table with each figure beside its target and writes bench/results.json. With `all` every scenario runs in
 * a fresh process, so that one scenario's memory never shows up in another's figures.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { markdownTable, rows } from './report.js';
import { BOT_OVERRIDES } from './rig.js';
import { runIsolated } from './isolate.js';
import { DEFAULTS, SCENARIOS, SIDES, SMOKE, type BenchOptions, type ScenarioName, type ScenarioResults } from './scenarios.js';

const USAGE = `usage: npm run bench -- [options]
  --scenario ack|delivery|cost|inflight|throughput|parts|scaleout|all   (default all)
  --jobs N              jobs waiting on the API at once in "inflight" (default ${DEFAULTS.inflightJobs})
  --throughput-jobs N   jobs sent at once in "throughput" (default ${DEFAULTS.throughputJobs})
  --ack-sizes A,B,C     simultaneous requests in "ack" (default ${DEFAULTS.ackSizes.join(',')})
  --samples N           jobs per delivery mode in "delivery" (default ${DEFAULTS.deliveryJobs})
  --cost-jobs N         12 s jobs in "cost" (default ${DEFAULTS.costJobs})
  --big N               concurrent ${DEFAULTS.bigBytes / 1024 / 1024} MiB deliveries in "throughput" (default ${DEFAULTS.bigDeliveries})
  --cadence MS          XTTS_POLL_INTERVAL_MS for the real-time scenarios (default ${DEFAULTS.cadenceMs})
  --jitter F            how far each job of the 5-40 s polling run strays from its length's time, e.g. 0.1 for ±10% (default ${DEFAULTS.spreadJitter})
  (scenario scaleout needs redis-server on the PATH: one and two bot processes on one Redis, and a takeover)
  --out FILE            where to write the results (default bench/results.json)
  --smoke               toy sizes (seconds, not minutes), as the test suite runs it`;

const { values } = parseArgs({
	options: {
		scenario: { type: 'string', default: 'all' },
		jobs: { type: 'string' },
		'throughput-jobs': { type: 'string' },
		'ack-sizes': { type: 'string' },
		samples: { type: 'string' },
		'cost-jobs': { type: 'string' },
		big: { type: 'string' },
		cadence: { type: 'string' },
		jitter: { type: 'string' },
		out: { type: 'string', default: fileURLToPath(new URL('./results.json', import.meta.url)) },
		child: { type: 'boolean', default: false },
		smoke: { type: 'boolean', default: false },
		help: { type: 'boolean', default: false },
	},
});

if (values.help) {
	console.log(USAGE);
	process.exit(0);
}

function count(name: string, raw: string | undefined, fallback: number): number {
	if (raw === undefined) return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 1) {
		console.error(`--${name} must be a whole number ≥ 1\n\n${USAGE}`);
		process.exit(2);
	}
	return value;
}

const base = values.smoke ? SMOKE : DEFAULTS;
const options: BenchOptions = {
	...base,
	inflightJobs: count('jobs', values.jobs, base.inflightJobs),
	throughputJobs: count('throughput-jobs', values['throughput-jobs'], base.throughputJobs),
	ackSizes: values['ack-sizes'] ? values['ack-sizes'].split(',').map((size) => count('ack-sizes', size, 1)) : base.ackSizes,
	deliveryJobs: count('samples', values.samples, base.deliveryJobs),
	costJobs: count('cost-jobs', values['cost-jobs'], base.costJobs),
	bigDeliveries: count('big', values.big, base.bigDeliveries),
	cadenceMs: count('cadence', values.cadence, base.cadenceMs),
	spreadJitter: values.jitter === undefined ? base.spreadJitter : Number(values.jitter),
};
if (!(options.spreadJitter >= 0 && options.spreadJitter < 1)) {
	console.error(`--jitter must be a fraction from 0 to below 1\n\n${USAGE}`);
	process.exit(2);
}

const names = Object.keys(SCENARIOS) as ScenarioName[];
const chosen = values.scenario === 'all' ? names : names.filter((name) => name === values.scenario);
if (chosen.length === 0 && !(values.child && values.scenario in SIDES)) {
	console.error(`unknown scenario "${values.scenario}"\n\n${USAGE}`);
	process.exit(2);
}

if (values.child) {
	const result = await { ...SCENARIOS, ...SIDES }[values.scenario as ScenarioName | keyof typeof SIDES](options);
	process.send!(result, () => process.exit(0));
} else {
	const started = Date.now();
	const results: ScenarioResults = {};
	for (const name of chosen) {
		const t0 = Date.now();
		process.stderr.write(`▶ ${name} … `);
		(results as Record<string, unknown>)[name] = chosen.length > 1 ? await runIsolated(name) : await SCENARIOS[name](options);
		process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
	}
	const seconds = (Date.now() - started) / 1000;
	const machine = {
		cores: availableParallelism(),
		cpu: cpus()[0]?.model ?? 'unknown',
		memoryGiB: Math.round(totalmem() / 1024 ** 3),
		node: process.version,
		platform: `${process.platform} ${process.arch}`,
	};
	const table = rows(results);
	console.log(`\n${markdownTable(table)}\n`);
	console.log(`${machine.cores} cores (${machine.cpu}), Node ${machine.node}, ${machine.platform}; ${seconds.toFixed(0)} s in all.`);
	console.log("Figures are for the bot's own process: the XTTS and Discord fakes run in a separate process (bench/fakes-process.ts).");
	console.log(`The bot runs with its defaults but: ${BOT_OVERRIDES}.`);
	const failed = table.filter((row) => row.ok === false);
	if (failed.length > 0) console.log(`Targets missed: ${failed.map((row) => `${row.scenario} — ${row.figure.split(' (')[0]}`).join('; ')}`);
	await writeFile(
		values.out,
		`${JSON.stringify({ date: new Date(started).toISOString(), seconds, machine, options, botOverrides: BOT_OVERRIDES, results, rows: table }, null, 2)}\n`,
	);
	console.log(`Results written to ${values.out}`);
}
