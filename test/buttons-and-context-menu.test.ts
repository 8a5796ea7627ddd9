import {
	ApplicationCommandType,
	ComponentType,
	InteractionResponseType,
	InteractionType,
	MessageFlags,
	PermissionFlagsBits,
	PermissionsBitField,
	type APIInteraction,
	type APIMessage,
} from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { attachmentPayload, chatInputPayload, injectInteraction, snowflake, type RecordedDiscordRequest } from './fakes/discord-api.js';
import { DEFAULT_PAUSE_MS, parsePcmWav } from '../src/audio/join.js';
import { createJobRecords } from '../src/jobs/records.js';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, virtualClock, type Harness, type InjectedInteraction } from './helpers/harness.js';
import { messagePayload, voiceMessageAttachment } from './helpers/messages.js';

/** Buttons on job messages and "Clone this voice", through the real discord.js against the loopback fakes. */

let h: Harness;
afterEach(async () => {
	await h?.close();
});

const isFinal = (content: string) => !content.startsWith('🎙️');
const REQUESTER = '1180000000000000811';
const OTHER = '1180000000000000812';
const OGG_OPUS = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(24), Buffer.from('OpusHead'), Buffer.alloc(600)]);

/** The message a job's reply currently is, as Discord would send it with a component interaction. */
function messageOf(edit: RecordedDiscordRequest): APIMessage {
	return {
		id: snowflake(),
		channel_id: '1180000000000000200',
		content: contentOf(edit),
		components: edit.json?.components ?? [],
		attachments: [],
		embeds: [],
	} as never;
}

function customIds(edit: RecordedDiscordRequest): string[] {
	return (edit.json?.components ?? []).flatMap((row: { components: { custom_id: string }[] }) => row.components.map((component) => component.custom_id));
}

/** Clicks a button as `userId` (a real MESSAGE_COMPONENT interaction injected into the bot). */
function click(customId: string, message: APIMessage, userId: string, permissions = PermissionsBitField.Default.toString()) {
	const base = chatInputPayload({ commandName: 'unused', user: { id: userId }, memberPermissions: permissions }) as unknown as Record<string, unknown>;
	const payload = {
		...base,
		type: InteractionType.MessageComponent,
		data: { custom_id: customId, component_type: ComponentType.Button },
		message,
	} as unknown as APIInteraction;
	injectInteraction(h.client, payload);
	const { id, token } = payload as unknown as { id: string; token: string };
	return {
		token,
		callback: () => h.discord.waitForRequest((request) => request.path === `/interactions/${id}/${token}/callback`),
		requests: () => h.discord.requests.filter((request) => request.path.includes(`/${token}`)),
	};
}

async function runningJob(userId = REQUESTER): Promise<{ run: InjectedInteraction; progress: RecordedDiscordRequest; jobId: string }> {
	const run = h.clone({ file: makeWav({ seconds: 4 }), userId });
	const progress = await run.edit((content) => content.includes('**Queued**'));
	const cancelId = customIds(progress).find((customId) => customId.startsWith('job:cancel:'))!;
	return { run, progress, jobId: cancelId.split(':')[2]! };
}

