import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	ApplicationCommandOptionType,
	ChannelType,
	DiscordAPIError,
	InteractionContextType,
	InteractionResponseType,
	MessageFlags,
	Partials,
	Routes,
	type ChatInputCommandInteraction,
	type Client,
	type Interaction,
} from 'discord.js';
import {
	DEFAULT_APPLICATION_ID,
	DEFAULT_CHANNEL_ID,
	DEFAULT_GUILD_ID,
	DEFAULT_USER_ID,
	attachmentPayload,
	cacheGuild,
	chatInputPayload,
	createTestClient,
	injectInteraction,
	startFakeDiscord,
	type FakeDiscord,
} from './discord-api.js';

let fake: FakeDiscord;
let client: Client<true>;

beforeEach(async () => {
	fake = await startFakeDiscord();
	client = createTestClient(fake);
});

afterEach(async () => {
	await client.destroy();
	await fake.close();
});

/** Register a one-shot chat input handler; resolves/rejects with the handler's outcome. */
function handleNext<T>(fn: (i: ChatInputCommandInteraction) => Promise<T>): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		client.once('interactionCreate', (i: Interaction) => {
			if (!i.isChatInputCommand()) return reject(new Error(`unexpected interaction type ${i.type}`));
			fn(i).then(resolve, reject);
		});
	});
}

