import { ApplicationCommandOptionType, ComponentType, InteractionResponseType, InteractionType, MessageFlags, type APIInteraction } from 'discord.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord, XttsRequest } from '../src/jobs/lifecycle.js';
import { createJobRecords as createJobStore } from '../src/jobs/records.js';
import { callbackToken } from '../src/server/http-server.js';
import { chatInputPayload, DEFAULT_CHANNEL_ID, DEFAULT_USER_ID, injectInteraction, snowflake } from './fakes/discord-api.js';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, virtualClock, XTTS_KEY, type Harness, type InjectedInteraction } from './helpers/harness.js';
import { redisAvailable, sparePort, startRedis, startStallingProxy, type RedisServer } from './helpers/redis.js';
import { expectMarkedCopy } from './helpers/audio.js';
import { ENGINES, storePerTest } from './helpers/engines.js';

/** No request lost: restarts, token expiry, webhooks, limits and shutdown, against the loopback fakes. */

let h: Harness;
afterEach(async () => {
	await h?.close();
});

const isFinal = (content: string) => !content.startsWith('🎙️');

/** Advances a manual clock once the runner is waiting on it (a poll or a backoff), so no tick is lost. */
async function tick(clock: ReturnType<typeof virtualClock>, ms: number, sleepers = 1): Promise<void> {
	await expect.poll(() => clock.sleepers()).toBeGreaterThanOrEqual(sleepers);
	clock.advance(ms);
}
const wav = () => makeWav({ seconds: 4 });
const finalUploads = () =>
	h.discord.requests.filter(
		(request) => (request.method === 'PATCH' || request.method === 'POST') && request.files.some((file) => file.filename.startsWith('clone.')),
	);

async function jobRecord(state?: string) {
	const store = createJobStore(h.bot.stores);
	const [job] = await store.unfinished();
	if (state) expect(job?.state).toBe(state);
	// The states that have reached the API carry their request; tests read it without narrowing.
	return job as (JobRecord & { xtts?: XttsRequest }) | undefined;
}

describe('restarts', () => {
	it('a restart in the middle of a job resumes polling and delivers exactly once, with one generate request', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock });
		h.xtts.nextJob = { script: ['QUEUED'] };
		const run = h.clone({ file: wav() });
		await h.xtts.waitForRequest((request) => request.method === 'POST');
		await run.edit((content) => content.includes('**Queued**'));
		await tick(clock, 5_000);
		await h.xtts.waitForRequest((request) => request.path.startsWith('/v2/requests/status/'));

		await h.restart();
		expect((await jobRecord('submitted'))?.xtts?.requestId).toBe(h.xtts.lastJobId());
		await h.xtts.setStatus(h.xtts.lastJobId()!, 'COMPLETED');
		await tick(clock, 5_000);

		const final = await run.edit(isFinal);
		expectMarkedCopy(final.files[0]!.data, h.xtts.jobs.get(h.xtts.lastJobId()!)!.media);
		await expect.poll(async () => (await createJobStore(h.bot.stores).unfinished()).length).toBe(0);
		clock.advance(60_000);
		expect(finalUploads()).toHaveLength(1);
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});

	it('a crash while the generate request was in flight is reported as failed, never sent again', async () => {
		h = await startHarness({ clock: virtualClock(Date.now(), 'manual') });
		h.xtts.failNextGenerate({ kind: 'hang' });
		const run = h.clone({ file: wav() });
		await h.xtts.waitForRequest((request) => request.method === 'POST');
		await h.restart();

		const final = await run.edit(isFinal);
		expect(contentOf(final)).toContain('The bot restarted while sending this request');
		expect(contentOf(final)).toMatch(/Reference: `[\w-]{12}`/);
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});

	it('jobs that never reached the API are submitted after a restart, in their order', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock, env: { MAX_JOBS_IN_FLIGHT: '1' } });
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const first = h.clone({ file: wav(), text: 'first' });
		await h.xtts.waitForRequest((request) => request.method === 'POST');
		const second = h.clone({ file: wav(), text: 'second' });
		await second.edit((content) => content.includes('Waiting in line'));
		await h.restart();

		await expect.poll(() => clock.sleepers()).toBe(1);
		clock.advance(5_000);
		await first.edit(isFinal);
		await expect.poll(() => clock.sleepers()).toBe(1);
		clock.advance(5_000);
		await second.edit(isFinal);
		expect(h.xtts.generateRequests().map((request) => (request.body as { text: string }).text)).toEqual(['first', 'second']);
	});
});

