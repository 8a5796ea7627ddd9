import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../src/util/logger.js';
import { abortableSleep } from '../src/util/clock.js';
import { createXttsClient, type XttsClient } from '../src/xtts/client.js';
import { parseRetryAfter, XttsError } from '../src/xtts/contract.js';
import { makeWav, startFakeXtts, type FakeXtts } from './fakes/xtts-api.js';

const KEY = 'test-subscription-key-0123456789';

let fake: FakeXtts;
let agent: Agent;
let sleeps: number[];

function client(overrides: Partial<Parameters<typeof createXttsClient>[0]> = {}): XttsClient {
	return createXttsClient({
		apiUrl: fake.origin,
		apiKey: KEY,
		dispatcher: agent,
		logger: silentLogger,
		random: () => 0.5,
		sleep: async (ms) => {
			sleeps.push(ms);
		},
		...overrides,
	});
}

const job = { speaker: 'https://cdn.example/voice.wav', text: 'Hello there', language: 'de' as const };

beforeEach(async () => {
	fake = await startFakeXtts({ apiKey: KEY });
	agent = new Agent();
	sleeps = [];
});

afterEach(async () => {
	vi.useRealTimers();
	await agent.close();
	await fake.close();
});

describe('submit', () => {
	it('POSTs the documented request and returns the request id and polling URL', async () => {
		const submitted = await client().submit({ ...job, cleanupVoice: true });

		const [request] = fake.generateRequests();
		expect(request?.method).toBe('POST');
		expect(request?.path).toBe('/voice-clone/v1/xtts-v2/generate');
		expect(request?.headers['ocp-apim-subscription-key']).toBe(KEY);
		expect(request?.headers['content-type']).toBe('application/json');
		expect(request?.headers['cache-control']).toBe('no-cache');
		expect(request?.body).toEqual({ speaker: job.speaker, text: 'Hello there', language: 'de', cleanup_voice: true });
		expect(submitted.requestId).toMatch(/^xtts-v2-api_/);
		expect(submitted.status).toBe('QUEUED');
		expect(submitted.pollingUrl).toBe(`${fake.origin}/v2/requests/status/${submitted.requestId}`);
	});

	it('sends X-Webhook-URL when a webhook is asked for', async () => {
		await client().submit({ ...job, webhookUrl: 'https://bot.example/xtts/abc/def' });
		expect(fake.generateRequests()[0]?.headers['x-webhook-url']).toBe('https://bot.example/xtts/abc/def');
	});

	it.each([
		[402, 'balance', 'Your wallet does not have enough balance.'],
		[401, 'auth', undefined],
		[403, 'auth', undefined],
		[400, 'bad-request', "Model 'xtts-v2-api' not found or is disabled"],
	] as const)('maps HTTP %i to a %s error without retrying', async (status, kind, apiMessage) => {
		const body =
			status === 402
				? { error: 'Insufficient Balance', message: 'Your wallet does not have enough balance.' }
				: status === 400
					? { error: 'Model not found', message: "Model 'xtts-v2-api' not found or is disabled" }
					: undefined;
		fake.failNextGenerate({ kind: 'status', status, ...(body ? { body } : {}) });

		const error = (await client()
			.submit(job)
			.catch((e: unknown) => e)) as XttsError;

		expect(error).toBeInstanceOf(XttsError);
		expect(error.kind).toBe(kind);
		expect(error.status).toBe(status);
		if (apiMessage) expect(error.apiMessage).toBe(apiMessage);
		expect(fake.generateRequests()).toHaveLength(1);
		expect(error.message).not.toContain(KEY);
	});

	it('never resends a POST that may have created a job: 500', async () => {
		fake.failNextGenerate({ kind: 'status', status: 500 });
		const error = (await client()
			.submit(job)
			.catch((e: unknown) => e)) as XttsError;
		expect(error.kind).toBe('server');
		expect(error.ambiguous).toBe(true);
		expect(fake.generateRequests()).toHaveLength(1);
		expect(sleeps).toEqual([]);
	});

	it('never resends a POST that may have created a job: connection dropped after the request', async () => {
		fake.failNextGenerate({ kind: 'drop' });
		const error = (await client()
			.submit(job)
			.catch((e: unknown) => e)) as XttsError;
		expect(error.kind).toBe('network');
		expect(error.ambiguous).toBe(true);
		expect(fake.generateRequests()).toHaveLength(1);
	});

	it('retries a 429 after the Retry-After delay, then succeeds with one job', async () => {
		fake.failNextGenerate({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
		const submitted = await client().submit(job);
		expect(sleeps).toEqual([7_000]);
		expect(fake.generateRequests()).toHaveLength(2);
		expect(fake.jobs.size).toBe(1);
		expect(submitted.requestId).toBe(fake.lastJobId());
	});

	it('honours a long Retry-After (5 minutes) in full, and cuts only an absurd one to 10 minutes', async () => {
		fake.failNextGenerate(
			{ kind: 'status', status: 429, headers: { 'retry-after': '300' } },
			{ kind: 'status', status: 429, headers: { 'retry-after': '86400' } },
		);
		await client().submit(job);
		expect(sleeps).toEqual([300_000, 600_000]);
		expect(fake.jobs.size).toBe(1);
	});

	it('gives up on a persistent 429 as rate-limited after its retries', async () => {
		fake.failNextGenerate(...Array.from({ length: 10 }, () => ({ kind: 'status' as const, status: 429 })));
		const error = (await client({ retry: { maxRetries: 3 } })
			.submit(job)
			.catch((e: unknown) => e)) as XttsError;
		expect(error.kind).toBe('rate-limited');
		expect(fake.generateRequests()).toHaveLength(4);
	});

	it('retries when the connection is refused (no job can exist)', async () => {
		const closed = await closedPortOrigin();
		const error = (await client({ apiUrl: closed, retry: { maxRetries: 2 } })
			.submit(job)
			.catch((e: unknown) => e)) as XttsError;
		expect(error.kind).toBe('network');
		expect(error.ambiguous).toBe(false);
		expect(sleeps).toHaveLength(2);
	});

	it('treats a 202 without request_id as an ambiguous bad response', async () => {
		fake.failNextGenerate({ kind: 'status', status: 202, body: 'accepted' });
		const error = (await client()
			.submit(job)
			.catch((e: unknown) => e)) as XttsError;
		expect(error.kind).toBe('bad-response');
		expect(error.ambiguous).toBe(true);
		expect(fake.generateRequests()).toHaveLength(1);
	});
});

describe('getStatus', () => {
	it('follows the documented status flow', async () => {
		const xtts = client();
		const { requestId, pollingUrl } = await xtts.submit(job);
		const seen = [];
		for (let i = 0; i < 3; i++) seen.push(await xtts.getStatus(requestId, { pollingUrl }));

		expect(seen.map((s) => s.status)).toEqual(['QUEUED', 'PROCESSING', 'COMPLETED']);
		expect(seen[2]?.mediaUrls).toEqual([`${fake.origin}/media/${requestId}/output.ext`]);
		expect(seen[2]?.mediaType).toBe('application/octet-stream');
		for (const request of fake.statusRequests(requestId)) {
			expect(request.headers['ocp-apim-subscription-key']).toBe(KEY);
		}
	});

	it('reports FAILED with the API error text', async () => {
		fake.nextJob = { script: ['FAILED'], error: 'Could not read speaker audio' };
		const xtts = client();
		const { requestId } = await xtts.submit(job);
		const status = await xtts.getStatus(requestId);
		expect(status.status).toBe('FAILED');
		expect(status.error).toBe('Could not read speaker audio');
	});

	it('retries 5xx, 429 and dropped connections with growing, jittered backoff', async () => {
		const xtts = client({ random: () => 0 });
		const { requestId } = await xtts.submit(job);
		fake.failNextStatus({ kind: 'status', status: 503 }, { kind: 'drop' }, { kind: 'status', status: 500 });
		const status = await xtts.getStatus(requestId);
		expect(status.status).toBe('QUEUED');
		// random() = 0 gives the floor of "equal jitter": half of base·2^n.
		expect(sleeps).toEqual([500, 1_000, 2_000]);
		expect(fake.statusRequests(requestId)).toHaveLength(4);
	});

	it('honours Retry-After given as an HTTP date', async () => {
		const now = Date.parse('2026-11-25T12:00:00Z');
		const xtts = client({ now: () => now });
		const { requestId } = await xtts.submit(job);
		fake.failNextStatus({ kind: 'status', status: 429, headers: { 'retry-after': 'Wed, 25 Nov 2026 12:00:12 GMT' } });
		await xtts.getStatus(requestId);
		expect(sleeps).toEqual([12_000]);
	});

	it('does not retry a 404 (the API does not know the id)', async () => {
		const error = (await client()
			.getStatus('xtts-v2-api_unknown')
			.catch((e: unknown) => e)) as XttsError;
		expect(error.kind).toBe('not-found');
		expect(sleeps).toEqual([]);
	});

	it('rejects an unknown status and a non-JSON body as bad responses', async () => {
		const xtts = client();
		const { requestId } = await xtts.submit(job);
		fake.failNextStatus({ kind: 'status', status: 200, body: { request_id: requestId, status: 'WARMING_UP' } });
		await expect(xtts.getStatus(requestId)).rejects.toMatchObject({ kind: 'bad-response' });
		fake.failNextStatus({ kind: 'status', status: 200, body: '<html>gateway</html>' });
		await expect(xtts.getStatus(requestId)).rejects.toMatchObject({ kind: 'bad-response' });
	});

	it('never sends the key to a polling_url on another origin', async () => {
		const foreign = await recordingServer();
		try {
			fake.pollingOrigin = foreign.origin;
			const xtts = client();
			const { requestId, pollingUrl } = await xtts.submit(job);
			expect(pollingUrl?.startsWith(foreign.origin)).toBe(true);

			const status = await xtts.getStatus(requestId, { pollingUrl });

			expect(status.status).toBe('QUEUED');
			expect(foreign.hits).toEqual([]);
			expect(fake.statusRequests(requestId)).toHaveLength(1);
			expect(fake.statusRequests(requestId)[0]?.path).toBe(`/v2/requests/status/${requestId}`);
		} finally {
			await foreign.close();
		}
	});

	it('waits for Retry-After on the timer clock (driven by fake timers)', async () => {
		let sleepStarted!: (ms: number) => void;
		const started = new Promise<number>((resolve) => (sleepStarted = resolve));
		const xtts = client({
			sleep: (ms, signal) => {
				sleepStarted(ms);
				return abortableSleep(ms, signal);
			},
		});
		const { requestId } = await xtts.submit(job);
		fake.failNextStatus({ kind: 'status', status: 429, headers: { 'retry-after': '30' } });
		vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

		const pending = xtts.getStatus(requestId);
		expect(await started).toBe(30_000);
		await vi.advanceTimersByTimeAsync(29_999);
		expect(fake.statusRequests(requestId)).toHaveLength(1);
		await vi.advanceTimersByTimeAsync(1);
		await expect(pending).resolves.toMatchObject({ status: 'QUEUED' });
		expect(fake.statusRequests(requestId)).toHaveLength(2);
	});
});

describe('downloadMedia', () => {
	it('streams the media bytes without sending the key', async () => {
		const media = makeWav({ seconds: 2 });
		fake.nextJob = { script: ['COMPLETED'], media };
		const xtts = client();
		const { requestId } = await xtts.submit(job);
		const { mediaUrls } = await xtts.getStatus(requestId);

		const bytes = await xtts.downloadMedia(mediaUrls[0]!, { maxBytes: 1024 * 1024 });

		expect(Buffer.compare(bytes, media)).toBe(0);
		expect(fake.mediaRequests()[0]?.headers['ocp-apim-subscription-key']).toBeUndefined();
	});

	it('refuses media over the byte cap', async () => {
		fake.nextJob = { script: ['COMPLETED'], media: makeWav({ seconds: 3 }) };
		const xtts = client();
		const { requestId } = await xtts.submit(job);
		const { mediaUrls } = await xtts.getStatus(requestId);
		await expect(xtts.downloadMedia(mediaUrls[0]!, { maxBytes: 10_000 })).rejects.toMatchObject({ kind: 'too-large' });
	});
});

it('parses Retry-After seconds and dates', () => {
	expect(parseRetryAfter('3', 0)).toBe(3_000);
	expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4_000)).toBe(6_000);
	expect(parseRetryAfter('soon', 0)).toBeUndefined();
});

async function closedPortOrigin(): Promise<string> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return `http://127.0.0.1:${port}`;
}

async function recordingServer(): Promise<{ origin: string; hits: string[]; close(): Promise<void> }> {
	const hits: string[] = [];
	const server: Server = createServer((req, res) => {
		hits.push(`${req.method} ${req.url} key=${String(req.headers['ocp-apim-subscription-key'])}`);
		res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"COMPLETED"}');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		origin: `http://127.0.0.1:${port}`,
		hits,
		close: () => new Promise((resolve) => server.close(() => resolve())),
	};
}