describe('fake Discord API driven by the real discord.js', () => {
	it('client is wired like a logged-in bot without a gateway', () => {
		expect(client.isReady()).toBe(true);
		expect(client.user.id).toBe(DEFAULT_APPLICATION_ID);
		expect(client.application.id).toBe(DEFAULT_APPLICATION_ID);
		expect(client.options.rest?.api).toBe(fake.apiUrl);
		expect(fake.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
	});

	it('/ping in an uncached guild: deferReply + editReply with a file are serialized by discord.js', async () => {
		const payload = chatInputPayload({ commandName: 'ping', attachmentSizeLimit: 25 * 1024 * 1024 });
		const done = handleNext(async (i) => {
			expect(i.commandName).toBe('ping');
			expect(i.guildId).toBe(DEFAULT_GUILD_ID);
			expect(i.channelId).toBe(DEFAULT_CHANNEL_ID);
			expect(i.inGuild()).toBe(true);
			expect(i.inRawGuild()).toBe(true); // no guild cache, like a real bot whose guild is not cached
			expect(i.guild).toBeNull();
			expect(i.channel).toBeNull();
			expect(i.user.id).toBe(DEFAULT_USER_ID);
			expect(i.attachmentSizeLimit).toBe(25 * 1024 * 1024);
			expect(i.context).toBe(InteractionContextType.Guild);
			await i.deferReply();
			return i.editReply({ content: 'hi', files: [{ attachment: Buffer.from('abc'), name: 'clone.wav' }] });
		});
		injectInteraction(client, payload);
		const msg = await done;

		const callback = await fake.waitForRequest((r) => r.path === `/interactions/${payload.id}/${payload.token}/callback`);
		expect(callback.method).toBe('POST');
		expect(callback.json).toEqual({ type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: 0 } });
		expect(callback.query).toBe('with_response=false');
		expect(callback.headers.authorization).toBeUndefined(); // interaction routes are sent with auth: false

		const patch = await fake.waitForRequest(
			(r) => r.method === 'PATCH' && r.path === `/webhooks/${DEFAULT_APPLICATION_ID}/${payload.token}/messages/@original`,
		);
		expect(String(patch.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
		expect(patch.json).toMatchObject({ content: 'hi', attachments: [{ id: '0' }] });
		expect(patch.files).toHaveLength(1);
		expect(patch.files[0]).toMatchObject({ fieldName: 'files[0]', filename: 'clone.wav' });
		expect(patch.files[0]!.data.equals(Buffer.from('abc'))).toBe(true);

		// The fake answered with a realistic message that discord.js turned into a Message.
		expect(msg.content).toBe('hi');
		expect(msg.channelId).toBe(DEFAULT_CHANNEL_ID);
		expect(msg.author.id).toBe(DEFAULT_APPLICATION_ID);
		expect(msg.webhookId).toBe(DEFAULT_APPLICATION_ID);
		expect(msg.interactionMetadata?.id).toBe(payload.id);
		const att = msg.attachments.first()!;
		expect(att.name).toBe('clone.wav');
		expect(att.size).toBe(3);
		expect(att.contentType).toBe('audio/x-wav');
		const res = await fetch(att.url);
		expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('abc');
	});

	it('can serve its CDN on an origin of its own, as Discord does (cdn.discordapp.com)', async () => {
		const separate = await startFakeDiscord({ separateCdn: true });
		try {
			expect(separate.cdnOrigin).not.toBe(separate.origin);
			const url = separate.addAttachment('voice.wav', Buffer.from('RIFF'), 'audio/wav');
			expect(url.startsWith(`${separate.cdnOrigin}/attachments/`)).toBe(true);
			expect(Buffer.from(await (await fetch(url)).arrayBuffer()).toString()).toBe('RIFF');
			// The API is not on the CDN, and the CDN not on the API.
			expect((await fetch(`${separate.cdnOrigin}/api/v10/gateway`)).status).toBe(404);
			expect(separate.attachmentRequests()).toHaveLength(1);
		} finally {
			await separate.close();
		}
	});

	it('serves attachments with Range support and exposes duration/waveform on resolved attachments', async () => {
		const bytes = Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt rest-of-file', 'latin1');
		const url = fake.addAttachment('voice.wav', bytes, 'audio/wav');
		expect(url).toMatch(new RegExp(`^${fake.origin}/attachments/\\d+/voice\\.wav$`));

		const head = await fetch(url, { headers: { Range: 'bytes=0-11' } });
		expect(head.status).toBe(206);
		expect(head.headers.get('content-range')).toBe(`bytes 0-11/${bytes.length}`);
		expect(head.headers.get('content-type')).toBe('audio/wav');
		expect(Buffer.from(await head.arrayBuffer()).equals(bytes.subarray(0, 12))).toBe(true);

		const suffix = await fetch(url, { headers: { Range: 'bytes=-4' } });
		expect(suffix.status).toBe(206);
		expect(Buffer.from(await suffix.arrayBuffer()).toString('latin1')).toBe('file');

		const bad = await fetch(url, { headers: { Range: `bytes=${bytes.length}-` } });
		expect(bad.status).toBe(416);
		await bad.arrayBuffer();

		const full = await fetch(url);
		expect(full.status).toBe(200);
		expect(Buffer.from(await full.arrayBuffer()).equals(bytes)).toBe(true);

		expect(fake.attachmentRequests().map((r) => r.range)).toEqual(['bytes=0-11', 'bytes=-4', `bytes=${bytes.length}-`, undefined]);

		const attachment = attachmentPayload({
			id: '1180000000000000777',
			filename: 'voice.wav',
			url,
			size: bytes.length,
			contentType: 'audio/wav',
			durationSecs: 3.5,
			waveform: 'AAAA',
		});
		const payload = chatInputPayload({
			commandName: 'clone',
			options: [{ name: 'voice', type: ApplicationCommandOptionType.Attachment, value: attachment.id }],
			resolved: { attachments: { [attachment.id]: attachment } },
		});
		const done = handleNext(async (i) => {
			const a = i.options.getAttachment('voice', true);
			return { name: a.name, size: a.size, contentType: a.contentType, duration: a.duration, waveform: a.waveform, url: a.url, ephemeral: a.ephemeral };
		});
		injectInteraction(client, payload);
		expect(await done).toEqual({
			name: 'voice.wav',
			size: bytes.length,
			contentType: 'audio/wav',
			duration: 3.5,
			waveform: 'AAAA',
			url,
			ephemeral: true,
		});
	});

	it('handles a DM interaction: reply + followUp with a file', async () => {
		const payload = chatInputPayload({ commandName: 'ping', guildId: null, channelId: '1180000000000000555' });
		expect(payload.user?.id).toBe(DEFAULT_USER_ID);
		expect(payload.member).toBeUndefined();
		const done = handleNext(async (i) => {
			expect(i.inGuild()).toBe(false);
			expect(i.guildId).toBeNull();
			expect(i.member).toBeNull();
			expect(i.memberPermissions).toBeNull();
			expect(i.user.id).toBe(DEFAULT_USER_ID);
			expect(i.channelId).toBe('1180000000000000555');
			expect(i.context).toBe(InteractionContextType.BotDM);
			expect(i.channel).toBeNull(); // DM channels are only cached with Partials.Channel
			await i.reply({ content: 'pong', flags: MessageFlags.Ephemeral });
			return i.followUp({ content: 'file', files: [{ attachment: Buffer.from([0, 1, 2, 255]), name: 'out.bin' }] });
		});
		injectInteraction(client, payload);
		const follow = await done;

		const callback = await fake.waitForRequest((r) => r.path.endsWith('/callback'));
		expect(callback.json).toMatchObject({
			type: InteractionResponseType.ChannelMessageWithSource,
			data: { content: 'pong', flags: MessageFlags.Ephemeral },
		});
		const post = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/webhooks/${DEFAULT_APPLICATION_ID}/${payload.token}`);
		expect(post.query).toBe('wait=true');
		expect(post.files[0]!.filename).toBe('out.bin');
		expect([...post.files[0]!.data]).toEqual([0, 1, 2, 255]);
		expect(follow.channelId).toBe('1180000000000000555');
		expect(follow.attachments.first()?.name).toBe('out.bin');
		expect(follow.interactionMetadata?.id).toBe(payload.id);
	});

	it('clientOptions are passed through (Partials.Channel caches the DM channel)', async () => {
		const withPartials = createTestClient(fake, { applicationId: '1180000000000000042', clientOptions: { partials: [Partials.Channel] } });
		try {
			const done = new Promise<{ type: ChannelType | undefined; appId: string }>((resolve) => {
				withPartials.once('interactionCreate', (i) => resolve({ type: i.channel?.type, appId: i.applicationId }));
			});
			injectInteraction(withPartials, chatInputPayload({ commandName: 'ping', guildId: null, applicationId: '1180000000000000042' }));
			expect(await done).toEqual({ type: ChannelType.DM, appId: '1180000000000000042' });
		} finally {
			await withPartials.destroy();
		}
		expect(() => injectInteraction(withPartials, chatInputPayload({ commandName: 'ping' }))).toThrow(/not Ready/);
	});

	it('a follow-up to a reply still "thinking" resolves that reply and keeps it public; after a delete it is a new message', async () => {
		const first = handleNext(async (i) => {
			await i.deferReply();
			const followUp = await i.followUp({ content: 'private?', flags: MessageFlags.Ephemeral });
			return { followUp, original: await i.fetchReply() };
		});
		injectInteraction(client, chatInputPayload({ commandName: 'ping' }));
		const { followUp, original } = await first;
		expect(followUp.id).toBe(original.id);
		expect(original.content).toBe('private?');
		expect(original.flags.has(MessageFlags.Ephemeral)).toBe(false);

		const second = handleNext(async (i) => {
			await i.deferReply();
			await i.deleteReply();
			return i.followUp({ content: 'for you alone', flags: MessageFlags.Ephemeral });
		});
		injectInteraction(client, chatInputPayload({ commandName: 'ping' }));
		const alone = await second;
		expect(alone.flags.has(MessageFlags.Ephemeral)).toBe(true);
	});

	it('default routes enforce acknowledgement rules like Discord', async () => {
		const payload = chatInputPayload({ commandName: 'ping' });
		fake.registerInteraction(payload);
		// The interaction webhook does not exist before the interaction is acknowledged.
		await expect(
			client.rest.patch(Routes.webhookMessage(DEFAULT_APPLICATION_ID, payload.token, '@original'), { body: { content: 'x' }, auth: false }),
		).rejects.toMatchObject({ status: 404, code: 10015 });
		const ack = () =>
			client.rest.post(Routes.interactionCallback(payload.id, payload.token), {
				body: { type: InteractionResponseType.DeferredChannelMessageWithSource, data: { flags: 0 } },
				auth: false,
			});
		// 204 No Content: @discordjs/rest hands back an empty ArrayBuffer for non-JSON responses
		expect(((await ack()) as ArrayBuffer).byteLength).toBe(0);
		await expect(ack()).rejects.toMatchObject({ status: 400, code: 40060 });
		// Wrong application id in the webhook route → Invalid Webhook Token.
		await expect(client.rest.get(Routes.webhookMessage('1180000000000000043', payload.token, '@original'), { auth: false })).rejects.toMatchObject({
			status: 401,
			code: 50027,
		});
		// Editing a deferred reply with nothing in it → Cannot send an empty message.
		await expect(client.rest.patch(Routes.webhookMessage(DEFAULT_APPLICATION_ID, payload.token, '@original'), { body: {}, auth: false })).rejects.toMatchObject(
			{ status: 400, code: 50006 },
		);
	});

	it('respond() overrides: a 401 Invalid Webhook Token makes editReply reject with DiscordAPIError 50027', async () => {
		fake.respond('PATCH', /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/, { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } }, true);
		const payload = chatInputPayload({ commandName: 'ping' });
		const done = handleNext(async (i) => {
			await i.deferReply();
			const err = await i.editReply('hi').then(
				() => null,
				(e: unknown) => e,
			);
			// The override was consumed (once=true): the next edit reaches the default route.
			const ok = await i.editReply('second try');
			return { err, ok };
		});
		injectInteraction(client, payload);
		const { err, ok } = await done;
		expect(err).toBeInstanceOf(DiscordAPIError);
		expect((err as DiscordAPIError).code).toBe(50027);
		expect((err as DiscordAPIError).status).toBe(401);
		expect(ok.content).toBe('second try');
		expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
	});

	it('function answers see the recorded request', async () => {
		fake.respond('POST', /\/callback$/, (req) => ({
			status: 400,
			body: { message: 'Interaction has already been acknowledged.', code: 40060, seen: req.json.type },
		}));
		const payload = chatInputPayload({ commandName: 'ping' });
		const done = handleNext((i) => i.deferReply());
		injectInteraction(client, payload);
		const err = await done.then(
			() => null,
			(e: unknown) => e,
		);
		expect(err).toBeInstanceOf(DiscordAPIError);
		expect((err as DiscordAPIError).code).toBe(40060);
		expect((err as DiscordAPIError).rawError).toMatchObject({ seen: InteractionResponseType.DeferredChannelMessageWithSource });
	});

	it('deferReply({ withResponse: true }) gets an interaction callback response; fetchReply/deleteReply work', async () => {
		const payload = chatInputPayload({ commandName: 'ping' });
		const done = handleNext(async (i) => {
			const response = await i.deferReply({ withResponse: true, flags: MessageFlags.Ephemeral });
			const loading = await i.fetchReply();
			await i.editReply('done');
			const fetched = await i.fetchReply();
			await i.deleteReply();
			const afterDelete = await i.fetchReply().then(
				() => null,
				(e: unknown) => e,
			);
			return { response, loading, fetched, afterDelete };
		});
		injectInteraction(client, payload);
		const { response, loading, fetched, afterDelete } = await done;
		expect(fake.requests[0]!.query).toBe('with_response=true');
		expect(response.interaction.id).toBe(payload.id);
		expect(response.interaction.responseMessageLoading).toBe(true);
		expect(response.interaction.responseMessageEphemeral).toBe(true);
		expect(response.resource?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
		expect(response.resource?.message?.flags.has(MessageFlags.Loading)).toBe(true);
		expect(loading.flags.has(MessageFlags.Loading)).toBe(true);
		expect(fetched.content).toBe('done');
		expect(fetched.flags.has(MessageFlags.Loading)).toBe(false);
		expect(fetched.flags.has(MessageFlags.Ephemeral)).toBe(true);
		expect((afterDelete as DiscordAPIError).code).toBe(10008);
	});

	it('rejects uploads above the interaction attachment_size_limit with 413 / 40005', async () => {
		const payload = chatInputPayload({ commandName: 'ping', attachmentSizeLimit: 4 });
		const done = handleNext(async (i) => {
			await i.deferReply();
			return i.editReply({ files: [{ attachment: Buffer.alloc(5), name: 'big.wav' }] });
		});
		injectInteraction(client, payload);
		const err = await done.then(
			() => null,
			(e: unknown) => e,
		);
		expect(err).toBeInstanceOf(DiscordAPIError);
		expect((err as DiscordAPIError).status).toBe(413);
		expect((err as DiscordAPIError).code).toBe(40005);
	});

	it('application commands: PUT keeps the list and assigns ids; GET returns it (global and guild)', async () => {
		const set = await client.application.commands.set([
			{
				name: 'clone',
				description: 'Clone a voice',
				options: [{ name: 'voice', description: 'Voice sample', type: ApplicationCommandOptionType.Attachment, required: true }],
			},
			{ name: 'ping', description: 'Ping' },
		]);
		expect(set.map((c) => c.name).sort()).toEqual(['clone', 'ping']);
		const put = await fake.waitForRequest((r) => r.method === 'PUT');
		expect(put.path).toBe(`/applications/${DEFAULT_APPLICATION_ID}/commands`);
		expect(put.headers.authorization).toMatch(/^Bot /);
		const fetched = await client.application.commands.fetch();
		expect([...fetched.keys()].sort()).toEqual([...set.keys()].sort());

		// re-PUT keeps ids for the same name/type
		const again = await client.application.commands.set([{ name: 'ping', description: 'Ping!' }]);
		expect(again.first()!.id).toBe(set.find((c) => c.name === 'ping')!.id);

		const guildSet = await client.application.commands.set([{ name: 'guildonly', description: 'x' }], DEFAULT_GUILD_ID);
		expect(guildSet.first()!.guildId).toBe(DEFAULT_GUILD_ID);
		expect(fake.requests.at(-1)!.path).toBe(`/applications/${DEFAULT_APPLICATION_ID}/guilds/${DEFAULT_GUILD_ID}/commands`);

		await expect(client.application.commands.set([{ name: 'Bad Name', description: 'x' }])).rejects.toMatchObject({ code: 50035 });
	});

	it('channels: 404 Unknown Channel unless registered; unknown routes 404; channel messages', async () => {
		await expect(client.channels.fetch('1180000000000000999')).rejects.toMatchObject({ code: 10003, status: 404 });
		fake.addChannel({ id: '1180000000000000999', type: ChannelType.DM, recipients: [], last_message_id: null, flags: 0 } as never);
		const ch = await client.channels.fetch('1180000000000000999');
		expect(ch?.type).toBe(ChannelType.DM);

		await expect(client.rest.get('/nope/123' as `/${string}`)).rejects.toMatchObject({ code: 0, status: 404, message: '404: Not Found' });

		const sent = (await client.rest.post(`/channels/${DEFAULT_CHANNEL_ID}/messages`, { body: { content: 'hello' } })) as {
			content: string;
			author: { id: string };
		};
		expect(sent).toMatchObject({ content: 'hello', author: { id: DEFAULT_APPLICATION_ID } });
		await expect(client.rest.post(`/channels/${DEFAULT_CHANNEL_ID}/messages`, { body: {} })).rejects.toMatchObject({ code: 50006 });
	});

	it('cacheGuild() puts the guild/channel in the cache for inCachedGuild() flows', async () => {
		const guild = cacheGuild(client);
		expect(guild.id).toBe(DEFAULT_GUILD_ID);
		const done = handleNext(async (i) => ({
			cached: i.inCachedGuild(),
			channelName: i.channel && 'name' in i.channel ? i.channel.name : null,
			me: i.guild?.members.me?.id,
		}));
		injectInteraction(client, chatInputPayload({ commandName: 'ping' }));
		expect(await done).toEqual({ cached: true, channelName: 'general', me: DEFAULT_APPLICATION_ID });
	});

	it('waitForRequest times out with a helpful message', async () => {
		await expect(fake.waitForRequest(() => false, 20)).rejects.toThrow(/no matching request within 20ms/);
	});
});