describe('Cancel', () => {
	it('works only for the requester, frees the slot, and says the job may still be billed', async () => {
		h = await startHarness({ clock: virtualClock(Date.now(), 'manual') });
		h.xtts.nextJob = { script: ['QUEUED'] };
		const { run, progress, jobId } = await runningJob();
		expect(customIds(progress)).toEqual([`job:cancel:${jobId}`]);

		const stranger = click(`job:cancel:${jobId}`, messageOf(progress), OTHER);
		const refused = await stranger.callback();
		expect(refused.json?.data?.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
		expect(refused.json?.data?.content).toContain('Only the member who asked for this clone can cancel it');
		expect(h.bot.runner.active).toBe(1);

		const owner = click(`job:cancel:${jobId}`, messageOf(progress), REQUESTER);
		expect((await owner.callback()).json?.type).toBe(InteractionResponseType.DeferredMessageUpdate);
		const cancelled = await run.edit((content) => content.startsWith('🚫 Cancelled'));
		expect(contentOf(cancelled)).toContain('may still be billed');
		expect(cancelled.json?.components).toEqual([]);
		await expect.poll(() => h.bot.runner.active).toBe(0);

		// The member's slot is free again: a new request is accepted (after the cooldown).
		h.clock.advance(15_000);
		h.clone({ file: makeWav({ seconds: 4 }), userId: REQUESTER });
		await expect.poll(() => h.xtts.generateRequests().length).toBe(2);
	});

	it('pressed while the generate request is on the wire: the request finishes and is recorded, then the job is cancelled', async () => {
		const clock = virtualClock(Date.now(), 'manual');
		h = await startHarness({ clock });
		h.xtts.nextJob = { script: ['QUEUED'] };
		let answer!: () => void;
		h.xtts.failNextGenerate({ kind: 'delay', until: new Promise<void>((resolve) => (answer = resolve)) });
		const run = h.clone({ file: makeWav({ seconds: 4 }), userId: REQUESTER });
		await h.xtts.waitForRequest((request) => request.method === 'POST');
		// Slow to answer: after 2 s the reply says "Sending", with its Cancel button.
		await expect.poll(() => clock.sleepers()).toBeGreaterThanOrEqual(1);
		clock.advance(2_000);
		const sending = await run.edit((content) => content.includes('**Sending**'));
		const jobId = customIds(sending)[0]!.split(':')[2]!;

		const owner = click(`job:cancel:${jobId}`, messageOf(sending), REQUESTER);
		await owner.callback();
		answer();
		const cancelled = await run.edit((content) => content.startsWith('🚫 Cancelled'));
		expect(contentOf(cancelled)).toContain('may still be billed');
		// The request's id is known (for the host and the provider), and the reply never said "Queued".
		const record = await h.bot.runner.settled(jobId).then(() => createJobRecords(h.bot.stores).get(jobId));
		expect(record).toMatchObject({ state: 'cancelled', reachedApi: true, xtts: { requestId: h.xtts.lastJobId() } });
		expect(
			run
				.webhookRequests()
				.map(contentOf)
				.some((content) => content.includes('**Queued**')),
		).toBe(false);
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});

	it('a job still waiting in line is cancelled without ever reaching the API', async () => {
		h = await startHarness({ clock: virtualClock(Date.now(), 'manual'), env: { MAX_JOBS_IN_FLIGHT: '1' } });
		h.xtts.nextJob = { script: ['QUEUED'] };
		await runningJob(OTHER);
		const second = h.clone({ file: makeWav({ seconds: 4 }), userId: REQUESTER });
		const waiting = await second.edit((content) => content.includes('Waiting in line'));
		const jobId = customIds(waiting)[0]!.split(':')[2]!;

		await click(`job:cancel:${jobId}`, messageOf(waiting), REQUESTER).callback();
		const cancelled = await second.edit((content) => content.startsWith('🚫 Cancelled'));
		expect(contentOf(cancelled)).toContain('nothing was spent');
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});
});

describe('Again and Delete on a result', () => {
	it('Again makes a new take with the same voice, text and language', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const first = h.clone({ file: makeWav({ seconds: 4 }), text: 'Once more with feeling', language: 'fr', userId: REQUESTER });
		const result = await first.edit(isFinal);
		const jobId = customIds(result)[0]!.split(':')[2]!;
		expect(customIds(result)).toEqual([`job:again:${jobId}`, `job:delete:${jobId}`, `report:open:${jobId}`]);

		// The uploader's own new take (another member's Again asks the uploader first: consent.test.ts). After the cooldown.
		await h.bot.runner.settled(jobId);
		h.clock.advance(16_000);
		const again = click(`job:again:${jobId}`, messageOf(result), REQUESTER);
		expect((await again.callback()).json?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
		const take = await h.discord.waitForRequest((request) => request.method === 'PATCH' && request.path.includes(again.token) && request.files.length > 0);
		expect(take.files[0]?.filename).toBe('clone.wav');
		const [one, two] = h.xtts.generateRequests().map((request) => request.body);
		expect(two).toEqual(one);
		expect(two).toMatchObject({ text: 'Once more with feeling', language: 'fr' });
	});

	it('Again is refused politely when the speaker link has expired', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const expired = `${h.discord.addAttachment('voice.wav', makeWav({ seconds: 4 }))}?ex=${Math.floor(Date.now() / 1000 + 60).toString(16)}&is=0&hm=abc`;
		const run = h.command({
			commandName: 'clone',
			user: { id: REQUESTER },
			options: [
				{ name: 'speaker', type: 11, value: '1' },
				{ name: 'text', type: 3, value: 'hi' },
			],
			resolved: { attachments: { '1': attachmentPayload({ id: '1', filename: 'voice.wav', url: expired, size: 1000, contentType: 'audio/x-wav' }) } },
		});
		const result = await run.edit(isFinal);
		h.clock.advance(2 * 60 * 1000); // past the link's ex= time
		const again = click(customIds(result)[0]!, messageOf(result), REQUESTER);
		const answer = await again.callback();
		expect(answer.json?.data?.content).toContain('link has expired');
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});

	it('Delete: the requester or Manage Messages, nobody else', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const result = await h.clone({ file: makeWav({ seconds: 4 }), userId: REQUESTER }).edit(isFinal);
		const deleteId = customIds(result)[1]!;

		const stranger = click(deleteId, messageOf(result), OTHER);
		expect((await stranger.callback()).json?.data?.content).toContain(
			'Only the member who asked for this clone, the member whose voice it is, or a moderator with Manage Messages can delete it',
		);

		const moderator = click(deleteId, messageOf(result), OTHER, (PermissionsBitField.Default | PermissionFlagsBits.ManageMessages).toString());
		await moderator.callback();
		await h.discord.waitForRequest((request) => request.method === 'DELETE' && request.path.includes(moderator.token));

		const owner = click(deleteId, messageOf(result), REQUESTER);
		await owner.callback();
		await h.discord.waitForRequest((request) => request.method === 'DELETE' && request.path.includes(owner.token));
	});

	it('buttons keep working after a restart, and expire gracefully', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const result = await h.clone({ file: makeWav({ seconds: 4 }), userId: REQUESTER }).edit(isFinal);
		await h.restart();

		const again = click(customIds(result)[0]!, messageOf(result), REQUESTER);
		await h.discord.waitForRequest((request) => request.method === 'PATCH' && request.path.includes(again.token) && request.files.length > 0);

		// Delete, pressed after the restart by the requester, still removes the result.
		const remove = click(customIds(result)[1]!, messageOf(result), REQUESTER);
		await remove.callback();
		await h.discord.waitForRequest((request) => request.method === 'DELETE' && request.path.includes(remove.token));

		const stale = click('job:again:nosuchjob123', messageOf(result), OTHER);
		expect((await stale.callback()).json?.data?.content).toContain('This button has expired');
	});
});

