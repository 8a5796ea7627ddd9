import { ApplicationCommandOptionType, ComponentType, InteractionType, MessageFlags, type APIApplicationCommandInteractionDataOption } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { detectFfmpeg } from '../src/audio/ffmpeg.js';
import { chatInputPayload, DEFAULT_CHANNEL_ID, DEFAULT_GUILD_ID, injectInteraction } from './fakes/discord-api.js';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, type Harness } from './helpers/harness.js';
import { readOggComments } from '../src/audio/ai-marking.js';

/** Results as Discord voice messages: the payload, the reply pointing to it, and the fallbacks. */

const ffmpeg = await detectFfmpeg();
if (!ffmpeg && process.env.REQUIRE_FFMPEG === '1') throw new Error('REQUIRE_FFMPEG=1 but ffmpeg (with libopus) is not on the PATH');

let h: Harness;
afterEach(async () => {
	await h?.close();
});

const isFinal = (content: string) => !content.startsWith('🎙️');
const voicePost = () => h.discord.waitForRequest((request) => request.method === 'POST' && request.path === `/channels/${DEFAULT_CHANNEL_ID}/messages`, 10_000);

describe.skipIf(!ffmpeg)('with ffmpeg', () => {
	it('voice_message:true posts an Ogg/Opus voice message with duration and waveform, and the reply points to it', async () => {
		h = await startHarness({ ffmpegPath: ffmpeg! });
		h.xtts.nextJob = { script: ['COMPLETED'], media: makeWav({ seconds: 2, sampleRate: 24_000 }) };
		const run = h.command({
			commandName: 'clone',
			options: [
				{ name: 'speaker', type: ApplicationCommandOptionType.Attachment, value: '1' },
				{ name: 'text', type: ApplicationCommandOptionType.String, value: 'Hello' },
				{ name: 'voice_message', type: ApplicationCommandOptionType.Boolean, value: true },
			],
			resolved: {
				attachments: {
					'1': {
						id: '1',
						filename: 'voice.wav',
						url: h.discord.addAttachment('voice.wav', makeWav({ seconds: 4 })),
						proxy_url: '',
						size: 128_000,
						content_type: 'audio/x-wav',
					},
				},
			},
		});
		const post = await voicePost();
		expect(post.json?.flags).toBe(MessageFlags.IsVoiceMessage);
		expect(post.json?.content ?? '').toBe('');
		const [meta] = (post.json?.attachments ?? []) as { filename: string; duration_secs: number; waveform: string }[];
		expect(meta?.filename).toBe('voice-message.ogg');
		expect(meta!.duration_secs).toBeCloseTo(2, 1);
		const waveform = Buffer.from(meta!.waveform, 'base64');
		expect(waveform.length).toBeGreaterThan(0);
		expect(waveform.length).toBeLessThanOrEqual(256);
		const [file] = post.files;
		expect(file?.filename).toBe('voice-message.ogg');
		expect(file!.data.subarray(0, 4).toString()).toBe('OggS');
		// Marked machine-readably as AI-generated, with the job's reference, in its Vorbis comment.
		expect(readOggComments(file!.data)?.comments.some((comment) => /^description=AI-generated \(XTTS v2\) · ref [\w-]+$/i.test(comment))).toBe(true);

		const final = await run.edit(isFinal, 10_000);
		expect(final.files).toHaveLength(0);
		expect(contentOf(final)).toMatch(new RegExp(`Posted as a voice message: https://discord.com/channels/${DEFAULT_GUILD_ID}/${DEFAULT_CHANNEL_ID}/\\d+`));
		// A voice message carries no text: the reply that links to it says it is AI-generated, and the license.
		expect(contentOf(final)).toContain('-# 🤖 AI-generated voice · requested by <@');
		expect(contentOf(final)).toContain('-# XTTS v2 · Coqui Public Model License: <https://coqui.ai/cpml>');
		const voiceMessageId = contentOf(final).match(/\/(\d+)$/m)?.[1];

		// Delete removes the voice message as well as the reply.
		await expect.poll(() => h.bot.runner.active).toBe(0);
		const deleteId = ((final.json?.components?.[0]?.components ?? []) as { custom_id: string }[])[1]!.custom_id;
		const base = chatInputPayload({ commandName: 'unused' }) as unknown as Record<string, unknown>;
		const click = {
			...base,
			type: InteractionType.MessageComponent,
			data: { custom_id: deleteId, component_type: ComponentType.Button },
			message: { id: '1', channel_id: DEFAULT_CHANNEL_ID, content: '', components: [], attachments: [], embeds: [] },
		};
		injectInteraction(h.client, click as never);
		await h.discord.waitForRequest((request) => request.method === 'DELETE' && request.path === `/channels/${DEFAULT_CHANNEL_ID}/messages/${voiceMessageId}`);
	});

	it('follows the server default set with /clone-settings voice-messages', async () => {
		h = await startHarness({ ffmpegPath: ffmpeg! });
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const options = [
			{
				name: 'voice-messages',
				type: ApplicationCommandOptionType.Subcommand,
				options: [{ name: 'enabled', type: ApplicationCommandOptionType.Boolean, value: true }],
			},
		] as APIApplicationCommandInteractionDataOption[];
		expect((await h.command({ commandName: 'clone-settings', options }).callback()).json?.data?.content).toContain(
			'now posts results as voice messages by default',
		);
		h.clone({ file: makeWav({ seconds: 4 }) });
		expect((await voicePost()).json?.flags).toBe(MessageFlags.IsVoiceMessage);
	});

	it('falls back to an audio file when the channel refuses voice messages', async () => {
		h = await startHarness({ ffmpegPath: ffmpeg! });
		h.xtts.nextJob = { script: ['COMPLETED'] };
		h.discord.respond('POST', /^\/channels\/\d+\/messages$/, { status: 403, body: { message: 'Missing Permissions', code: 50013 } });
		await h.bot.settings.setVoiceMessages(DEFAULT_GUILD_ID, true, '1');
		const final = await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal, 10_000);
		expect(final.files[0]?.filename).toBe('clone.wav');
	});
});

it('without ffmpeg, a voice message request gets a normal audio file', async () => {
	h = await startHarness({ ffmpegPath: null });
	h.xtts.nextJob = { script: ['COMPLETED'] };
	await h.bot.settings.setVoiceMessages(DEFAULT_GUILD_ID, true, '1');
	const final = await h.clone({ file: makeWav({ seconds: 4 }) }).edit(isFinal);
	expect(final.files[0]?.filename).toBe('clone.wav');
	expect(h.discord.requests.filter((request) => request.path.startsWith('/channels/'))).toHaveLength(0);
});