describe.skipIf(!redisAvailable())('several processes sharing Redis', () => {
	let redis: RedisServer;
	beforeAll(async () => {
		redis = await startRedis();
	});
	afterAll(async () => {
		await redis?.stop();
	});

	it('a process that stops hands its job back at once: the other one finishes it, with one generate request and one upload', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock, storeUrl: `${redis.url}/9` });
		h.xtts.nextJob = { script: ['QUEUED'] };
		const run = h.clone({ file: wav() });
		await h.xtts.waitForRequest((request) => request.method === 'POST');
		await expect.poll(async () => (await jobRecord())?.state).toBe('submitted');
		const first = h.bot;
		const second = await h.another();
		// Running on the first: the second leaves it alone.
		expect(await second.runner.resume()).toBe(0);
		expect(second.runner.active).toBe(0);

		await first.stop();
		// Handed back, not left to BullMQ's stall detection: the second has it at once.
		await expect.poll(() => second.runner.active, { timeout: 5_000 }).toBe(1);
		await h.xtts.setStatus(h.xtts.lastJobId()!, 'COMPLETED');
		await tick(clock, 5_000);
		await run.edit(isFinal);
		expect(finalUploads()).toHaveLength(1);
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});

	it('a Redis slow to answer does not cost the acknowledgement: the reply is deferred after 1 s, and the job goes on', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		const proxy = await startStallingProxy(redis.url);
		try {
			h = await startHarness({ clock, storeUrl: `${proxy.url}/11` });
			h.xtts.nextJob = { script: ['QUEUED'] };
			proxy.hold();
			const run = h.clone({ file: wav() });
			await expect.poll(() => clock.sleepers()).toBeGreaterThanOrEqual(1);
			clock.advance(1_000);
			// Acknowledged while the settings read is still held back.
			expect((await run.callback()).json?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
			expect(h.xtts.requests).toHaveLength(0);
			proxy.release();
			await run.edit((content) => content.includes('**Queued**'));
			expect(h.xtts.generateRequests()).toHaveLength(1);
		} finally {
			proxy.release();
			await h?.close();
			h = undefined as unknown as Harness;
			await proxy.close();
		}
	});

	it('an XTTS callback arriving at the process that does not run the job reaches the one that does', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock, storeUrl: `${redis.url}/12` });
		h.xtts.nextJob = { script: ['QUEUED'] };
		const run = h.clone({ file: wav() });
		await run.edit((content) => content.includes('**Queued**'));
		const requestId = h.xtts.lastJobId()!;
		const jobId = (await jobRecord('submitted'))!.id;
		const other = await h.another();
		expect(other.runner.running(jobId)).toBeUndefined();
		// The API finishes; its callback (the status body it documents) lands on the other process.
		await h.xtts.setStatus(requestId, 'COMPLETED');
		const polled = h.xtts.statusRequests(requestId).length;
		const body = await (await fetch(`${h.xtts.origin}/v2/requests/status/${requestId}`, { headers: { 'Ocp-Apim-Subscription-Key': XTTS_KEY } })).json();
		expect(await other.runner.notify(jobId, body)).toBe('taken');
		// Delivered by the process running it, woken by the callback: no clock moved, no poll asked.
		await run.edit(isFinal);
		expect(finalUploads()).toHaveLength(1);
		expect(h.xtts.statusRequests(requestId)).toHaveLength(polled + 1);
		expect(other.runner.running(jobId)).toBeUndefined();
	});

	it('Cancel pressed on the process that does not run the job stops it where it runs, and its message says so', async () => {
		h = await startHarness({ clock: virtualClock(Date.now(), 'manual'), storeUrl: `${redis.url}/10` });
		h.xtts.nextJob = { script: ['QUEUED'] };
		const run = h.clone({ file: wav(), userId: DEFAULT_USER_ID });
		const progress = await run.edit((content) => content.includes('**Queued**'));
		const jobId = String(progress.json?.components?.[0]?.components?.[0]?.custom_id).split(':')[2]!;
		const other = await h.another();
		const base = chatInputPayload({ commandName: 'unused', user: { id: DEFAULT_USER_ID } }) as unknown as Record<string, unknown>;
		const message = {
			id: snowflake(),
			channel_id: DEFAULT_CHANNEL_ID,
			content: contentOf(progress),
			components: progress.json?.components ?? [],
			attachments: [],
			embeds: [],
		};
		const click = {
			...base,
			type: InteractionType.MessageComponent,
			data: { custom_id: `job:cancel:${jobId}`, component_type: ComponentType.Button },
			message,
		} as unknown as APIInteraction & { id: string; token: string };
		expect(other.runner.running(jobId)).toBeUndefined();
		injectInteraction(other.client, click);
		const answer = await h.discord.waitForRequest((request) => request.path === `/interactions/${click.id}/${click.token}/callback`);
		expect(answer.json?.type).toBe(InteractionResponseType.DeferredMessageUpdate);
		// The process running it stops it and edits its reply.
		const cancelled = await run.edit((content) => content.includes('Cancelled'));
		expect(contentOf(cancelled)).toContain('may still be billed');
		await expect.poll(() => h.bot.runner.running(jobId)).toBeUndefined();
		expect((await createJobStore(h.bot.stores).get(jobId))?.state).toBe('cancelled');
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});
});

