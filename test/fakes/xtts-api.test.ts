import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWav, startFakeXtts, type FakeXtts } from './xtts-api.js';

const SPEAKER = 'https://cdn.example.test/voices/male.wav';

let fake: FakeXtts;

beforeEach(async () => {
	fake = await startFakeXtts({ apiKey: 'k-123' });
});

afterEach(async () => {
	await fake.close();
});

function headers(extra: Record<string, string> = {}): Record<string, string> {
	return {
		'Content-Type': 'application/json',
		'Cache-Control': 'no-cache',
		'Ocp-Apim-Subscription-Key': fake.apiKey,
		...extra,
	};
}

function generate(body: unknown = { speaker: SPEAKER, text: 'Hello', language: 'en' }, extra: Record<string, string> = {}) {
	return fetch(`${fake.origin}/voice-clone/v1/xtts-v2/generate`, {
		method: 'POST',
		headers: headers(extra),
		body: JSON.stringify(body),
	});
}

async function submit(body?: unknown, extra?: Record<string, string>): Promise<string> {
	const res = await generate(body, extra);
	expect(res.status).toBe(202);
	const json = (await res.json()) as { request_id: string };
	return json.request_id;
}

/** `key: null` sends no key header. */
function poll(id: string, key: string | null = fake.apiKey) {
	return fetch(`${fake.origin}/v2/requests/status/${id}`, {
		headers: key === null ? {} : { 'Ocp-Apim-Subscription-Key': key },
	});
}

async function pollJson(id: string): Promise<Record<string, unknown>> {
	const res = await poll(id);
	expect(res.status).toBe(200);
	return (await res.json()) as Record<string, unknown>;
}

