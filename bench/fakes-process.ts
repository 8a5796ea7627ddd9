/**
 * The project's loopback fakes (test/fakes/*) in a process of their own, driven by bench/fakes.ts over IPC.
 * In production Discord and the XTTS API run elsewhere: here their CPU time (multipart parsing…) and memory
 * (the Discord fake keeps every upload) stay out of the bot's event loop and out of its RSS.
 */
import { setMaxListeners } from 'node:events';
import { snowflake, startFakeDiscord, type RecordedDiscordRequest } from '../test/fakes/discord-api.js';
import { makeWav, startFakeXtts, type RecordedRequest } from '../test/fakes/xtts-api.js';
import { BENCH_XTTS_KEY, memberOfText, type Counts, type FakeSettings, type FakesMessage, type FakesRequest } from './protocol.js';

const send = (message: FakesMessage) => process.send?.(message);
/**
 * Events go out together once per turn of the event loop: a burst of hundreds of requests would otherwise cost
 * the bench process (which is also the bot's) one IPC message each.
 */
let outbox: FakesMessage[] = [];
function flush(): void {
	const events = outbox;
	outbox = [];
	send({ ev: 'batch', events });
}
function emit(message: FakesMessage): void {
	if (outbox.length === 0) setImmediate(flush);
	outbox.push(message);
}
// The XTTS fake sends all its webhooks with one AbortSignal: many at once are expected here, not a leak.
setMaxListeners(0);

const xtts = await startFakeXtts({ apiKey: BENCH_XTTS_KEY });
// Discord's CDN is another host than its API: the bot keeps a connection pool for each, as in production.
const discord = await startFakeDiscord({ separateCdn: true });
const speaker = makeWav({ seconds: 4 });
const speakerUrl = discord.addAttachment('voice.wav', speaker, 'audio/x-wav');
let settings: FakeSettings = {};

/** Watches every request through the fakes' own waitForRequest: a predicate that never matches. */
function tap<R>(fake: { waitForRequest(pred: (request: R) => boolean, timeoutMs?: number): Promise<unknown> }, watch: (request: R) => void): void {
	const observe = (request: R) => {
		try {
			watch(request);
		} catch (error) {
			console.error('[bench fakes]', error);
		}
		return false;
	};
	fake.waitForRequest(observe, 2 ** 31 - 1).catch(() => undefined);
}

interface PendingJob {
	index: number;
	member: string;
	completed: boolean;
}
/** By creation order, which is the order of xtts.jobs. */
const pending: PendingJob[] = [];
let jobIds: string[] = [];
const jobIdAt = (index: number) => {
	if (jobIds.length <= index) jobIds = [...xtts.jobs.keys()];
	return jobIds[index];
};

tap<RecordedRequest>(xtts, (request) => {
	if (request.method !== 'POST' || !request.path.startsWith('/voice-clone/')) return;
	// The fake creates the job synchronously right after recording the request: it will be the next one in xtts.jobs.
	const job: PendingJob = { index: xtts.jobs.size, member: memberOfText((request.body as { text?: unknown } | undefined)?.text) ?? '', completed: false };
	pending[job.index] = job;
	const byChars = settings.jobTimeByChars;
	if (byChars) {
		const chars = String((request.body as { text?: unknown } | undefined)?.text ?? '').length;
		const share = Math.min(1, Math.max(0, (chars - byChars.minChars) / (byChars.maxChars - byChars.minChars)));
		const ms = (byChars.minMs + share * (byChars.maxMs - byChars.minMs)) * (1 + byChars.jitter * (2 * Math.random() - 1));
		setTimeout(() => void complete(job), ms);
	} else if (settings.completeAfterMs !== undefined) {
		setTimeout(() => void complete(job), settings.completeAfterMs + Math.random() * (settings.completeJitterMs ?? 0));
	}
});

tap<RecordedDiscordRequest>(discord, (request) => {
	const payload = (request.json ?? {}) as { type?: number; content?: unknown; data?: { content?: unknown } };
	const content = String(payload.content ?? payload.data?.content ?? '');
	const callback = /^\/interactions\/(\d+)\/[^/]+\/callback$/.exec(request.path);
	emit({
		ev: 'discord',
		at: request.at,
		method: request.method,
		...(callback ? { interactionId: callback[1]!, callbackType: Number(payload.type) } : {}),
		...(/<@(\d+)>/.exec(content) ? { member: /<@(\d+)>/.exec(content)![1]! } : {}),
		content: content.slice(0, 120),
		uploads: request.files.filter((file) => file.filename.startsWith('clone.')).map((file) => file.data.length),
	});
});

async function complete(job: PendingJob): Promise<{ member: string; at: number } | undefined> {
	const id = jobIdAt(job.index);
	if (!id || job.completed || pending[job.index] !== job) return undefined;
	job.completed = true;
	const at = Date.now();
	emit({ ev: 'completed', member: job.member, at });
	void xtts.setStatus(id, 'COMPLETED').catch((error: unknown) => console.error('[bench fakes]', error));
	return { member: job.member, at };
}

function configure(next: FakeSettings): void {
	settings = next;
	const bytes = next.mediaBytes;
	xtts.nextJob = {
		...(next.script ? { script: next.script } : {}),
		// 24 kHz 16-bit mono, as XTTS speaks.
		...(bytes ? { media: makeWav({ seconds: Math.max(0, bytes - 44) / 48_000, sampleRate: 24_000 }) } : {}),
	};
	if (next.holdUploadsMs) {
		const hold = next.holdUploadsMs;
		discord.respond('PATCH', /\/messages\/@original$/, async (request) => {
			if (request.files.length > 0) await new Promise((resolve) => setTimeout(resolve, hold));
			return { status: 200, body: { id: snowflake(), content: String(request.json?.content ?? '') } };
		});
	}
}

function counts(): Counts {
	return {
		jobs: xtts.jobs.size,
		generate: xtts.generateRequests().length,
		status: xtts.statusRequests().length,
		media: xtts.mediaRequests().length,
		webhooks: xtts.webhookDeliveries.length,
		peakAtApi: xtts.peakAtApi(),
	};
}

async function handle(request: FakesRequest): Promise<unknown> {
	switch (request.op) {
		case 'configure':
			return configure(request.settings);
		case 'completeNext': {
			const next = pending.find((job) => job && !job.completed && jobIdAt(job.index));
			return next ? complete(next) : undefined;
		}
		case 'completeAll':
			return (await Promise.all(pending.filter((job) => job && !job.completed).map(complete))).filter(Boolean).length;
		case 'counts':
			return counts();
		case 'statusPerJob':
			return [...xtts.jobs.keys()].map((id) => xtts.statusRequests(id).length);
	}
}

process.on('message', (request: FakesRequest) => {
	handle(request).then(
		(result) => send({ ev: 'reply', id: request.id, result }),
		(error: unknown) => send({ ev: 'reply', id: request.id, error: String(error) }),
	);
});
// The bench process going away (or closing the channel) ends this one.
process.on('disconnect', () => {
	void Promise.allSettled([xtts.close(), discord.close()]).then(() => process.exit(0));
});

send({ ev: 'ready', discordApiUrl: discord.apiUrl, discordOrigin: discord.origin, xttsOrigin: xtts.origin, speakerUrl, speakerBytes: speaker.length });