describe.skipIf(!redisAvailable())('a waiting request cancelled from another process', () => {
	it('leaves the shared line at once: its message says nothing was spent, and it is never sent', async () => {
		const redis = await startRedis();
		try {
			const clock = virtualClock(Date.now(), 'manual');
			h = await startHarness({ clock, storeUrl: `${redis.url}/3` });
			h.xtts.nextJob = { script: ['QUEUED'] };
			await h.bot.settings.setLimits('1180000000000000100', { perServer: 1 }, '1');
			h.clone({ file: wav(), text: 'running' });
			await h.xtts.waitForRequest((request) => request.method === 'POST');
			const waiting = h.clone({ file: wav(), text: 'waiting' });
			const shown = await waiting.edit((content) => content.includes('Waiting in line'));
			const jobId = String(shown.json?.components?.[0]?.components?.[0]?.custom_id).split(':')[2]!;
			const other = await h.another();
			expect(await other.runner.cancel(jobId)).toBe('cancelled');
			await waiting.edit((content) => content.includes('nothing was spent'));
			expect((await createJobStore(h.bot.stores).get(jobId))?.state).toBe('cancelled');
			// The running one finishes; the cancelled one never goes, whoever pumps the line or reconciles it.
			await h.xtts.setStatus(h.xtts.lastJobId()!, 'COMPLETED');
			await tick(clock, 5_000);
			await expect.poll(() => finalUploads().length).toBe(1);
			clock.advance(120_000);
			expect(await other.runner.resume()).toBe(0);
			expect(await h.bot.runner.resume()).toBe(0);
			expect(h.xtts.generateRequests().map((request) => (request.body as { text: string }).text)).toEqual(['running']);
		} finally {
			await h?.close();
			h = undefined as unknown as Harness;
			await redis.stop();
		}
	});
});

describe('the interaction token’s 15 minutes', () => {
	it('a job longer than the token’s life ends in the channel, mentioning the requester', async () => {
		h = await startHarness({ env: { XTTS_JOB_TIMEOUT_MS: '3600000' } });
		h.xtts.nextJob = { script: [...Array<'QUEUED'>(200).fill('QUEUED'), 'COMPLETED'] }; // 1000 s at 5 s a poll
		const member = '1180000000000000555';
		const run = h.clone({ file: wav(), userId: member });

		const post = await h.discord.waitForRequest((request) => request.method === 'POST' && request.path === `/channels/${DEFAULT_CHANNEL_ID}/messages`, 5_000);
		expect(contentOf(post)).toContain(`Cloned voice for <@${member}>`);
		expect(post.json?.allowed_mentions).toEqual({ users: [member] });
		expect(post.files[0]?.filename).toBe('clone.wav');
		expect(post.json?.nonce).toBeTruthy();
		expect(post.json?.enforce_nonce).toBe(true);
		// No edit of the reply after the token's safe life.
		expect(run.webhookRequests().filter((request) => request.files.length > 0)).toHaveLength(0);
		expect(finalUploads()).toHaveLength(1);
	});

	it('a reply that can no longer be edited falls back to the channel', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		h.discord.respond('PATCH', /\/messages\/@original$/, (request) =>
			request.files.length > 0 ? { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } } : { status: 200, body: { id: '1' } },
		);
		h.clone({ file: wav() });
		const post = await h.discord.waitForRequest((request) => request.method === 'POST' && request.path.endsWith('/messages'), 5_000);
		expect(post.files[0]?.filename).toBe('clone.wav');
	});

	it('a channel the bot may not post in: logged with the job id and marked undeliverable', async () => {
		h = await startHarness({ env: { XTTS_JOB_TIMEOUT_MS: '3600000' } });
		h.xtts.nextJob = { script: [...Array<'QUEUED'>(200).fill('QUEUED'), 'COMPLETED'] };
		h.discord.respond('POST', /^\/channels\/\d+\/messages$/, { status: 403, body: { message: 'Missing Permissions', code: 50013 } });
		h.clone({ file: wav() });
		await expect.poll(() => h.logs.some((line) => line.includes('job undeliverable')), { timeout: 5_000 }).toBe(true);
		const line = JSON.parse(h.logs.find((entry) => entry.includes('job undeliverable'))!) as Record<string, unknown>;
		expect(line).toMatchObject({ level: 'error', jobId: expect.any(String), channelId: DEFAULT_CHANNEL_ID });
		const job = await createJobStore(h.bot.stores).get(String(line.jobId));
		expect(job).toMatchObject({ state: 'undeliverable' });
	});
});

