import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.ts'],
		testTimeout: 20_000,
		hookTimeout: 30_000,
		// Tests start real loopback servers and a real Redis; keep files from starving each other on 2 cores.
		fileParallelism: true,
		maxWorkers: 2,
	},
});