describe('the router', () => {
	it('an unknown or outdated button gets a private answer in the member’s language, and nothing runs', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const result = await h.clone({ file: makeWav({ seconds: 4 }), userId: REQUESTER }).edit(isFinal);
		for (const customId of ['old-feature:do:1', 'job:explode:1', 'job']) {
			const pressed = click(customId, messageOf(result), OTHER);
			const answer = await pressed.callback();
			expect(answer.json?.type).toBe(InteractionResponseType.ChannelMessageWithSource);
			expect(answer.json?.data?.flags).toBe(MessageFlags.Ephemeral);
			expect(answer.json?.data?.content).toBe('⌛ This button or form is no longer active. Please run the command again.');
		}
		expect(h.xtts.generateRequests()).toHaveLength(1);
		expect(h.logs.filter((line) => line.includes('interaction the bot does not handle'))).toHaveLength(1);
	});

	it('a form or a command this version does not have is answered too (German member)', async () => {
		h = await startHarness();
		const form = await h.submitModal({ customId: 'survey:42', text: 'hi', language: '', userId: REQUESTER, locale: 'de' }).callback();
		expect(form.json?.data).toMatchObject({
			flags: MessageFlags.Ephemeral,
			content: '⌛ Diese Schaltfläche oder dieses Formular ist nicht mehr aktiv. Bitte führ den Befehl noch einmal aus.',
		});
		const command = await h.command({ commandName: 'retired-command', user: { id: REQUESTER } }).callback();
		expect(command.json?.data).toMatchObject({ flags: MessageFlags.Ephemeral, content: expect.stringContaining('This command is no longer available') });
		expect(h.xtts.requests).toHaveLength(0);
	});
});