describe('webhooks', () => {
	const SECRET = 'test-webhook-secret-0123456789abcdef';
	async function webhookHarness() {
		const port = await sparePort();
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock, env: { WEBHOOK_PUBLIC_URL: `http://127.0.0.1:${port}/hooks`, WEBHOOK_PORT: String(port), WEBHOOK_SECRET: SECRET } });
		return { base: `http://127.0.0.1:${port}`, clock };
	}

	async function submittedJob() {
		h.xtts.nextJob = { script: ['QUEUED'] };
		const run = h.clone({ file: wav() });
		const generate = await h.xtts.waitForRequest((request) => request.method === 'POST');
		await run.edit((content) => content.includes('**Queued**'));
		const job = (await jobRecord('submitted'))!;
		return { run, job, webhookUrl: String(generate.headers['x-webhook-url']) };
	}

	it('submits with an HMAC callback URL and delivers the moment the final callback arrives, without polling', async () => {
		const { base } = await webhookHarness();
		const { run, job, webhookUrl } = await submittedJob();
		expect(webhookUrl).toBe(`${base}/hooks/xtts/callback/${job.id}/${callbackToken(SECRET, job.id)}`);

		await h.xtts.setStatus(h.xtts.lastJobId()!, 'COMPLETED');
		const final = await run.edit(isFinal);
		expect(final.files[0]?.filename).toBe('clone.wav');
		expect(h.xtts.webhookDeliveries.map((delivery) => delivery.status)).toEqual([200]);
		expect(h.xtts.statusRequests()).toHaveLength(0);
	});

	it('rejects forged, unknown, oversized and malformed callbacks, and changes nothing', async () => {
		const { base } = await webhookHarness();
		const { run, job } = await submittedJob();
		const post = (path: string, body: string, method = 'POST') =>
			fetch(`${base}${path}`, { method, body: method === 'GET' ? null : body, headers: { 'content-type': 'application/json' } });
		const completed = JSON.stringify({ request_id: job.xtts?.requestId, status: 'COMPLETED', output: { media_url: ['https://evil.example/x.wav'] } });

		expect((await post(`/xtts/callback/${job.id}/${'A'.repeat(43)}`, completed)).status).toBe(403);
		expect((await post(`/xtts/callback/${job.id}/${callbackToken('another-secret-entirely', job.id)}`, completed)).status).toBe(403);
		expect((await post(`/xtts/callback/unknownjob123/${callbackToken(SECRET, 'unknownjob123')}`, completed)).status).toBe(404);
		expect((await post(`/xtts/callback/${job.id}/${callbackToken(SECRET, job.id)}`, 'x'.repeat(64 * 1024))).status).toBe(413);
		expect((await post(`/xtts/callback/${job.id}/${callbackToken(SECRET, job.id)}`, '{not json')).status).toBe(400);
		expect((await post(`/xtts/callback/${job.id}/${callbackToken(SECRET, job.id)}`, '{}')).status).toBe(400);
		expect(
			(await post(`/xtts/callback/${job.id}/${callbackToken(SECRET, job.id)}`, JSON.stringify({ request_id: job.xtts?.requestId, status: 'DANCING' }))).status,
		).toBe(400);
		expect((await post(`/xtts/callback/${job.id}/${callbackToken(SECRET, job.id)}`, '', 'GET')).status).toBe(405);

		expect((await jobRecord())?.state).toBe('submitted');
		expect(run.webhookRequests().filter((request) => request.files.length > 0)).toHaveLength(0);
	});

	it('two final callbacks at once while the job is waiting: one delivery', async () => {
		const { base } = await webhookHarness();
		const { run, job } = await submittedJob();
		const id = h.xtts.lastJobId()!;
		// The API's own callback and a copy of it, arriving together.
		const body = JSON.stringify({
			request_id: id,
			status: 'COMPLETED',
			error: null,
			output: { media_url: [`${h.xtts.origin}/media/${id}/output.ext`], media_type: 'application/octet-stream' },
		});
		const url = `${base}/xtts/callback/${job.id}/${callbackToken(SECRET, job.id)}`;
		const [, copy] = await Promise.all([h.xtts.setStatus(id, 'COMPLETED'), fetch(url, { method: 'POST', body })]);
		expect(copy.status).toBe(200);
		expect(h.xtts.webhookDeliveries.map((delivery) => delivery.status)).toEqual([200]);
		await run.edit(isFinal);
		await h.bot.runner.settled(job.id);
		expect(finalUploads()).toHaveLength(1);
		expect(h.xtts.mediaRequests()).toHaveLength(1);
	});

	it('duplicate callbacks are harmless: one delivery', async () => {
		const { base } = await webhookHarness();
		const { run, job } = await submittedJob();
		await h.xtts.setStatus(h.xtts.lastJobId()!, 'COMPLETED');
		await run.edit(isFinal);
		const body = JSON.stringify(h.xtts.webhookDeliveries[0]?.body);
		const again = await fetch(`${base}/xtts/callback/${job.id}/${callbackToken(SECRET, job.id)}`, { method: 'POST', body });
		expect(again.status).toBe(200);
		await h.bot.runner.settled(job.id);
		expect(finalUploads()).toHaveLength(1);
	});

	it('a lost callback is covered by the slow safety-net poll', async () => {
		const { clock } = await webhookHarness();
		const { run } = await submittedJob();
		h.xtts.jobs.get(h.xtts.lastJobId()!)!.webhookUrl = undefined; // the callback never arrives
		await h.xtts.setStatus(h.xtts.lastJobId()!, 'COMPLETED');
		await tick(clock, 30_000);
		expect(h.xtts.statusRequests()).toHaveLength(0);
		clock.advance(30_000);
		const final = await run.edit(isFinal);
		expect(final.files[0]?.filename).toBe('clone.wav');
		expect(h.xtts.statusRequests()).toHaveLength(1);
	});
});

