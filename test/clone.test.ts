import { InteractionResponseType, MessageFlags } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, TEST_BOT_TOKEN, virtualClock, XTTS_KEY, type Harness } from './helpers/harness.js';
import { expectMarkedCopy } from './helpers/audio.js';

/** /clone end to end: the real discord.js against the loopback Discord and XTTS fakes, a real SQLite store. */

let h: Harness;

beforeEach(async () => {
	h = await startHarness();
});

afterEach(async () => {
	await h.close();
});

const isFinal = (content: string) => !content.startsWith('🎙️');

// A minimal MPEG-1 Layer III frame header, then padding: enough for format sniffing.
const MP3_BYTES = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(1200)]);
// An Ogg page whose first packet is an OpusHead.
const OGG_OPUS_BYTES = Buffer.concat([
	Buffer.from('OggS'),
	Buffer.from([0, 2, ...Array(8).fill(0), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 19]),
	Buffer.from('OpusHead'),
	Buffer.alloc(600),
]);
const PNG_BYTES = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('\0\0\0\rIHDR'), Buffer.alloc(100)]);

describe('/clone happy path', () => {
	it('acknowledges publicly at once and ends with clone.wav holding exactly the API’s bytes', async () => {
		const output = makeWav({ seconds: 1.5, sampleRate: 24_000 });
		h.xtts.nextJob = { script: ['QUEUED', 'PROCESSING', 'COMPLETED'], media: output };

		const run = h.clone({ file: makeWav({ seconds: 4 }), text: 'Hello *world*, this is me.' });

		const callback = await run.callback();
		expect(callback.json).toMatchObject({ type: InteractionResponseType.DeferredChannelMessageWithSource });
		expect((callback.json?.data?.flags ?? 0) & MessageFlags.Ephemeral).toBe(0);
		expect(callback.at - run.injectedAt).toBeLessThan(3_000);

		const final = await run.edit(isFinal);
		expect(final.files).toHaveLength(1);
		expect(final.files[0]?.filename).toBe('clone.wav');
		expectMarkedCopy(final.files[0]!.data, output);
		const content = contentOf(final);
		expect(content).toContain('Cloned voice for <@');
		expect(content).toContain('> Hello \\*world\\*, this is me.');
		expect(content).toContain('English — your Discord language');
		expect(final.json?.allowed_mentions).toEqual({ parse: [] });
		// The attachment's id is a string, as Discord's snowflakes are and as discord.js sends it itself.
		expect(final.json?.attachments).toEqual([{ id: '0', filename: 'clone.wav' }]);

		const [generate] = h.xtts.generateRequests();
		expect(generate?.body).toEqual({ speaker: run.speakerUrl, text: 'Hello *world*, this is me.', language: 'en', cleanup_voice: false });
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});

	it('keeps no member or user of an interaction in discord.js’s caches (memory would grow with every member)', async () => {
		const member = '190000000000000042';
		await h.clone({ file: makeWav({ seconds: 4 }), userId: member }).edit(isFinal);
		expect(h.client.users.cache.has(member)).toBe(false);
		expect(h.client.users.cache.has(h.client.user!.id)).toBe(true);
		expect(h.client.guilds.cache.reduce((count, guild) => count + guild.members.cache.size, 0)).toBe(0);
	});

	it('shows queued and processing progress, each edit only when the status changes', async () => {
		h.xtts.nextJob = { script: ['QUEUED', 'QUEUED', 'QUEUED', 'PROCESSING', 'PROCESSING', 'COMPLETED'] };
		const run = h.clone({ file: makeWav({ seconds: 4 }) });
		await run.edit(isFinal);

		const progress = run
			.webhookRequests()
			.filter((request) => request.method === 'PATCH')
			.map(contentOf)
			.filter((content) => !isFinal(content));
		expect(progress.map((content) => content.match(/\*\*(\w+)\*\*/)?.[1])).toEqual(['Sending', 'Queued', 'Processing']);
		expect(progress[1]).toMatch(/Started <t:\d+:R>/);
	});

	it('says "Sending" only when the API is slow to take the job; a quick 202 goes straight to "Queued"', async () => {
		await h.close();
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock });
		const phases = (run: ReturnType<Harness['clone']>) =>
			run
				.webhookRequests()
				.filter((request) => request.method === 'PATCH')
				.map((request) => contentOf(request).match(/\*\*(\w+)\*\*/)?.[1]);

		h.xtts.nextJob = { script: ['QUEUED'] };
		const quick = h.clone({ file: makeWav({ seconds: 4 }) });
		await quick.edit((content) => content.includes('**Queued**'));
		expect(phases(quick)).toEqual(['Queued']);

		// Busy: a 429 whose Retry-After (5 s) the client honours before sending again.
		h.xtts.failNextGenerate({ kind: 'status', status: 429, headers: { 'retry-after': '5' }, body: { error: 'Too Many Requests' } });
		const slow = h.clone({ file: makeWav({ seconds: 4 }) });
		await expect.poll(() => h.xtts.generateRequests().length).toBe(2);
		await expect.poll(() => clock.sleepers()).toBeGreaterThanOrEqual(3); // quick's poll, slow's retry and its notice
		clock.advance(2_000);
		await slow.edit((content) => content.includes('**Sending**'));
		clock.advance(3_000);
		await slow.edit((content) => content.includes('**Queued**'));
		expect(phases(slow)).toEqual(['Sending', 'Queued']);
	});

	it('passes the language and cleanup_voice options through', async () => {
		const run = h.clone({ file: makeWav({ seconds: 4 }), language: 'de', cleanupVoice: true });
		const final = await run.edit(isFinal);
		expect(h.xtts.generateRequests()[0]?.body).toMatchObject({ language: 'de', cleanup_voice: true });
		expect(contentOf(final)).toContain('German — chosen');
	});

	it.each([
		['mp3', MP3_BYTES, 'clone.mp3'],
		['ogg/opus', OGG_OPUS_BYTES, 'clone.ogg'],
	])('names %s output by its bytes, not by the API’s output.ext', async (_name, media, filename) => {
		h.xtts.nextJob = { script: ['COMPLETED'], media };
		const final = await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal);
		expect(final.files[0]?.filename).toBe(filename);
		expect(Buffer.compare(final.files[0]!.data, media)).toBe(0);
	});

	it('accepts a Discord voice message (ogg) and uses its duration for the hint', async () => {
		const final = await h.clone({ file: OGG_OPUS_BYTES, filename: 'voice-message.ogg', contentType: 'audio/ogg', durationSecs: 2.2 }).edit(isFinal);
		expect(contentOf(final)).toContain('Your voice sample is 2.2 s long; 3–10 s');
	});

	it('accepts clips outside 3–10 s with a hint, reading the WAV header', async () => {
		const final = await h.clone({ file: makeWav({ seconds: 14 }) }).edit(isFinal);
		expect(contentOf(final)).toContain('Your voice sample is 14 s long');
	});

	it('posts the link instead of the file when the output is over the upload limit', async () => {
		const output = makeWav({ seconds: 2, sampleRate: 48_000 }); // ~190 KiB
		h.xtts.nextJob = { script: ['COMPLETED'], media: output };
		const run = h.clone({ file: makeWav({ seconds: 4 }), extra: { attachmentSizeLimit: 100 * 1024 } });
		const final = await run.edit(isFinal);

		expect(final.files).toHaveLength(0);
		const mediaUrl = `${h.xtts.origin}/media/${h.xtts.lastJobId()}/output.ext`;
		expect(contentOf(final)).toContain(`The audio is 188 KiB, over this channel's 100 KiB upload limit, so here is the link instead: ${mediaUrl}`);
		// Refused on its announced size: one request, and not a byte of it kept.
		expect(h.xtts.mediaRequests()).toHaveLength(1);
	});

	it('a streamed output with no announced size is cut off at the upload limit, never read whole', async () => {
		const output = Buffer.concat([makeWav({ seconds: 1, sampleRate: 24_000 }), Buffer.alloc(16 * 1024 * 1024)]); // 16 MiB
		h.xtts.nextJob = { script: ['COMPLETED'], media: output, chunkedMedia: true };
		const final = await h.clone({ file: makeWav({ seconds: 4 }), extra: { attachmentSizeLimit: 100 * 1024 } }).edit(isFinal);

		expect(final.files).toHaveLength(0);
		expect(contentOf(final)).toContain("The audio is larger than this channel's 100 KiB upload limit, so here is the link instead:");
		// The fake could hand the socket only what the bot read, plus what the kernel's buffers hold.
		expect(h.xtts.jobs.get(h.xtts.lastJobId()!)!.mediaBytesSent).toBeLessThan(output.length / 4);
	});

	it('the media download failing: a message saying the audio was made but could not be fetched', async () => {
		h.xtts.nextJob = { script: ['COMPLETED'] };
		h.xtts.failNextMedia({ kind: 'drop' }, { kind: 'drop' }, { kind: 'drop' }, { kind: 'drop' }, { kind: 'drop' });
		const final = await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal);
		expect(contentOf(final)).toContain('the bot could not fetch it from the voice service');
		expect(contentOf(final)).toMatch(/Reference: `[\w-]{12}`/);
	});
});

