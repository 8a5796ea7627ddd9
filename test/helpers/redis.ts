import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect as connectTcp, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A real, throwaway redis-server on a spare loopback port. Missing binary: the Redis tests are skipped
 * with a visible notice, unless REQUIRE_REDIS=1 (CI), where it is a failure.
 */
export function redisAvailable(): boolean {
	const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
	if (!found) {
		if (process.env.REQUIRE_REDIS === '1') throw new Error('REQUIRE_REDIS=1 but redis-server is not on the PATH');
		console.warn('⚠️  redis-server is not on the PATH: the Redis store tests are SKIPPED (apt-get install redis-server to run them)');
	}
	return found;
}

export interface RedisServer {
	url: string;
	stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
	const port = await sparePort();
	const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	await new Promise<void>((resolve, reject) => {
		let output = '';
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			if (output.includes('Ready to accept connections')) resolve();
		};
		child.stdout?.on('data', onData);
		child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)));
		child.once('error', reject);
	});
	return {
		url: `redis://127.0.0.1:${port}`,
		stop: () =>
			new Promise<void>((resolve) => {
				if (child.exitCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
			}),
	};
}

export function sparePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

export interface StallingProxy {
	/** redis://127.0.0.1:PORT, forwarding to the target. */
	url: string;
	/** From now on, what clients send is held back (a network that has stalled). */
	hold(): void;
	/** Sends on what was held, and everything after. */
	release(): void;
	close(): Promise<void>;
}

/** A TCP proxy in front of Redis that can stall: how a test makes the store slow without touching the bot. */
export async function startStallingProxy(targetUrl: string): Promise<StallingProxy> {
	const target = new URL(targetUrl);
	let holding = false;
	const held: (() => void)[] = [];
	const sockets = new Set<import('node:net').Socket>();
	const server = createServer((client) => {
		const upstream = connectTcp(Number(target.port), target.hostname);
		sockets.add(client).add(upstream);
		client.on('data', (chunk) => (holding ? held.push(() => upstream.write(chunk)) : upstream.write(chunk)));
		upstream.on('data', (chunk) => client.write(chunk));
		const end = () => {
			client.destroy();
			upstream.destroy();
		};
		client.on('close', end).on('error', end);
		upstream.on('close', end).on('error', end);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
		hold: () => {
			holding = true;
		},
		release() {
			holding = false;
			for (const send of held.splice(0)) send();
		},
		close: () =>
			new Promise<void>((resolve) => {
				for (const socket of sockets) socket.destroy();
				server.close(() => resolve());
			}),
	};
}
