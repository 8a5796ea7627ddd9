/**
 * Several bot processes (real child processes) on one real Redis, one loopback Discord (REST and gateway) and one
 * loopback XTTS: jobs run on BullMQ, so any process finishes any job; the limits hold for the deployment as the
 * XTTS fake counts them; kill -9 and SIGTERM lose nothing and send nothing twice; the gateway is split by shard.
 */
import { ApplicationCommandOptionType, ComponentType, GatewayDispatchEvents, InteractionResponseType, InteractionType, type APIInteraction } from 'discord.js';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createSettingsService } from '../src/store/settings.js';
import { createStores } from '../src/store/stores.js';
import { silentLogger } from '../src/util/logger.js';
import { attachmentPayload, chatInputPayload, snowflake, type RecordedDiscordRequest } from './fakes/discord-api.js';
import { shardOf } from './fakes/discord-gateway.js';
import { makeWav } from './fakes/xtts-api.js';
import { ready, startBot, startWorld, stop, type BotProcess, type World } from './helpers/bot-process.js';
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis.js';

/** Guild ids of a chosen shard: a snowflake's shard is its timestamp part modulo the shard count. */
const guildOn = (timestamp: bigint) => String(timestamp << 22n);

function cloneInteraction(world: World, { guildId, userId, text }: { guildId: string; userId: string; text: string }) {
	const speaker = makeWav({ seconds: 4 });
	const url = world.discord.addAttachment('voice.wav', speaker, 'audio/x-wav');
	const attachmentId = snowflake();
	const payload = chatInputPayload({
		commandName: 'clone',
		guildId,
		options: [
			{ name: 'speaker', type: ApplicationCommandOptionType.Attachment, value: attachmentId },
			{ name: 'text', type: ApplicationCommandOptionType.String, value: text },
		],
		resolved: {
			attachments: {
				[attachmentId]: attachmentPayload({ id: attachmentId, filename: 'voice.wav', url, size: speaker.length, contentType: 'audio/x-wav', durationSecs: 4 }),
			},
		},
		user: { id: userId },
	});
	world.discord.registerInteraction(payload);
	world.gateway.dispatch(GatewayDispatchEvents.InteractionCreate, payload);
	return payload;
}

const isUpload = (request: RecordedDiscordRequest) => request.files.some((file) => file.filename.startsWith('clone.'));
const editsOf = (world: World, token: string) => world.discord.requests.filter((request) => request.method === 'PATCH' && request.path.includes(`/${token}/`));
const contentOf = (request: RecordedDiscordRequest | undefined) => String((request?.json as { content?: string } | undefined)?.content ?? '');
/** The jobs a process has picked up (from its log), and the ones it delivered. */
const runsOf = (bot: BotProcess) => bot.logs.filter((line) => line.msg === 'job run started').map((line) => String(line.jobId));
const deliveredBy = (bot: BotProcess) => bot.logs.filter((line) => line.msg === 'job delivered').map((line) => String(line.jobId));

