/**
 * GET /metrics on the health endpoint's port, scraped and parsed as Prometheus text: every metric the README lists
 * is there, counters move with a job, METRICS_TOKEN is enforced and never shown.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { makeWav } from './fakes/xtts-api.js';
import { startHarness, virtualClock, type Harness } from './helpers/harness.js';
import { sparePort } from './helpers/redis.js';

const TOKEN = 'metrics-token-3b7c1d9e5f2a';
let h: Harness;
afterEach(async () => {
	await h?.close();
});

/** `name{labels} value` lines, and the names that have HELP (a metric with no sample yet has only that). */
function parse(text: string) {
	const samples = new Map<string, number>();
	const described = new Set<string>();
	for (const line of text.split('\n')) {
		const help = /^# HELP (\S+) /.exec(line);
		if (help?.[1]) described.add(help[1]);
		const sample = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
		if (sample?.[1]) samples.set(sample[1], Number(sample[2]));
	}
	return { samples, described };
}

/** The metric names the README's table lists. */
function documented(): string[] {
	const readme = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md'), 'utf8');
	const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 5));
	return [...section.matchAll(/^\| `([a-z_]+)`/gm)].map((match) => match[1] as string);
}

describe('GET /metrics', () => {
	it('lists every documented metric, counts a job through its states, and asks for the token', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		const port = await sparePort();
		h = await startHarness({ clock, env: { HEALTH_PORT: String(port), METRICS_TOKEN: TOKEN } });
		const url = `http://127.0.0.1:${port}/metrics`;
		expect((await fetch(url)).status).toBe(401);
		expect((await fetch(url, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
		const scrape = async () => {
			const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
			expect(response.status).toBe(200);
			expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
			return response.text();
		};

		const before = parse(await scrape());
		const names = documented();
		expect(names.length).toBeGreaterThanOrEqual(12);
		for (const name of names) expect(before.described.has(name), `${name} is served`).toBe(true);
		expect(before.samples.get('xtts_bot_max_jobs_at_api')).toBe(20);

		h.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'] };
		const run = h.clone({ file: makeWav({ seconds: 4 }) });
		await run.edit((content) => content.includes('**Queued**'));
		const during = parse(await scrape());
		expect(during.samples.get('xtts_bot_jobs_at_api')).toBe(1);
		expect(during.samples.get('xtts_bot_jobs_total{state="submitted"}')).toBe(1);
		// The polls wait on the test's clock: moved along until the result is posted.
		const final = () => run.webhookRequests().some((request) => request.files.length > 0);
		await expect
			.poll(
				() => {
					if (!final() && clock.sleepers() > 0) clock.advance(5_000);
					return final();
				},
				{ timeout: 10_000, interval: 20 },
			)
			.toBe(true);

		// Recorded delivered just after the upload.
		await expect.poll(async () => parse(await scrape()).samples.get('xtts_bot_jobs_total{state="delivered"}')).toBe(1);
		const text = await scrape();
		const after = parse(text);
		for (const state of ['recorded', 'submitting', 'submitted', 'completed', 'delivered'])
			expect(after.samples.get(`xtts_bot_jobs_total{state="${state}"}`), state).toBe(1);
		expect(after.samples.get('xtts_bot_jobs_at_api')).toBe(0);
		expect(after.samples.get('xtts_bot_xtts_request_duration_seconds_count{kind="generate",outcome="ok"}')).toBe(1);
		expect(after.samples.get('xtts_bot_xtts_request_duration_seconds_count{kind="download",outcome="ok"}')).toBe(1);
		const statusRequests = h.xtts.statusRequests().length;
		expect(after.samples.get('xtts_bot_xtts_request_duration_seconds_count{kind="status",outcome="ok"}')).toBe(statusRequests);
		expect(after.samples.get('xtts_bot_status_requests_per_job_count')).toBe(1);
		expect(after.samples.get('xtts_bot_status_requests_per_job_sum')).toBe(statusRequests);
		expect(after.samples.get('xtts_bot_completion_to_upload_seconds_count')).toBe(1);
		expect(after.samples.get('xtts_bot_balance_paused')).toBe(0);
		expect(after.samples.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
		// No secret, no id in a label.
		expect(text).not.toContain(TOKEN);
		expect(text).not.toContain(h.xtts.lastJobId()!);
		expect(text).not.toMatch(/jobId|request_id|guild/);
	});

	it('counts a long text once per state, not once per part', async () => {
		const port = await sparePort();
		h = await startHarness({ env: { HEALTH_PORT: String(port), XTTS_POLL_INTERVAL_MS: '1000' } });
		h.xtts.nextJob = { script: ['PROCESSING', 'COMPLETED'] };
		const text = 'The quick brown fox jumps over the lazy dog near the riverbank at dawn. '.repeat(17).trim();
		await h.clone({ file: makeWav({ seconds: 4 }), text }).edit((content) => !content.startsWith('🎙️'), 20_000);
		expect(h.xtts.generateRequests().length).toBeGreaterThan(2);
		const scrape = async () => parse(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).samples;
		await expect.poll(async () => (await scrape()).get('xtts_bot_jobs_total{state="delivered"}')).toBe(1);
		const samples = await scrape();
		for (const state of ['recorded', 'parts', 'completed', 'delivered']) expect(samples.get(`xtts_bot_jobs_total{state="${state}"}`), state).toBe(1);
		// A long text's parts move within `parts`: it never goes through a short text's submitting and submitted.
		expect(samples.get('xtts_bot_jobs_total{state="submitting"}')).toBeUndefined();
		expect(samples.get('xtts_bot_jobs_total{state="submitted"}')).toBeUndefined();
		expect(samples.get('xtts_bot_xtts_request_duration_seconds_count{kind="generate",outcome="ok"}')).toBe(h.xtts.generateRequests().length);
		expect(samples.get('xtts_bot_completion_to_upload_seconds_count')).toBe(1);
	});

	it('counts Discord REST errors by status, and needs no token when none is set', async () => {
		const port = await sparePort();
		h = await startHarness({ env: { HEALTH_PORT: String(port) } });
		await h.bot.client.rest.get('/not-a-route').catch(() => undefined);
		const response = await fetch(`http://127.0.0.1:${port}/metrics`);
		expect(response.status).toBe(200);
		const { samples } = parse(await response.text());
		expect(samples.get('xtts_bot_discord_rest_errors_total{status="404"}')).toBe(1);
		// Only at /metrics: not under the callback path a proxy forwards.
		expect((await fetch(`http://127.0.0.1:${port}/xtts/callback/metrics`)).status).toBe(404);
	});
});