describe('/clone refuses bad input privately, with no API call', () => {
	const refusedWith = async (run: ReturnType<Harness['clone']>, expected: string) => {
		const callback = await run.callback();
		expect(callback.json?.type).toBe(InteractionResponseType.ChannelMessageWithSource);
		expect(callback.json?.data?.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
		expect(callback.json?.data?.content).toContain(expected);
		expect(h.xtts.requests).toHaveLength(0);
	};

	// What only the file's bytes reveal is known after the acknowledgement (the head comes from Discord's CDN):
	// the public "thinking…" is withdrawn and the member alone is told.
	const withdrawnWith = async (run: ReturnType<Harness['clone']>, expected: string) => {
		const callback = await run.callback();
		expect(callback.json?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
		const followUp = await run.followUp();
		expect(followUp.json?.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
		expect(contentOf(followUp)).toContain(expected);
		const requests = run.webhookRequests();
		const withdrawn = requests.findIndex((request) => request.method === 'DELETE' && request.path.endsWith('/messages/@original'));
		expect(withdrawn).toBeGreaterThanOrEqual(0);
		expect(withdrawn).toBeLessThan(requests.indexOf(followUp));
		// Nothing public was written into the reply before it went.
		expect(requests.filter((request) => request.method === 'PATCH')).toHaveLength(0);
		expect(h.xtts.requests).toHaveLength(0);
	};

	it('where the public "thinking…" cannot be withdrawn, the answer takes its place rather than vanish', async () => {
		h.discord.respond('DELETE', /\/messages\/@original$/, { status: 500, body: { message: '500: Internal Server Error', code: 0 } });
		const run = h.clone({ file: PNG_BYTES, filename: 'voice.wav', contentType: 'audio/x-wav' });
		const answer = await run.edit(() => true);
		expect(contentOf(answer)).toContain('is not an audio file the voice service can read');
		// No follow-up: it would have resolved the public reply anyway.
		expect(run.webhookRequests().filter((request) => request.method === 'POST')).toHaveLength(0);
		expect(h.xtts.requests).toHaveLength(0);
	});

	it('a PNG renamed voice.wav (content type, extension and bytes are all checked)', async () => {
		const run = h.clone({ file: PNG_BYTES, filename: 'voice.wav', contentType: 'audio/x-wav' });
		await withdrawnWith(run, 'is not an audio file the voice service can read');
		// Only the head of the file was fetched.
		expect(h.discord.attachmentRequests().at(-1)?.range).toMatch(/^bytes=0-/);
	});

	it('an image content type', async () => {
		await refusedWith(h.clone({ file: PNG_BYTES, filename: 'voice.png', contentType: 'image/png' }), 'is not an audio file');
	});

	it('an unsupported extension', async () => {
		await refusedWith(h.clone({ file: makeWav(), filename: 'voice.aiff', contentType: null }), "doesn't have a supported file type");
	});

	it('a WAV under 1 s (its header tells)', async () => {
		await withdrawnWith(h.clone({ file: makeWav({ seconds: 0.5 }) }), 'only 0.5 s long');
	});

	it('a voice message under 1 s (Discord says how long it is)', async () => {
		await refusedWith(
			h.clone({ file: makeWav({ seconds: 0.5 }), filename: 'voice-message.ogg', contentType: 'audio/ogg', durationSecs: 0.5 }),
			'only 0.5 s long',
		);
		expect(h.discord.attachmentRequests()).toHaveLength(0);
	});

	it('a file over 20 MiB (by its size, before any download)', async () => {
		const big = h.clone({ file: Buffer.alloc(21 * 1024 * 1024, 1), filename: 'long.wav' });
		const callback = await big.callback();
		expect(callback.json?.data?.content).toContain('The voice file is 21 MiB; the limit is 20 MiB');
		expect(h.xtts.requests).toHaveLength(0);
		expect(h.discord.attachmentRequests().filter((request) => request.path.endsWith('/long.wav'))).toHaveLength(0);
	});

	it('text of only whitespace', async () => {
		await refusedWith(h.clone({ file: makeWav({ seconds: 4 }), text: '   \n  ' }), 'the text is empty');
	});

	it('text over 2000 characters, even when a client bypasses max_length', async () => {
		await refusedWith(h.clone({ file: makeWav({ seconds: 4 }), text: 'a'.repeat(2001) }), 'The text is 2001 characters long; the limit is 2000');
	});
});

describe('/clone failures end in a message the member understands, and the bot stays up', () => {
	const failsWith = async (setup: () => void, expected: string[], forbidden: string[] = []) => {
		setup();
		const final = await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal);
		const content = contentOf(final);
		for (const text of expected) expect(content).toContain(text);
		for (const text of [...forbidden, XTTS_KEY, TEST_BOT_TOKEN]) expect(content).not.toContain(text);
		expect(content).toMatch(/Reference: `[\w-]{12}`/);
		expect(final.files).toHaveLength(0);

		// The process keeps running: the next request goes through.
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const next = await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal);
		expect(next.files[0]?.filename).toBe('clone.wav');
		return content;
	};

	it('402: the balance is used up; tell the admins, then stop asking the API for a while', async () => {
		h.xtts.failNextGenerate({ kind: 'status', status: 402, body: { error: 'Insufficient Balance', message: 'Your wallet does not have enough balance.' } });
		const final = await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal);
		expect(contentOf(final)).toContain('run out of balance');
		expect(contentOf(final)).toContain("tell the server's admins or the bot's host");
		expect(contentOf(final)).toMatch(/Reference: `[\w-]{12}`/);

		// The next request is answered at once, privately, without calling the API again.
		const next = await h.clone({ file: makeWav({ seconds: 4 }) }).callback();
		expect(next.json?.data?.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
		expect(next.json?.data?.content).toContain('run out of balance');
		expect(h.xtts.generateRequests()).toHaveLength(1);

		// After the pause the bot tries again.
		h.clock.advance(10 * 60 * 1000);
		const later = await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal);
		expect(later.files[0]?.filename).toBe('clone.wav');
		expect(h.xtts.generateRequests()).toHaveLength(2);
	});

	it.each([401, 403])('%i: the bot is misconfigured, and the key is never echoed', async (status) => {
		await failsWith(() => h.xtts.failNextGenerate({ kind: 'status', status }), ['The bot is misconfigured']);
	});

	it('400 Model not found: the service is unavailable for now', async () => {
		await failsWith(
			() =>
				h.xtts.failNextGenerate({ kind: 'status', status: 400, body: { error: 'Model not found', message: "Model 'xtts-v2-api' not found or is disabled" } }),
			['The voice service is unavailable right now'],
		);
	});

	it('429 that persists: busy, try again in a minute (after automatic retries)', async () => {
		await failsWith(
			() => h.xtts.failNextGenerate(...Array.from({ length: 5 }, () => ({ kind: 'status' as const, status: 429, headers: { 'retry-after': '0' } }))),
			['busy. Please try again in a minute'],
		);
		expect(h.xtts.generateRequests()).toHaveLength(6); // 5 refused + the next member's request
	});

	it('an error of the bot’s own after the acknowledgement: the member alone is told, with the logged reference', async () => {
		// The job store gives way under the bot (a disk gone read-only, say).
		await h.bot.stores.activeJobs.disconnect();
		const run = h.clone({ file: makeWav({ seconds: 4 }) });
		expect((await run.callback()).json?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
		const answer = await run.followUp();
		expect(answer.json?.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
		expect(contentOf(answer)).toContain("Something went wrong on the bot's side");
		const reference = /Reference: `([\w-]+)`/.exec(contentOf(answer))?.[1];
		expect(reference).toBeDefined();
		// The public "thinking…" went first, so the follow-up is a message of its own, not the reply made private.
		expect(run.webhookRequests().some((request) => request.method === 'DELETE' && request.path.endsWith('/messages/@original'))).toBe(true);
		expect(h.logs.some((line) => line.includes('"interaction failed"') && line.includes(reference!))).toBe(true);
		expect(h.xtts.requests).toHaveLength(0);
	});

	it('status requests refused with 429 until the deadline: busy, not "took too long"', async () => {
		await h.close();
		h = await startHarness({ env: { XTTS_JOB_TIMEOUT_MS: '10000' } });
		h.xtts.nextJob = { script: ['QUEUED'] };
		h.xtts.failNextStatus(...Array.from({ length: 200 }, () => ({ kind: 'status' as const, status: 429, headers: { 'retry-after': '1' } })));
		const content = contentOf(await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal));
		expect(content).toContain('busy. Please try again in a minute');
		expect(content).not.toContain('took too long');
	});

	it('FAILED: the API’s error text, with the request id', async () => {
		const content = await failsWith(
			() => (h.xtts.nextJob = { script: ['QUEUED', 'FAILED'], error: 'Speaker audio could not be decoded' }),
			['could not clone this: Speaker audio could not be decoded', 'request `xtts-v2-api_'],
		);
		expect(content).toContain(`request \`${[...h.xtts.jobs.keys()][0]}\``);
	});

	it('ERROR: a provider error, not charged, try again', async () => {
		await failsWith(() => (h.xtts.nextJob = { script: ['PROCESSING', 'ERROR'] }), ['internal error (you were not charged)']);
	});

	it('a job that outlives XTTS_JOB_TIMEOUT_MS: a timeout message', async () => {
		await failsWith(() => (h.xtts.nextJob = { script: ['QUEUED'] }), ['took too long']);
		// The default 5 s cadence over the 10 min deadline: about 120 polls, no more.
		const polls = h.xtts.statusRequests([...h.xtts.jobs.keys()][0]).length;
		expect(polls).toBeGreaterThanOrEqual(119);
		expect(polls).toBeLessThanOrEqual(120);
	});

	it('the API unreachable: a network message', async () => {
		h.xtts.failNextGenerate({ kind: 'drop' });
		await failsWith(() => undefined, ['could not reach the voice service']);
	});

	it('status requests failing for a while do not lose the job', async () => {
		h.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'] };
		h.xtts.failNextStatus(...Array.from({ length: 12 }, () => ({ kind: 'status' as const, status: 503 })));
		const final = await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal);
		expect(final.files[0]?.filename).toBe('clone.wav');
	});

	it('logs errors with context and never a secret', async () => {
		h.xtts.failNextGenerate({ kind: 'status', status: 401, body: { error: 'Unauthorized', message: `bad key ${XTTS_KEY}` } });
		await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal);
		const failed = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'job failed');
		expect(failed).toMatchObject({ level: 'warn', kind: 'auth', jobId: expect.any(String) });
		const all = h.logs.join('\n');
		expect(all).not.toContain(XTTS_KEY);
		expect(all).not.toContain(TEST_BOT_TOKEN);
	});
});
