/**
 * The Dockerfile and compose.yaml the README's scale-out section points to (no Docker engine here: their contents
 * are checked, and the image's health check command is run against a real health endpoint).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (name: string) => readFileSync(path.join(ROOT, name), 'utf8');

describe('Dockerfile', () => {
	const dockerfile = read('Dockerfile');
	const stages = dockerfile.split(/^FROM /m).slice(1);

	it('builds in one stage and runs in another, as a user that is not root, with Node as the command', () => {
		expect(stages.length).toBeGreaterThanOrEqual(2);
		const final = stages.at(-1) ?? '';
		expect(final).toMatch(/^USER node$/m);
		expect(final).toMatch(/^COPY --from=build /m);
		// Exec form, node itself: SIGTERM reaches the bot (a shell or npm in between would swallow it).
		expect(final).toMatch(/^CMD \["node", "dist\/index\.js"\]$/m);
		expect(final).toMatch(/^STOPSIGNAL SIGTERM$/m);
		// The build tools stay in the build stage.
		expect(final).not.toMatch(/g\+\+/);
		expect(read('.dockerignore').split('\n')).toEqual(expect.arrayContaining(['.env', 'node_modules', 'data']));
	});

	it('its HEALTHCHECK asks GET /healthz and fails when the bot is unhealthy', async () => {
		const line = dockerfile.match(/HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m)?.[1];
		expect(line).toBeDefined();
		const command = JSON.parse(line ?? '[]') as string[];
		expect(command.slice(0, 2)).toEqual(['node', '-e']);
		let status = 200;
		const paths: string[] = [];
		const server = createServer((request, response) => {
			paths.push(request.url ?? '');
			response.writeHead(status).end('{}');
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = String((server.address() as AddressInfo).port);
		const check = (env: NodeJS.ProcessEnv) =>
			new Promise<number | null>((resolve) => {
				execFile(process.execPath, command.slice(1), { env: { PATH: process.env.PATH, ...env }, timeout: 10_000 }, (error) =>
					resolve(error ? Number(error.code ?? 1) : 0),
				);
			});
		try {
			expect(await check({ HEALTH_PORT: port })).toBe(0);
			status = 503;
			expect(await check({ HEALTH_PORT: port })).toBe(1);
			// With webhooks on, health is served on the receiver's port.
			status = 200;
			expect(await check({ WEBHOOK_PUBLIC_URL: 'https://bot.example', WEBHOOK_PORT: port, HEALTH_PORT: '1' })).toBe(0);
			expect(paths).toEqual(['/healthz', '/healthz', '/healthz']);
		} finally {
			await new Promise((resolve) => server.close(resolve));
		}
		// Nothing listening: unhealthy.
		expect(await check({ HEALTH_PORT: port })).toBe(1);
	});
});

describe('compose.yaml', () => {
	const compose = read('compose.yaml');
	const service = (name: string) => compose.match(new RegExp(`^  ${name}:\\n((?:    .*\\n|\\s*\\n)+)`, 'm'))?.[1] ?? '';

	it('runs Redis with AOF and noeviction', () => {
		const redis = service('redis');
		expect(redis).toMatch(/"--appendonly", "yes"/);
		expect(redis).toMatch(/"--maxmemory-policy", "noeviction"/);
		expect(redis).toMatch(/redis-data:\/data/);
	});

	it('runs two bot processes on that Redis, one gateway shard each, with an init process', () => {
		const bots = [service('bot-0'), service('bot-1')];
		for (const [shard, bot] of bots.entries()) {
			expect(bot).toMatch(/<<: \*bot/);
			expect(bot).toMatch(/STORE_URL: redis:\/\/redis:6379\/0/);
			expect(bot).toMatch(/SHARD_COUNT: "2"/);
			expect(bot).toContain(`SHARD_IDS: "${shard}"`);
		}
		expect(compose).toMatch(/^x-bot: &bot\n(?: {2}.*\n)* {2}init: true$/m);
		expect(compose).toMatch(/condition: service_healthy/);
	});
});