describe('"Clone this voice" on a message', () => {
	function contextMenu(attachments: ReturnType<typeof attachmentPayload>[]) {
		// The member's own message: their own voice needs nobody's permission (consent.test.ts covers the rest).
		const message = messagePayload({ author: { id: REQUESTER }, attachments });
		const messageId = message.id;
		return h.command({
			commandName: 'Clone this voice',
			commandType: ApplicationCommandType.Message,
			targetId: messageId,
			user: { id: REQUESTER },
			resolved: { messages: { [messageId]: message } } as never,
		});
	}

	const submitModal = (customId: string, text: string, language = '') => h.submitModal({ customId, text, language, userId: REQUESTER });

	it('on a voice message: a modal for the text, then the same pipeline as /clone with that audio', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const url = h.discord.addAttachment('voice-message.ogg', OGG_OPUS, 'audio/ogg');
		const menu = contextMenu([voiceMessageAttachment(url, OGG_OPUS.length)]);
		const modal = await menu.callback();
		expect(modal.json?.type).toBe(InteractionResponseType.Modal);
		expect(modal.json?.data?.title).toBe('Clone this voice');
		expect(h.xtts.requests).toHaveLength(0);

		const submitted = submitModal(modal.json?.data?.custom_id, 'Hallo zusammen', 'German');
		expect((await submitted.callback()).json?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
		const final = await submitted.final();
		expect(final.files[0]?.filename).toBe('clone.wav');
		expect(h.xtts.generateRequests()[0]?.body).toMatchObject({ speaker: url, text: 'Hallo zusammen', language: 'de' });
	});

	it('as a member would: a voice message, 1200 characters in the form, one audio file of every part in order', async () => {
		h = await startHarness();
		const partMedia = (index: number) => makeWav({ seconds: 0.1 * (index + 1), sampleRate: 24_000 });
		h.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'], media: partMedia };
		const text = 'The quick brown fox jumps over the lazy dog near the riverbank at dawn. '.repeat(17).trim();
		expect(text.length).toBeGreaterThanOrEqual(1_200);
		const url = h.discord.addAttachment('voice-message.ogg', OGG_OPUS, 'audio/ogg');
		const menu = contextMenu([voiceMessageAttachment(url, OGG_OPUS.length)]);
		const modal = await menu.callback();
		const final = await submitModal(modal.json?.data?.custom_id, text).final();

		const sent = h.xtts.generateRequests().map((request) => request.body as { speaker: string; text: string });
		expect(sent.length).toBeGreaterThan(1);
		expect(sent.every((request) => request.speaker === url)).toBe(true);
		expect(final.files).toHaveLength(1);
		const joined = parsePcmWav(final.files[0]!.data)!.data;
		const pause = Buffer.alloc(Math.round((DEFAULT_PAUSE_MS / 1000) * 24_000) * 2);
		const parts = sent.map((_, index) => parsePcmWav(partMedia(index))!.data);
		expect(Buffer.compare(joined, Buffer.concat(parts.flatMap((part, index) => (index === 0 ? [part] : [pause, part]))))).toBe(0);
	});

	it('a message with no audio gets a private explanation', async () => {
		h = await startHarness();
		const menu = contextMenu([
			attachmentPayload({
				filename: 'cat.png',
				url: h.discord.addAttachment('cat.png', Buffer.from('png')),
				size: 3,
				contentType: 'image/png',
				ephemeral: false,
			}),
		]);
		const answer = await menu.callback();
		expect(answer.json?.data?.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
		expect(answer.json?.data?.content).toContain('This message has no audio to clone');
	});

	it('picks the first attachment the voice service can use, and explains before the form when none can', async () => {
		h = await startHarness();
		const flac = attachmentPayload({
			filename: 'song.flac',
			url: h.discord.addAttachment('song.flac', Buffer.from('fLaC')),
			size: 4,
			contentType: 'audio/flac',
			ephemeral: false,
		});
		const wav = makeWav({ seconds: 4 });
		const voice = attachmentPayload({
			filename: 'voice.wav',
			url: h.discord.addAttachment('voice.wav', wav, 'audio/x-wav'),
			size: wav.length,
			contentType: 'audio/x-wav',
			ephemeral: false,
		});
		const modal = await contextMenu([flac, voice]).callback();
		expect(modal.json?.type).toBe(InteractionResponseType.Modal);
		h.xtts.nextJob = { script: ['COMPLETED'] };
		await submitModal(modal.json?.data?.custom_id, 'Hello there').final();
		expect(((h.xtts.generateRequests()[0]?.body ?? {}) as { speaker: string }).speaker).toBe(voice.url);

		const refused = await contextMenu([flac]).callback();
		expect(refused.json?.type).toBe(InteractionResponseType.ChannelMessageWithSource);
		expect(refused.json?.data?.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
		expect(refused.json?.data?.content).toContain("`song.flac` doesn't have a supported file type");
	});

	it('an unknown language in the modal is refused with the list', async () => {
		h = await startHarness();
		const url = h.discord.addAttachment('voice-message.ogg', OGG_OPUS, 'audio/ogg');
		const modal = await contextMenu([
			attachmentPayload({ filename: 'voice-message.ogg', url, size: OGG_OPUS.length, contentType: 'audio/ogg', ephemeral: false }),
		]).callback();
		const answer = await submitModal(modal.json?.data?.custom_id, 'hi', 'Klingon').callback();
		expect(answer.json?.data?.content).toContain('is not a language the voice service speaks');
		expect(h.xtts.requests).toHaveLength(0);
	});
});
