import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Counts, FakeSettings, FakesMessage, FakesRequest } from './protocol.js';

/** The bench's handle on the fakes' process (bench/fakes-process.ts). */
export interface Fakes {
	discordApiUrl: string;
	discordOrigin: string;
	xttsOrigin: string;
	/** A 4 s WAV on the fake Discord CDN, used as every request's speaker file. */
	speakerUrl: string;
	speakerBytes: number;
	onMessage(listener: (message: FakesMessage) => void): void;
	configure(settings: FakeSettings): Promise<void>;
	completeNext(): Promise<{ member: string; at: number } | undefined>;
	completeAll(): Promise<number>;
	counts(): Promise<Counts>;
	statusPerJob(): Promise<number[]>;
	close(): Promise<void>;
}

/** A request before it gets its id (Omit distributed over the union). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

const root = fileURLToPath(new URL('..', import.meta.url));

export async function startFakes(settings: FakeSettings = {}): Promise<Fakes> {
	const child = fork(fileURLToPath(new URL('./fakes-process.ts', import.meta.url)), [], {
		cwd: root,
		execArgv: ['--import', 'tsx'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const listeners: ((message: FakesMessage) => void)[] = [];
	const replies = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
	let nextId = 1;
	child.on('message', (message: FakesMessage) => {
		if (message.ev === 'reply') {
			const waiter = replies.get(message.id);
			replies.delete(message.id);
			if (message.error === undefined) waiter?.resolve(message.result);
			else waiter?.reject(new Error(message.error));
			return;
		}
		for (const event of message.ev === 'batch' ? message.events : [message]) for (const listener of listeners) listener(event);
	});
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	void exited.then(() => {
		for (const waiter of replies.values()) waiter.reject(new Error('the fakes process exited'));
	});

	const ready = await new Promise<Extract<FakesMessage, { ev: 'ready' }>>((resolve, reject) => {
		listeners.push((message) => message.ev === 'ready' && resolve(message));
		void exited.then(() => reject(new Error('the fakes process exited before it was ready')));
	});
	listeners.length = 0;

	function ask<T>(request: WithoutId<FakesRequest>): Promise<T> {
		const id = nextId++;
		return new Promise<T>((resolve, reject) => {
			replies.set(id, { resolve: resolve as (value: unknown) => void, reject });
			child.send({ ...request, id });
		});
	}

	const fakes: Fakes = {
		discordApiUrl: ready.discordApiUrl,
		discordOrigin: ready.discordOrigin,
		xttsOrigin: ready.xttsOrigin,
		speakerUrl: ready.speakerUrl,
		speakerBytes: ready.speakerBytes,
		onMessage: (listener) => void listeners.push(listener),
		configure: (next) => ask({ op: 'configure', settings: next }),
		completeNext: () => ask({ op: 'completeNext' }),
		completeAll: () => ask({ op: 'completeAll' }),
		counts: () => ask({ op: 'counts' }),
		statusPerJob: () => ask({ op: 'statusPerJob' }),
		async close() {
			if (child.connected) child.disconnect();
			const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
			await exited;
			clearTimeout(timer);
		},
	};
	await fakes.configure(settings);
	return fakes;
}
