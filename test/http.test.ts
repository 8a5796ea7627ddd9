import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { download, DownloadError } from '../src/util/http.js';

/** Downloads: redirects followed by hand with every hop checked, byte caps, the head only. */

let server: Server;
let origin: string;
const agent = new Agent();
const FILE = Buffer.alloc(10_000, 3);

beforeAll(async () => {
	server = createServer((req, res) => {
		const url = new URL(req.url!, 'http://x');
		const hops = Number(url.searchParams.get('hops') ?? 0);
		if (url.pathname === '/redirect') {
			res.writeHead(302, { location: hops > 1 ? `/redirect?hops=${hops - 1}` : '/file' }).end();
		} else if (url.pathname === '/downgrade') {
			res.writeHead(302, { location: 'ftp://127.0.0.1/file' }).end();
		} else if (url.pathname === '/file') {
			res.writeHead(200, { 'content-length': FILE.length, 'content-type': 'application/octet-stream' }).end(FILE);
		} else res.writeHead(404).end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await agent.close();
	await new Promise((resolve) => server.close(resolve));
});

it('follows up to 3 redirects and returns the exact bytes', async () => {
	const result = await download(agent, `${origin}/redirect?hops=3`, { maxBytes: 1_000_000, protocols: ['http:'] });
	expect(Buffer.compare(result.data, FILE)).toBe(0);
});

it('refuses a fourth redirect', async () => {
	await expect(download(agent, `${origin}/redirect?hops=4`, { maxBytes: 1_000_000, protocols: ['http:'] })).rejects.toThrow('too many redirects');
});

it('checks the scheme of every hop, not just the first', async () => {
	const error = await download(agent, `${origin}/downgrade`, { maxBytes: 1_000_000, protocols: ['http:'] }).catch((e: unknown) => e);
	expect(error).toBeInstanceOf(DownloadError);
	expect((error as DownloadError).kind).toBe('refused-url');
	await expect(download(agent, `${origin}/file`, { maxBytes: 1_000_000, protocols: ['https:'] })).rejects.toMatchObject({ kind: 'refused-url' });
});

it('refuses more than maxBytes, and reads only the head when asked', async () => {
	await expect(download(agent, `${origin}/file`, { maxBytes: 9_999, protocols: ['http:'] })).rejects.toMatchObject({
		kind: 'too-large',
		details: { totalBytes: 10_000 },
	});
	const head = await download(agent, `${origin}/file`, { maxBytes: 1_000_000, headBytes: 100, protocols: ['http:'] });
	expect(head.data).toHaveLength(100);
});