/** A loopback webhook receiver answering `status` to every POST. */
async function startReceiver(status = 204): Promise<{ url: string; bodies: unknown[]; types: string[]; server: Server }> {
	const bodies: unknown[] = [];
	const types: string[] = [];
	const server = createServer((req: IncomingMessage, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
			types.push(req.headers['content-type'] ?? '');
			res.writeHead(status).end();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return { url: `http://127.0.0.1:${port}/hooks/xtts`, bodies, types, server };
}

function stop(server: Server): Promise<void> {
	return new Promise((resolve) => server.close(() => resolve()));
}

describe('generate', () => {
	it('answers 202 with a request id and a polling url, and records the request', async () => {
		const res = await generate();
		expect(res.status).toBe(202);
		expect(res.headers.get('content-type')).toMatch(/^application\/json/);
		const json = (await res.json()) as Record<string, unknown>;
		expect(json).toEqual({
			request_id: expect.stringMatching(/^xtts-v2-api_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
			status: 'QUEUED',
			polling_url: `${fake.origin}/v2/requests/status/${String(json.request_id)}`,
		});
		expect(fake.lastJobId()).toBe(json.request_id);
		const [recorded] = fake.generateRequests();
		expect(recorded?.body).toEqual({ speaker: SPEAKER, text: 'Hello', language: 'en' });
		expect(recorded?.headers['ocp-apim-subscription-key']).toBe('k-123');
		expect(recorded?.headers['cache-control']).toBe('no-cache');
	});

	it('rejects a missing or wrong key with 401', async () => {
		for (const key of [undefined, 'nope']) {
			const res = await fetch(`${fake.origin}/voice-clone/v1/xtts-v2/generate`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', ...(key ? { 'Ocp-Apim-Subscription-Key': key } : {}) },
				body: JSON.stringify({ speaker: SPEAKER }),
			});
			expect(res.status).toBe(401);
			expect(await res.json()).toMatchObject({ error: 'Unauthorized' });
		}
		expect(fake.jobs.size).toBe(0);
	});

	it('validates the body with 400 Bad Request', async () => {
		const cases: unknown[] = [
			{ text: 'no speaker' },
			{ speaker: 'not a url' },
			{ speaker: SPEAKER, language: 'xx' },
			{ speaker: SPEAKER, cleanup_voice: 'yes' },
			{ speaker: SPEAKER, webhook_events_filter: ['started'] },
			[SPEAKER],
		];
		for (const body of cases) {
			const res = await generate(body);
			expect(res.status).toBe(400);
			expect(await res.json()).toMatchObject({ error: 'Bad Request', message: expect.any(String) });
		}
		const notJson = await fetch(`${fake.origin}/voice-clone/v1/xtts-v2/generate`, {
			method: 'POST',
			headers: headers(),
			body: '{',
		});
		expect(notJson.status).toBe(400);
		expect(fake.requests.at(-1)?.body).toBe('{');
		expect(fake.jobs.size).toBe(0);
	});

	it('uses pollingOrigin for polling_url when set', async () => {
		fake.pollingOrigin = 'https://gateway.example.test';
		const res = await generate();
		const json = (await res.json()) as { request_id: string; polling_url: string };
		expect(json.polling_url).toBe(`https://gateway.example.test/v2/requests/status/${json.request_id}`);
	});
});

describe('status and media', () => {
	it('walks the default script, then serves the media without the key', async () => {
		const id = await submit();
		expect((await pollJson(id)).status).toBe('QUEUED');
		expect((await pollJson(id)).status).toBe('PROCESSING');
		const done = await pollJson(id);
		expect(done).toEqual({
			request_id: id,
			status: 'COMPLETED',
			model_id: 'xtts-v2-api',
			error: null,
			output: { media_url: [`${fake.origin}/media/${id}/output.ext`], media_type: 'application/octet-stream' },
			created_at: expect.any(String),
			updated_at: expect.any(String),
			completed_at: expect.any(String),
		});
		expect((await pollJson(id)).status).toBe('COMPLETED'); // the last step repeats
		expect(fake.statusRequests(id)).toHaveLength(4);

		const mediaUrl = (done.output as { media_url: string[] }).media_url[0] ?? '';
		const media = await fetch(mediaUrl);
		expect(media.status).toBe(200);
		expect(media.headers.get('content-type')).toBe('application/octet-stream');
		const bytes = Buffer.from(await media.arrayBuffer());
		expect(media.headers.get('content-length')).toBe(String(bytes.length));
		expect(bytes.equals(makeWav())).toBe(true);
		expect(fake.mediaRequests()).toHaveLength(1);
		expect(fake.mediaRequests()[0]?.headers['ocp-apim-subscription-key']).toBeUndefined();
	});

	it('reports FAILED with the configured error and a null output', async () => {
		fake.nextJob = { script: ['PROCESSING', 'FAILED'], error: 'speaker audio too short' };
		const id = await submit();
		expect((await pollJson(id)).status).toBe('PROCESSING');
		expect(await pollJson(id)).toMatchObject({ status: 'FAILED', error: 'speaker audio too short', output: null });
		expect((await fetch(`${fake.origin}/media/${id}/output.ext`)).status).toBe(404);
	});

	it('serves configured media bytes', async () => {
		fake.nextJob = { script: ['COMPLETED'], media: Buffer.from('ID3 not really mp3') };
		const id = await submit();
		await pollJson(id);
		const res = await fetch(`${fake.origin}/media/${id}/output.ext`);
		expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('ID3 not really mp3');
	});

	it('answers 401 without the key and 404 for an unknown id', async () => {
		const id = await submit();
		expect((await poll(id, null)).status).toBe(401);
		expect((await poll(id, 'wrong')).status).toBe(401);
		expect(fake.jobs.get(id)?.polls).toBe(0);
		const unknown = await poll('xtts-v2-api_00000000-0000-7000-8000-000000000000');
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toMatchObject({ error: 'Not Found' });
	});

	it('pins a status forced with setStatus', async () => {
		const id = await submit();
		await fake.setStatus(id, 'ERROR', 'GPU fell over');
		expect(await pollJson(id)).toMatchObject({ status: 'ERROR', error: 'GPU fell over', output: null });
		expect((await pollJson(id)).status).toBe('ERROR');
		await expect(fake.setStatus('nope', 'COMPLETED')).rejects.toThrow(/unknown request id/);
	});
});

describe('faults', () => {
	it('answers queued status faults once each, with documented default bodies', async () => {
		fake.failNextGenerate(
			{ kind: 'status', status: 402 },
			{ kind: 'status', status: 400 },
			{ kind: 'status', status: 429 },
			{ kind: 'status', status: 503, body: 'upstream unavailable' },
		);
		const r402 = await generate();
		expect(r402.status).toBe(402);
		expect(await r402.json()).toEqual({ error: 'Insufficient Balance', message: 'Your wallet does not have enough balance.' });
		const r400 = await generate();
		expect(await r400.json()).toEqual({ error: 'Model not found', message: "Model 'xtts-v2-api' not found or is disabled" });
		const r429 = await generate();
		expect(r429.status).toBe(429);
		expect(r429.headers.get('retry-after')).toBe('1');
		await r429.body?.cancel();
		const r503 = await generate();
		expect(r503.status).toBe(503);
		expect(r503.headers.get('content-type')).toMatch(/^text\/plain/);
		expect(await r503.text()).toBe('upstream unavailable');
		expect((await generate()).status).toBe(202);
		expect(fake.generateRequests()).toHaveLength(5);
	});

	it('does not advance a job on a faulted poll', async () => {
		const id = await submit();
		fake.failNextStatus({ kind: 'status', status: 500 });
		expect((await poll(id)).status).toBe(500);
		expect((await pollJson(id)).status).toBe('QUEUED');
	});

	it('drops the connection', async () => {
		fake.failNextMedia({ kind: 'drop' });
		await expect(fetch(`${fake.origin}/media/x/output.ext`)).rejects.toThrow();
		expect(fake.mediaRequests()).toHaveLength(1);
	});

	it('hangs until close()', async () => {
		fake.failNextStatus({ kind: 'hang' });
		const pending = poll('anything');
		const settled = pending.then(
			() => 'answered',
			() => 'failed',
		);
		await fake.waitForRequest((r) => r.path.startsWith('/v2/requests/status/'));
		await fake.close();
		expect(await settled).toBe('failed');
	});

	it('waitForRequest rejects after its timeout', async () => {
		await expect(fake.waitForRequest(() => false, 20)).rejects.toThrow(/no matching request/);
	});
});

describe('webhooks', () => {
	it('POSTs the status JSON on every transition when X-Webhook-URL is set', async () => {
		const receiver = await startReceiver(204);
		try {
			const id = await submit(undefined, { 'X-Webhook-URL': receiver.url });
			await fake.setStatus(id, 'PROCESSING');
			await fake.setStatus(id, 'COMPLETED');
			expect(fake.webhookDeliveries.map((d) => [d.url, d.status])).toEqual([
				[receiver.url, 204],
				[receiver.url, 204],
			]);
			expect(receiver.bodies.map((b) => (b as { status: string }).status)).toEqual(['PROCESSING', 'COMPLETED']);
			expect(receiver.types).toEqual(['application/json', 'application/json']);
			expect(receiver.bodies[1]).toEqual(await pollJson(id));
		} finally {
			await stop(receiver.server);
		}
	});

	it('honours webhook_events_filter ["completed"] for transitions caused by polls', async () => {
		const receiver = await startReceiver(200);
		try {
			const id = await submit({ speaker: SPEAKER, webhook: receiver.url, webhook_events_filter: ['completed'] });
			for (let i = 0; i < 3; i++) await pollJson(id);
			await fake.idle();
			expect(fake.webhookDeliveries).toHaveLength(1);
			expect(fake.webhookDeliveries[0]).toMatchObject({ status: 200, body: { request_id: id, status: 'COMPLETED' } });
		} finally {
			await stop(receiver.server);
		}
	});

	it('records an unreachable receiver as a network error', async () => {
		const receiver = await startReceiver();
		await stop(receiver.server);
		const id = await submit(undefined, { 'X-Webhook-URL': receiver.url });
		await fake.setStatus(id, 'FAILED');
		expect(fake.webhookDeliveries).toEqual([{ url: receiver.url, body: expect.objectContaining({ status: 'FAILED', output: null }), status: 'network-error' }]);
	});
});

describe('makeWav', () => {
	it('builds a PCM 16-bit RIFF/WAVE file of the requested length', () => {
		const wav = makeWav({ seconds: 1, sampleRate: 8000, channels: 2 });
		expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
		expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
		expect(wav.readUInt16LE(20)).toBe(1);
		expect(wav.readUInt16LE(22)).toBe(2);
		expect(wav.readUInt32LE(24)).toBe(8000);
		expect(wav.readUInt16LE(34)).toBe(16);
		expect(wav.readUInt32LE(40)).toBe(8000 * 2 * 2);
		expect(wav.length).toBe(44 + 8000 * 2 * 2);
		expect(makeWav().length).toBe(44 + 8000 * 2);
	});
});

describe('mediaDelayMs', () => {
	it('delays the media answer', async () => {
		const slow = await startFakeXtts({ mediaDelayMs: 30 });
		try {
			slow.nextJob = { script: ['COMPLETED'] };
			const res = await fetch(`${slow.origin}/voice-clone/v1/xtts-v2/generate`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', 'Ocp-Apim-Subscription-Key': slow.apiKey },
				body: JSON.stringify({ speaker: SPEAKER }),
			});
			const { request_id: id } = (await res.json()) as { request_id: string };
			await fetch(`${slow.origin}/v2/requests/status/${id}`, { headers: { 'Ocp-Apim-Subscription-Key': slow.apiKey } });
			const started = Date.now();
			const media = await fetch(`${slow.origin}/media/${id}/output.ext`);
			expect(media.status).toBe(200);
			expect(Date.now() - started).toBeGreaterThanOrEqual(25);
			await media.arrayBuffer();
		} finally {
			await slow.close();
		}
	});
});