describe.skipIf(!redisAvailable())('several bot processes on one Redis', () => {
	let redis: RedisServer;
	let db = 0;
	beforeAll(async () => {
		redis = await startRedis();
	});
	afterAll(async () => {
		await redis?.stop();
	});

	it('three processes, 30 jobs from two servers: the caps hold across them, every job is delivered once, kill -9 and SIGTERM lose nothing', {
		timeout: 180_000,
	}, async () => {
		// Both servers on shard 0 (the receiving process); shards 1 and 2 have none and only run jobs.
		const [busy, other] = [guildOn(300_000_000_000n), guildOn(300_000_000_003n)];
		const world = await startWorld({ guildIds: [busy, other] });
		const storeUrl = `${redis.url}/${db++}`;
		// The busy server allows 2 at once; the deployment 4.
		const stores = await createStores(storeUrl, silentLogger);
		await createSettingsService({ store: stores.settings, exclusive: false }).setLimits(busy, { perServer: 2 }, '1');
		await stores.close();
		const env = (shard: number, lockMs: number) => ({
			...world.env,
			STORE_URL: storeUrl,
			MAX_JOBS_IN_FLIGHT: '4',
			SHARD_COUNT: '3',
			SHARD_IDS: String(shard),
			JOB_LOCK_MS: String(lockMs),
		});
		// Any process may be the one killed or stopped: all of them got the 30 requests into the shared line first.
		const bots = [startBot(env(0, 2_000)), startBot(env(1, 2_000)), startBot(env(2, 2_000))] as const;
		const [receiver] = bots;
		await Promise.all(bots.map((bot) => bot.waitForLog((line) => line.msg === 'ready', 30_000, "'ready'")));
		await ready(receiver);

		world.xtts.nextJob = { script: ['QUEUED'] };
		// One after another, as members would click: each is in line before the next arrives.
		const requests: ReturnType<typeof cloneInteraction>[] = [];
		for (let index = 0; index < 30; index++) {
			const userId = String(1_190_000_000_000_000_000n + BigInt(index));
			const text = `${index % 2 === 0 ? 'busy' : 'other'} ${index}`;
			const payload = cloneInteraction(world, { guildId: index % 2 === 0 ? busy : other, userId, text });
			requests.push(payload);
			const callback = await world.discord.waitForRequest((request) => request.path === `/interactions/${payload.id}/${payload.token}/callback`, 20_000);
			expect(callback.json).toMatchObject({ type: InteractionResponseType.DeferredChannelMessageWithSource });
			await receiver.waitForLog((line) => line.msg === 'clone requested' && line.userId === userId, 20_000, `request ${index}`);
		}
		// Four at the API (the deployment's cap), the others in line, each told its place.
		await world.xtts.waitForRequest(() => world.xtts.generateRequests().length === 4 && [...world.xtts.jobs.values()].every((job) => job.polls > 0), 20_000);
		for (const payload of requests) {
			await expect.poll(() => editsOf(world, payload.token).length, { timeout: 20_000 }).toBeGreaterThan(0);
		}
		const waitingShown = requests.filter((payload) => contentOf(editsOf(world, payload.token)[0]).includes('Waiting in line'));
		expect(waitingShown).toHaveLength(26);
		expect(contentOf(editsOf(world, (waitingShown.at(-1) ?? requests[0])!.token)[0])).toMatch(/position \d+/);

		const unfinishedIn = (bot: BotProcess) => runsOf(bot).filter((jobId) => !deliveredBy(bot).includes(jobId));
		const alive = new Set<BotProcess>(bots);
		/** Finishes one job at the API after another until some live process holds a job; returns the one holding most. */
		const holder = async (what: string): Promise<BotProcess> => {
			const busiest = () => [...alive].sort((a, b) => unfinishedIn(b).length - unfinishedIn(a).length)[0]!;
			for (let step = 0; step < 30 && unfinishedIn(busiest()).length === 0; step++) {
				const queued = [...world.xtts.jobs.values()].find((job) => job.status === 'QUEUED');
				if (queued) await world.xtts.setStatus(queued.id, 'COMPLETED');
				const generated = world.xtts.generateRequests().length;
				await expect.poll(() => world.xtts.generateRequests().length > generated, { timeout: 20_000 }).toBe(true);
			}
			// Each job it holds is at the API and tracked (none has a generate request on the wire).
			await expect.poll(() => [...world.xtts.jobs.values()].every((job) => job.status !== 'QUEUED' || job.polls > 0), { timeout: 10_000 }).toBe(true);
			expect(unfinishedIn(busiest()).length, what).toBeGreaterThan(0);
			return busiest();
		};
		const takenOver = (jobId: string) =>
			[...alive].some((bot) => bot.logs.some((line) => line.msg === 'job run started' && line.jobId === jobId && line.takeover));

		// kill -9 of a process in the middle of its jobs: BullMQ finds them stalled, the others take them over and
		// carry on from their records, sending nothing again.
		const killed = await holder('a process holds a job to be killed with');
		const orphans = unfinishedIn(killed);
		const generatedBeforeKill = world.xtts.generateRequests().length;
		killed.child.kill('SIGKILL');
		await killed.exited;
		alive.delete(killed);
		for (const jobId of orphans) await expect.poll(() => takenOver(jobId), { timeout: 30_000 }).toBe(true);
		expect(world.xtts.generateRequests()).toHaveLength(generatedBeforeKill);
		expect([...alive].some((bot) => bot.logs.some((line) => String(line.msg).startsWith('job stalled') && orphans.includes(String(line.jobId))))).toBe(true);

		// SIGTERM: the process hands its jobs back as it stops, and another takes them without any stall detection.
		const terminated = await holder('a process holds a job to be stopped with');
		const handedBack = unfinishedIn(terminated);
		const linesBeforeStop = new Map([...alive].map((bot) => [bot, bot.logs.length]));
		const exit = await stop(terminated);
		alive.delete(terminated);
		expect(exit).toMatchObject({ code: 0, signal: null });
		expect(terminated.logs.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
		expect(terminated.logs.filter((line) => line.msg === 'job handed back for another process to take over').map((line) => line.jobId)).toEqual(
			expect.arrayContaining(handedBack),
		);
		const [last] = [...alive] as [BotProcess];
		for (const jobId of handedBack) await expect.poll(() => takenOver(jobId), { timeout: 15_000 }).toBe(true);
		const sinceStop = last.logs.slice(linesBeforeStop.get(last));
		expect(sinceStop.filter((line) => String(line.msg).startsWith('job stalled'))).toEqual([]);

		// The rest flow through the last process.
		world.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'] };
		for (const job of world.xtts.jobs.values()) if (job.status === 'QUEUED') await world.xtts.setStatus(job.id, 'COMPLETED');
		await expect.poll(() => world.discord.requests.filter(isUpload).length, { timeout: 90_000, interval: 200 }).toBe(30);

		// Every request delivered exactly once, each generated once; never more at the API than the caps allow.
		for (const payload of requests)
			expect(world.discord.requests.filter((request) => isUpload(request) && request.path.includes(payload.token))).toHaveLength(1);
		expect(world.xtts.generateRequests()).toHaveLength(30);
		expect(world.xtts.peakAtApi()).toBe(4);
		expect(world.xtts.peakAtApi((text) => text.split(' ')[0] ?? '')).toBeLessThanOrEqual(4);
		expect(world.xtts.peakAtApi((text) => (text.startsWith('busy') ? 'busy' : `other ${text}`))).toBe(2);
		// The busy server's requests got their turns in their order: two that started together may reach the API
		// in either order, and a job whose process died reaches it late, but nobody else overtakes.
		const indexOfJob = new Map(
			receiver.logs
				.filter((line) => line.msg === 'clone requested')
				.map((line) => [String(line.jobId), Number(BigInt(String(line.userId)) - 1_190_000_000_000_000_000n)]),
		);
		const interrupted = new Set([...orphans, ...handedBack].map((jobId) => indexOfJob.get(jobId)));
		const busyOrder = world.xtts
			.generateRequests()
			.map((request) => String((request.body as { text: string }).text))
			.filter((text) => text.startsWith('busy') && !interrupted.has(Number(text.split(' ')[1])))
			.map((text) => Number(text.split(' ')[1]));
		const fifo = [...busyOrder].sort((a, b) => a - b);
		for (const [rank, index] of busyOrder.entries())
			expect(Math.abs(fifo.indexOf(index) - rank), `busy ${index} out of turn in ${busyOrder.join(',')}`).toBeLessThan(2);
		// Jobs ran in more than one process.
		expect(bots.filter((bot) => runsOf(bot).length > 0).length).toBeGreaterThanOrEqual(2);
		expect(last.logs.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
		expect((await stop(last)).code).toBe(0);
	});

	it('as the README says: two processes, 50 members of one server at once, one process killed half way, Again during the cooldown', {
		timeout: 180_000,
	}, async () => {
		const server = guildOn(320_000_000_000n);
		expect(shardOf(server, 2)).toBe(0);
		const world = await startWorld({ guildIds: [server], recommendedShards: 2 });
		const storeUrl = `${redis.url}/${db++}`;
		const stores = await createStores(storeUrl, silentLogger);
		// A short cooldown, so that Again during it is seen to wait it out; the default server cap (5).
		await createSettingsService({ store: stores.settings, exclusive: false }).setLimits(server, { cooldownSeconds: 20 }, '1');
		await stores.close();
		const env = (shard: number) => ({ ...world.env, STORE_URL: storeUrl, SHARD_COUNT: '2', SHARD_IDS: String(shard), JOB_LOCK_MS: '2000' });
		const bots = [startBot(env(0)), startBot(env(1))] as const;
		await Promise.all(bots.map((bot) => ready(bot)));

		world.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'] };
		const members = Array.from({ length: 50 }, (_, index) => String(1_190_000_000_000_001_000n + BigInt(index)));
		const requests = members.map((userId, index) => cloneInteraction(world, { guildId: server, userId, text: `line ${index}` }));
		// Every reply shows its place in line (or that it is at the voice service already).
		for (const payload of requests) await expect.poll(() => editsOf(world, payload.token).length, { timeout: 30_000 }).toBeGreaterThan(0);
		const firsts = requests.map((payload) => contentOf(editsOf(world, payload.token)[0]));
		expect(firsts.filter((content) => /Waiting in line\*\* — position \d+/.test(content)).length).toBeGreaterThanOrEqual(40);
		expect(
			firsts.every((content) => /Waiting in line|Queued|Processing|Sending/.test(content)),
			firsts.join('\n'),
		).toBe(true);

		// Half way, the process running jobs (not the one receiving the server's commands) is killed.
		const delivered = () => world.discord.requests.filter(isUpload).length;
		await expect.poll(delivered, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(25);
		// Jobs from now on stay QUEUED until released: when the server's 5 slots hold such jobs, all polled, no
		// generate request is on the wire at the kill (one would fail as interrupted, never be sent again).
		const pinnedFrom = world.xtts.jobs.size;
		world.xtts.nextJob = { script: ['QUEUED'] };
		const pinned = () => [...world.xtts.jobs.values()].slice(pinnedFrom);
		const [receiver, worker] = bots;
		const heldBy = (bot: BotProcess) => runsOf(bot).filter((jobId) => !deliveredBy(bot).includes(jobId));
		const settled = async (count: number) =>
			expect
				.poll(() => pinned().filter((job) => job.status === 'QUEUED').length === 5 && pinned().length === count && pinned().every((job) => job.polls > 0), {
					timeout: 30_000,
				})
				.toBe(true);
		await settled(5);
		// BullMQ gives each job to whichever process asks first: until the one to be killed holds some, one more goes.
		for (let released = 0; released < 15 && heldBy(worker).length === 0; released++) {
			await world.xtts.setStatus(pinned().find((job) => job.status === 'QUEUED')!.id, 'COMPLETED');
			await settled(6 + released);
		}
		const heldAtKill = heldBy(worker);
		expect(heldAtKill.length).toBeGreaterThan(0);
		worker.child.kill('SIGKILL');
		await worker.exited;
		world.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'] };
		for (const job of pinned()) await world.xtts.setStatus(job.id, 'COMPLETED');
		await expect.poll(delivered, { timeout: 120_000, interval: 200 }).toBe(50);
		for (const payload of requests)
			expect(world.discord.requests.filter((request) => isUpload(request) && request.path.includes(payload.token))).toHaveLength(1);
		// Sent once each (a job whose generate request was on the wire at the kill would fail instead: none was), and
		// never more at the API than the server's cap.
		expect(world.xtts.generateRequests()).toHaveLength(50);
		expect(world.xtts.peakAtApi()).toBeLessThanOrEqual(5);
		for (const jobId of heldAtKill) expect(receiver.logs.some((line) => line.msg === 'job run started' && line.jobId === jobId && line.takeover)).toBe(true);

		// A member presses Again right after their result: it waits out the cooldown and comes by itself.
		// The member served last: their cooldown (counted from their job's start) is still running.
		const lastUpload = world.discord.requests.filter(isUpload).at(-1)!;
		const lastIndex = requests.findIndex((payload) => lastUpload.path.includes(payload.token));
		const last = requests[lastIndex]!;
		const result = world.discord.requests.filter((request) => isUpload(request) && request.path.includes(last.token)).at(-1)!;
		const components = (result.json as { components?: Array<{ components?: Array<{ custom_id?: string }> }> }).components ?? [];
		const againId = components.flatMap((row) => row.components ?? []).find((button) => button.custom_id?.startsWith('job:again:'))?.custom_id;
		expect(againId).toBeDefined();
		const base = chatInputPayload({ commandName: 'unused', guildId: server, user: { id: members[lastIndex]! } }) as unknown as Record<string, unknown>;
		const click = {
			...base,
			type: InteractionType.MessageComponent,
			data: { custom_id: againId, component_type: ComponentType.Button },
			message: { id: snowflake(), channel_id: String(base.channel_id), content: contentOf(result), components, attachments: [], embeds: [] },
		} as unknown as APIInteraction & { id: string; token: string };
		world.discord.registerInteraction(click as never);
		world.gateway.dispatch(GatewayDispatchEvents.InteractionCreate, click);
		await expect.poll(() => editsOf(world, click.token).some((request) => contentOf(request).includes('after your cooldown')), { timeout: 20_000 }).toBe(true);
		await expect
			.poll(() => world.discord.requests.filter((request) => isUpload(request) && request.path.includes(click.token)).length, { timeout: 45_000 })
			.toBe(1);
		expect(world.xtts.generateRequests()).toHaveLength(51);
		expect((await stop(receiver)).code).toBe(0);
	});

	it('sharding: with SHARD_COUNT=2 each process gets only its servers’ interactions, and a job one took is finished by the other after a kill -9', {
		timeout: 90_000,
	}, async () => {
		const [onFirst, onSecond] = [guildOn(310_000_000_000n), guildOn(310_000_000_001n)];
		expect([shardOf(onFirst, 2), shardOf(onSecond, 2)]).toEqual([0, 1]);
		const world = await startWorld({ guildIds: [onFirst, onSecond], recommendedShards: 2 });
		const env = (shard: number) => ({ ...world.env, STORE_URL: `${redis.url}/${db++}`, SHARD_COUNT: '2', SHARD_IDS: String(shard), JOB_LOCK_MS: '2000' });
		const sharedEnv = env(0);
		const first = startBot(sharedEnv);
		const second = startBot({ ...sharedEnv, SHARD_IDS: '1' });
		await Promise.all([ready(first), ready(second)]);
		// Each process identified as its own shard and was given its own server.
		expect(
			world.gateway
				.identifies()
				.map((identify) => identify.shard)
				.sort(),
		).toEqual([
			[0, 2],
			[1, 2],
		]);
		expect(first.logs.find((line) => line.msg === 'connected to Discord')).toMatchObject({ guilds: 1 });
		expect(second.logs.find((line) => line.msg === 'connected to Discord')).toMatchObject({ guilds: 1 });

		world.xtts.nextJob = { script: ['QUEUED'] };
		const here = cloneInteraction(world, { guildId: onFirst, userId: '1190000000000000101', text: 'first shard' });
		await first.waitForLog((line) => line.msg === 'clone requested' && line.guildId === onFirst, 20_000, 'the first shard’s request');
		const there = cloneInteraction(world, { guildId: onSecond, userId: '1190000000000000102', text: 'second shard' });
		await second.waitForLog((line) => line.msg === 'clone requested' && line.guildId === onSecond, 20_000, 'the second shard’s request');
		expect(first.logs.filter((line) => line.msg === 'clone requested').map((line) => line.guildId)).toEqual([onFirst]);
		expect(second.logs.filter((line) => line.msg === 'clone requested').map((line) => line.guildId)).toEqual([onSecond]);
		await world.xtts.waitForRequest(() => world.xtts.generateRequests().length === 2 && [...world.xtts.jobs.values()].every((job) => job.polls > 0), 20_000);

		first.child.kill('SIGKILL');
		await first.exited;
		for (const job of world.xtts.jobs.values()) await world.xtts.setStatus(job.id, 'COMPLETED');
		// The first shard's job, whichever process had it, is delivered by the second.
		await expect.poll(() => deliveredBy(second).length, { timeout: 30_000 }).toBe(2);
		for (const payload of [here, there])
			expect(world.discord.requests.filter((request) => isUpload(request) && request.path.includes(payload.token))).toHaveLength(1);
		expect(world.xtts.generateRequests()).toHaveLength(2);
		expect((await stop(second)).code).toBe(0);
	});
});
