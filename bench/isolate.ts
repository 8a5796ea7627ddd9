import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs one scenario (or one side of one) in a fresh process: bench/run.ts with --child, the same options, and this
 * scenario. Memory a process keeps from one run (the heap it grew, RSS not handed back) then never shows up in
 * another run's figures.
 */
export function runIsolated(name: string): Promise<unknown> {
	const forwarded = process.argv
		.slice(2)
		.filter((arg, index, all) => arg !== '--scenario' && all[index - 1] !== '--scenario' && !arg.startsWith('--scenario=') && arg !== '--child');
	const child = fork(fileURLToPath(new URL('./run.ts', import.meta.url)), [...forwarded, '--scenario', name, '--child'], {
		execArgv: ['--import', 'tsx'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		serialization: 'advanced',
	});
	return new Promise((resolve, reject) => {
		let result: unknown;
		child.on('message', (message) => (result = message));
		child.once('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`scenario "${name}" failed (exit code ${code})`))));
	});
}