describe.each(ENGINES)('limits that queue instead of refusing ($engine)', ({ shared }) => {
	/** A Redis database of its own for each test. */
	const store = storePerTest(shared);
	const refusal = async (run: ReturnType<Harness['clone']>) => {
		const callback = await run.callback();
		expect(callback.json?.data?.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
		return String(callback.json?.data?.content);
	};
	const texts = () => h.xtts.generateRequests().map((request) => (request.body as { text: string }).text);
	const limits = async (options: Record<string, number>) => {
		const saved = await h
			.command({
				commandName: 'clone-settings',
				options: [
					{
						name: 'limits',
						type: ApplicationCommandOptionType.Subcommand,
						options: Object.entries(options).map(([name, value]) => ({ name, type: ApplicationCommandOptionType.Integer, value })),
					} as never,
				],
			})
			.callback();
		return String(saved.json?.data?.content);
	};
	/** Moves a hand-driven clock along until `done`, as the jobs' polls and cooldowns wait for it. */
	const until = async (clock: ReturnType<typeof virtualClock>, done: () => boolean, stepMs = 5_000) => {
		await expect
			.poll(
				() => {
					if (!done()) clock.advance(stepMs);
					return done();
				},
				{ timeout: 15_000, interval: 5 },
			)
			.toBe(true);
	};

	it('a member’s second request waits for their first, then for the cooldown, and starts by itself', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock, ...store() });
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const member = '1180000000000000666';
		const first = h.clone({ file: wav(), userId: member, text: 'first' });
		await h.xtts.waitForRequest((request) => request.method === 'POST');

		const second = h.clone({ file: wav(), userId: member, text: 'second' });
		expect((await second.callback()).json?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
		await second.edit((content) => content.includes('**Waiting in line** — position 1, after your other clone; it starts by itself'));
		await tick(clock, 5_000);
		await first.edit(isFinal);
		// Shown at the next refresh of the line (every 5 s).
		await second.edit((content) => /after your cooldown \(about 1[0-5] s\)/.test(content), 10_000);
		expect(texts()).toEqual(['first']);
		// Nobody presses anything: the cooldown ends and the request goes.
		await until(clock, () => texts().length === 2, 1_000);
		await until(clock, () => finalUploads().length === 2);
		expect(texts()).toEqual(['first', 'second']);
	});

	it('a member held back by their own cooldown does not hold back another member of the server', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock, ...store() });
		h.xtts.nextJob = { script: ['COMPLETED'] };
		// A cooldown long enough that moving the clock along for the first job can't end it.
		await h.bot.settings.setLimits('1180000000000000100', { cooldownSeconds: 3_600 }, '1');
		const member = '1180000000000000668';
		h.clone({ file: wav(), userId: member, text: 'mine' });
		await until(clock, () => finalUploads().length === 1);
		await expect.poll(() => h.bot.runner.active).toBe(0);
		await h.clone({ file: wav(), userId: member, text: 'mine again' }).edit((content) => content.includes('Waiting in line'));
		// Another member, within every limit: it starts at once, ahead of the one waiting out its cooldown.
		h.clone({ file: wav(), text: 'theirs' });
		await expect.poll(() => texts()).toEqual(['mine', 'theirs']);
	});

	it('server_jobs 2 and six requests: never more than two at the API, all six delivered in order, each shown its place', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock, ...store() });
		h.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'] };
		expect(await limits({ server_jobs: 2 })).toContain('2 per server');
		// One after another, as members would click: each reply shows its place before the next arrives.
		const runs: InjectedInteraction[] = [];
		for (const [index, text] of ['a', 'b', 'c', 'd', 'e', 'f'].entries()) {
			const run = h.clone({ file: wav(), text });
			runs.push(run);
			if (index < 2) await expect.poll(() => h.xtts.generateRequests().length).toBe(index + 1);
			else await run.edit((content) => content.includes(`position ${index - 1}, for one of this server’s clones in progress to finish`));
		}
		let most = 0;
		const atApi = () => {
			most = Math.max(most, h.bot.runner.atApi);
			return h.bot.runner.atApi;
		};
		await until(clock, () => {
			atApi();
			return finalUploads().length === 6;
		});
		expect(most).toBe(2);
		if (shared) {
			// Their turns come in order; two given their turn by the same freed slots start at once and may reach the
			// API in either order (BullMQ runs them side by side), never further apart.
			const order = texts();
			expect([...order].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
			for (const [rank, text] of order.entries()) expect(Math.abs('abcdef'.indexOf(text) - rank), order.join('')).toBeLessThan(2);
		} else expect(texts()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
		// The third generate request came only after the first job's audio was fetched (its slot freed).
		const thirdAt = h.xtts.generateRequests()[2]?.at ?? 0;
		expect(h.xtts.mediaRequests().filter((request) => request.at <= thirdAt).length).toBeGreaterThanOrEqual(1);
	});

	it('a full line refuses the next request at once, privately, at no cost; Cancel frees a place', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock, ...store() });
		h.xtts.nextJob = { script: ['QUEUED'] };
		await limits({ server_jobs: 1, server_waiting: 2 });
		h.clone({ file: wav(), text: 'running' });
		await h.xtts.waitForRequest((request) => request.method === 'POST');
		const waiting = [h.clone({ file: wav(), text: 'one' }), h.clone({ file: wav(), text: 'two' })];
		for (const run of waiting) await run.edit((content) => content.includes('Waiting in line'));
		expect(await refusal(h.clone({ file: wav(), text: 'three' }))).toBe(
			'⏳ This server already has as many requests waiting in line as it allows (2). Please try again in a few minutes.',
		);
		const cancelId = String((waiting[0] as InjectedInteraction).webhookRequests().at(-1)?.json?.components?.[0]?.components?.[0]?.custom_id ?? '').split(
			':',
		)[2];
		expect(await h.bot.runner.cancel(cancelId ?? '')).toBe('cancelled');
		await (waiting[0] as InjectedInteraction).edit((content) => content.includes('nothing was spent'));
		const four = h.clone({ file: wav(), text: 'four' });
		await four.edit((content) => content.includes('**Waiting in line** — position 2'));
		expect(texts()).toEqual(['running']);
		// A member's own line: member_waiting 0 lets a member wait for nothing.
		await h.bot.settings.setLimits('1180000000000000109', { memberWaiting: 0 }, '1');
		const member = '1180000000000000667';
		h.clone({ file: wav(), userId: member, extra: { guildId: '1180000000000000109' } });
		await expect.poll(() => texts().length).toBe(2);
		expect(await refusal(h.clone({ file: wav(), userId: member, extra: { guildId: '1180000000000000109' } }))).toContain('as many requests waiting in line');
	});

	it('at the global cap, servers are served in turn: one with many waiting does not starve one with a single request', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock, ...store(), env: { MAX_JOBS_IN_FLIGHT: '1' } });
		h.xtts.nextJob = { script: ['COMPLETED'] };
		await h.bot.settings.setLimits('1180000000000000100', { perServer: 10 }, '1');
		const busy = [h.clone({ file: wav(), text: 'a1' })];
		await h.xtts.waitForRequest((request) => request.method === 'POST');
		for (const text of ['a2', 'a3']) {
			const run = h.clone({ file: wav(), text });
			busy.push(run);
			await run.edit((content) => content.includes('for a free slot at the voice service'));
		}
		const other = h.clone({ file: wav(), text: 'b1', extra: { guildId: '1180000000000000101' } });
		await other.edit((content) => content.includes('Waiting in line** — position 1'));
		await until(clock, () => finalUploads().length === 4);
		expect(texts()).toEqual(['a1', 'a2', 'b1', 'a3']);
	});

	it('a restart keeps every waiting request, in order', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock, ...store(), env: { MAX_JOBS_IN_FLIGHT: '1' } });
		h.xtts.nextJob = { script: ['QUEUED', 'QUEUED', 'COMPLETED'] };
		await h.bot.settings.setLimits('1180000000000000100', { perServer: 10 }, '1');
		// perServer 1 after the restart too: the resumed line keeps its server's limits, not the defaults.
		await h.bot.settings.setLimits('1180000000000000100', { perServer: 1 }, '1');
		h.clone({ file: wav(), text: 'one' });
		await h.xtts.waitForRequest((request) => request.method === 'POST');
		for (const text of ['two', 'three']) await h.clone({ file: wav(), text }).edit((content) => content.includes('Waiting in line'));
		await h.restart();
		let most = 0;
		await until(clock, () => {
			most = Math.max(most, h.bot.runner.atApi);
			return finalUploads().length === 3;
		});
		expect(most).toBe(1);
		expect(texts()).toEqual(['one', 'two', 'three']);
		expect(h.xtts.generateRequests()).toHaveLength(3);
	});
});

describe('shutdown and health', () => {
	it('stop() pauses jobs in the store, answers new requests with "restarting", and closes quickly', async () => {
		h = await startHarness({ clock: virtualClock(Date.now(), 'manual') });
		h.xtts.nextJob = { script: ['QUEUED'] };
		h.clone({ file: wav() });
		await h.xtts.waitForRequest((request) => request.method === 'POST');
		await expect.poll(async () => (await jobRecord())?.state).toBe('submitted');

		const stopping = h.bot.stop();
		const late = h.clone({ file: wav() });
		await stopping;
		expect(String((await late.callback()).json?.data?.content)).toContain('The bot is restarting. Please try again in a minute.');
		expect(h.bot.runner.active).toBe(0);
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});

	it('GET /healthz reports the gateway, the store and the jobs', async () => {
		const port = await sparePort();
		h = await startHarness({ env: { HEALTH_PORT: String(port) } });
		const response = await fetch(`http://127.0.0.1:${port}/healthz`);
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({
			ok: true,
			gateway: 'connected',
			store: 'reachable',
			jobs: { active: 0, atApi: 0, maxAtApi: 20, waiting: 0 },
			accepting: true,
		});
		expect((await fetch(`http://127.0.0.1:${port}/xtts/callback/a/b`, { method: 'POST' })).status).toBe(404);
	});
});
