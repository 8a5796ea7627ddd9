import {
	ApplicationCommandOptionType,
	ApplicationCommandType,
	ChannelType,
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
import { readWavInfo } from '../src/audio/ai-marking.js';
import { createJobRecords } from '../src/jobs/records.js';
import type { ConsentPolicy } from '../src/store/guild-settings.js';
import {
	attachmentPayload,
	chatInputPayload,
	DEFAULT_CHANNEL_ID,
	DEFAULT_GUILD_ID,
	injectInteraction,
	snowflake,
	type RecordedDiscordRequest,
} from './fakes/discord-api.js';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, virtualClock, type Harness } from './helpers/harness.js';
import { messagePayload } from './helpers/messages.js';

/** Consent, disclosure, reports, blocks and the audit log, through the real discord.js against the loopback fakes. */

let h: Harness;
afterEach(async () => {
	await h?.close();
});

const A = '1180000000000000901'; // asks
const B = '1180000000000000902'; // whose voice it is
const C = '1180000000000000903'; // another member
const MOD = '1180000000000000904';
const BOT = '1180000000000000905';
const REPORTS = '1180000000000000777';
const MANAGE = (PermissionsBitField.Default | PermissionFlagsBits.ManageMessages).toString();
const isFinal = (content: string) => !content.startsWith('🎙️') && !content.startsWith('⏳');

/** A's right-click → "Clone this voice" on a voice message by `author`, then the form with `text`. */
async function cloneThisVoice(author: { id: string; bot?: boolean; webhook?: boolean }, text = 'Say this for me', requester = A) {
	const url = h.discord.addAttachment('voice-message.ogg', makeWav({ seconds: 4 }), 'audio/ogg');
	const voice = attachmentPayload({ id: snowflake(), filename: 'voice-message.ogg', url, size: 5000, contentType: 'audio/ogg', durationSecs: 4 });
	const message = messagePayload({ author, attachments: [{ ...voice, waveform: 'AAAA' }], ...(author.webhook ? { webhookId: author.id } : {}) });
	const messageId = message.id;
	const menu = h.command({
		commandName: 'Clone this voice',
		commandType: ApplicationCommandType.Message,
		targetId: messageId,
		user: { id: requester },
		resolved: { messages: { [messageId]: message } } as never,
	});
	const modal = await menu.callback();
	if (modal.json?.type !== InteractionResponseType.Modal) return { answer: modal, submitted: undefined };
	const submitted = h.submitModal({ customId: modal.json?.data?.custom_id, text, userId: requester });
	return { answer: await submitted.callback(), submitted };
}

/** A button press by `userId` on `message`. */
function click(customId: string, message: Partial<APIMessage>, userId: string, permissions = PermissionsBitField.Default.toString()) {
	const base = chatInputPayload({ commandName: 'unused', user: { id: userId }, memberPermissions: permissions }) as unknown as Record<string, unknown>;
	const payload = {
		...base,
		type: InteractionType.MessageComponent,
		data: { custom_id: customId, component_type: ComponentType.Button },
		message: { id: snowflake(), channel_id: DEFAULT_CHANNEL_ID, content: '', components: [], attachments: [], embeds: [], ...message },
	} as unknown as APIInteraction & { id: string; token: string };
	injectInteraction(h.client, payload);
	return {
		token: payload.token,
		callback: () => h.discord.waitForRequest((request) => request.path === `/interactions/${payload.id}/${payload.token}/callback`),
	};
}

const channelPosts = () => h.discord.requests.filter((request) => request.method === 'POST' && request.path === `/channels/${DEFAULT_CHANNEL_ID}/messages`);
const askOf = async () => h.discord.waitForRequest((request) => request.method === 'POST' && request.path === `/channels/${DEFAULT_CHANNEL_ID}/messages`);
const customIdsOf = (request: RecordedDiscordRequest): string[] =>
	(request.json?.components ?? []).flatMap((row: { components: { custom_id: string }[] }) => row.components.map((component) => component.custom_id));
const setPolicy = (policy: ConsentPolicy) => h.bot.settings.setConsentPolicy(DEFAULT_GUILD_ID, policy, MOD);

describe('whose voice may be cloned', () => {
	it.each([
		['own-voice', 'own', 'allowed'],
		['with-permission', 'own', 'allowed'],
		['anyone', 'own', 'allowed'],
		['own-voice', 'other', 'refused'],
		['with-permission', 'other', 'asked'],
		['anyone', 'other', 'allowed'],
		['own-voice', 'bot', 'refused'],
		['with-permission', 'bot', 'refused'],
		['anyone', 'bot', 'allowed'],
	] as const)('%s, %s audio: %s', async (policy, whose, outcome) => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		await setPolicy(policy);
		const author = whose === 'own' ? { id: A } : whose === 'other' ? { id: B } : { id: BOT, bot: true };
		const { answer, submitted } = await cloneThisVoice(author);
		if (outcome === 'refused') {
			expect(answer.json?.type).toBe(InteractionResponseType.ChannelMessageWithSource);
			expect(answer.json?.data?.flags).toBe(MessageFlags.Ephemeral);
			expect(answer.json?.data?.content).toMatch(whose === 'bot' ? /Audio posted by bots and webhooks/ : /only their own voice/);
		} else if (outcome === 'asked') {
			const ask = await askOf();
			expect(contentOf(ask)).toContain(`<@${B}>, <@${A}> would like to clone your voice`);
			expect(ask.json?.allowed_mentions).toEqual({ parse: [], users: [B] });
		} else {
			const final = await submitted?.final();
			expect(final?.files).toHaveLength(1);
			const basis = whose === 'own' ? `<@${A}>’s own voice` : `voice of <@${author.id}> (this server lets anyone’s voice be cloned)`;
			expect(contentOf(final as RecordedDiscordRequest)).toContain(`-# 🤖 AI-generated voice · requested by <@${A}> · ${basis}`);
		}
		expect(h.xtts.generateRequests()).toHaveLength(outcome === 'allowed' ? 1 : 0);
	});

	it('webhooks’ audio is refused like bots’; this bot’s own results are refused even under "anyone"', async () => {
		h = await startHarness();
		const webhook = await cloneThisVoice({ id: '1180000000000000906', webhook: true });
		expect(webhook.answer.json?.data?.content).toMatch(/Audio posted by bots and webhooks/);
		await setPolicy('anyone');
		const own = await cloneThisVoice({ id: h.client.user?.id ?? '', bot: true });
		expect(own.answer.json?.data).toMatchObject({ flags: MessageFlags.Ephemeral, content: expect.stringMatching(/this bot’s results included/) });
		expect(h.xtts.requests).toHaveLength(0);
	});

	it('"never" beats "anyone": refused at once, privately, at no cost', async () => {
		h = await startHarness();
		await setPolicy('anyone');
		const set = await h
			.command({
				commandName: 'my-voice',
				user: { id: B },
				options: [{ name: 'permission', type: ApplicationCommandOptionType.Subcommand, options: [{ name: 'choice', type: 3, value: 'never' }] }],
			})
			.callback();
		expect(set.json?.data).toMatchObject({ flags: MessageFlags.Ephemeral, content: expect.stringContaining('Nobody may clone your voice') });
		const { answer } = await cloneThisVoice({ id: B });
		expect(answer.json?.data).toMatchObject({ flags: MessageFlags.Ephemeral, content: `🔒 <@${B}> doesn’t allow their voice to be cloned.` });
		expect(h.xtts.requests).toHaveLength(0);
		expect(channelPosts()).toHaveLength(0);
	});

	it('"allow": no ask where the server asks for permission, and the result says so', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		await h.bot.stores.meta.set(`voice-choice:${B}`, { choice: 'allow', at: new Date().toISOString() });
		const { submitted } = await cloneThisVoice({ id: B });
		expect(contentOf(await (submitted as NonNullable<typeof submitted>).final())).toContain(`voice of <@${B}>, who allows it`);
		expect(channelPosts()).toHaveLength(0);
	});

	it('another member’s Again on an upload asks its uploader first', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const result = await h.clone({ file: makeWav({ seconds: 4 }), userId: A }).edit(isFinal);
		expect(contentOf(result)).toContain(`requested by <@${A}> · voice uploaded by <@${A}>, who answers for it`);
		const [again] = customIdsOf(result);
		await click(again ?? '', {}, C).callback();
		const ask = await askOf();
		expect(contentOf(ask)).toContain(`<@${A}>, <@${C}> would like to clone your voice`);
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});
});

describe('the ask', () => {
	async function asked() {
		h = await startHarness({ clock: virtualClock(Date.now(), 'manual') });
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const { answer } = await cloneThisVoice({ id: B }, 'Hello from B');
		expect(answer.json?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
		const ask = await askOf();
		const [allow, deny] = customIdsOf(ask);
		const askMessage = { content: contentOf(ask) };
		// The ask's message is recorded with the job once Discord has answered its post.
		await expect
			.poll(async () => (await createJobRecords(h.bot.stores).unfinished()).some((job) => job.state === 'awaiting-consent' && job.consent.messageId))
			.toBe(true);
		return { ask, allow: allow ?? '', deny: deny ?? '', askMessage };
	}

	it('Deny: A is told privately, the ask says so, and the API was never called', async () => {
		const { ask, deny, askMessage } = await asked();
		expect(contentOf(ask)).toContain('> Hello from B');
		const stranger = await click(deny, askMessage, C).callback();
		expect(stranger.json?.data).toMatchObject({ flags: MessageFlags.Ephemeral, content: `🔒 Only <@${B}> can answer this request.` });

		const pressed = await click(deny, askMessage, B).callback();
		expect(pressed.json?.type).toBe(InteractionResponseType.UpdateMessage);
		expect(pressed.json?.data?.content).toContain(`❌ <@${B}> declined: nothing was cloned.`);
		expect(pressed.json?.data?.components).toEqual([]);
		const told = await h.discord.waitForRequest((request) => request.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(request.path));
		expect(told.json).toMatchObject({ flags: MessageFlags.Ephemeral, content: expect.stringContaining(`<@${B}> declined to have their voice cloned`) });
		expect(h.discord.requests.some((request) => request.method === 'DELETE' && request.path.endsWith('/messages/@original'))).toBe(true);
		expect(h.xtts.requests).toHaveLength(0);
		expect(h.bot.runner.active).toBe(0);
		// Answered once: a second press changes nothing.
		expect((await click(deny, askMessage, B).callback()).json?.data?.content).toContain('already answered or has lapsed');
	});

	it('Allow: the job runs as usual, and the result names A and B, with permission, and carries the license', async () => {
		const { allow, askMessage } = await asked();
		expect(h.xtts.requests).toHaveLength(0);
		expect((await click(allow, askMessage, C).callback()).json?.data?.content).toBe(`🔒 Only <@${B}> can answer this request.`);
		expect(h.bot.runner.active).toBe(0);
		const pressed = await click(allow, askMessage, B).callback();
		expect(pressed.json?.data?.content).toContain(`✅ <@${B}> allowed <@${A}> to clone their voice`);
		// The clock is driven by hand here: the job's polls wait for it.
		await h.xtts.waitForRequest((request) => request.method === 'POST');
		const uploaded = (request: RecordedDiscordRequest) => request.method === 'PATCH' && request.path.startsWith('/webhooks/') && request.files.length > 0;
		await expect
			.poll(() => {
				h.clock.advance(5_000);
				return h.discord.requests.some(uploaded);
			})
			.toBe(true);
		const final = await h.discord.waitForRequest(uploaded);
		const content = contentOf(final);
		expect(content).toContain(`-# 🤖 AI-generated voice · requested by <@${A}> · voice of <@${B}>, with permission`);
		expect(content).toContain('-# XTTS v2 · Coqui Public Model License: <https://coqui.ai/cpml>');
		expect(final.json?.allowed_mentions).toEqual({ parse: [] });
		expect(readWavInfo(final.files[0]?.data ?? Buffer.alloc(0))?.ICMT).toMatch(/^AI-generated \(XTTS v2\) · ref [\w-]+$/);
		expect(h.xtts.generateRequests()).toHaveLength(1);
	});

	it('no answer within 10 minutes: A is told privately, nothing is spent; the ask says it lapsed', async () => {
		await asked();
		h.clock.advance(10 * 60 * 1000);
		const told = await h.discord.waitForRequest((request) => request.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(request.path));
		expect(told.json).toMatchObject({ flags: MessageFlags.Ephemeral, content: expect.stringContaining('didn’t answer within 10 minutes') });
		const edited = await h.discord.waitForRequest(
			(request) => request.method === 'PATCH' && request.path.startsWith(`/channels/${DEFAULT_CHANNEL_ID}/messages/`),
		);
		expect(contentOf(edited)).toContain(`⌛ No answer from <@${B}> within 10 minutes`);
		expect(h.xtts.requests).toHaveLength(0);
	});

	it('the ask shows the whole text, however long, and a second ask while one is open is refused', async () => {
		h = await startHarness({ clock: virtualClock(Date.now(), 'manual') });
		// Without the cooldown (an ask starts it too), the open ask itself is what refuses the second.
		await h.bot.settings.setLimits(DEFAULT_GUILD_ID, { cooldownSeconds: 0 }, MOD);
		const long = 'Word '.repeat(380).trim();
		await cloneThisVoice({ id: B }, long);
		const ask = await askOf();
		expect(ask.json?.embeds?.[0]?.description).toBe(long);
		const second = await cloneThisVoice({ id: C }, 'Another one');
		expect(second.answer.json?.data?.content).toBe('⏳ You already have a clone in progress. Please wait for it to finish before starting another.');
		expect(channelPosts()).toHaveLength(1);
	});

	it('allowed after the requester was blocked: nothing is made, the requester is told, the ask says it could not start', async () => {
		const { allow, askMessage } = await asked();
		await h.bot.settings.block(DEFAULT_GUILD_ID, A, MOD);
		const pressed = await click(allow, askMessage, B).callback();
		expect(pressed.json?.data?.content).toContain(`ℹ️ <@${B}> allowed it, but the clone could not start now`);
		const told = await h.discord.waitForRequest((request) => request.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(request.path));
		expect(contentOf(told)).toBe('🚫 A moderator has blocked you from cloning voices in this server.');
		const [record] = (await createJobRecords(h.bot.stores).unfinished()).filter((job) => job.requesterId === A);
		expect(record).toBeUndefined();
		expect(h.xtts.requests).toHaveLength(0);
		expect(h.bot.runner.active).toBe(0);
	});

	it('an ask the bot may not post: the requester is told privately, nothing waits', async () => {
		h = await startHarness({ clock: virtualClock(Date.now(), 'manual') });
		h.discord.respond('POST', /^\/channels\/\d+\/messages$/, { status: 403, body: { message: 'Missing Permissions', code: 50013 } }, true);
		await cloneThisVoice({ id: B });
		const told = await h.discord.waitForRequest((request) => request.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(request.path));
		expect(told.json).toMatchObject({ flags: MessageFlags.Ephemeral, content: expect.stringContaining('couldn’t post the request for') });
		expect((await createJobRecords(h.bot.stores).unfinished()).filter((job) => job.state === 'awaiting-consent')).toEqual([]);
		expect(h.xtts.requests).toHaveLength(0);
	});

	it('an ask survives a restart and still lapses on time', async () => {
		await asked();
		await h.restart();
		h.clock.advance(10 * 60 * 1000 + 1);
		const told = await h.discord.waitForRequest((request) => request.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(request.path));
		expect(contentOf(told)).toContain('didn’t answer within 10 minutes');
		expect(h.xtts.requests).toHaveLength(0);
	});
});

/** /clone-settings show: deferred privately, then the settings. */
async function show(): Promise<string> {
	const run = h.command({
		commandName: 'clone-settings',
		user: { id: MOD },
		options: [{ name: 'show', type: ApplicationCommandOptionType.Subcommand } as never],
	});
	return contentOf(await run.edit(() => true));
}

/** /clone-settings <subcommand> by a moderator, privately answered. */
async function settings(subcommand: string, options: { name: string; type: number; value: string | number }[] = [], resolved?: unknown) {
	const answer = await h
		.command({
			commandName: 'clone-settings',
			user: { id: MOD },
			options: [{ name: subcommand, type: ApplicationCommandOptionType.Subcommand, options } as never],
			...(resolved ? { resolved: resolved as never } : {}),
		})
		.callback();
	expect(answer.json?.data?.flags).toBe(MessageFlags.Ephemeral);
	return String(answer.json?.data?.content ?? '');
}

describe('reports and moderation', () => {
	async function reportedResult() {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const channel = { channels: { [REPORTS]: { id: REPORTS, name: 'reports', type: ChannelType.GuildText, permissions: '0' } } };
		expect(await settings('reports', [{ name: 'channel', type: ApplicationCommandOptionType.Channel, value: REPORTS }], channel)).toBe(
			`✅ Reports are now posted in <#${REPORTS}>.`,
		);
		const result = await h.clone({ file: makeWav({ seconds: 4 }), userId: A, text: 'Something rude' }).edit(isFinal);
		const jobId = customIdsOf(result)[0]?.split(':')[2] ?? '';
		await h.bot.runner.settled(jobId);
		const form = await click(`report:open:${jobId}`, {}, C).callback();
		expect(form.json?.type).toBe(InteractionResponseType.Modal);
		expect(form.json?.data?.title).toBe('Report this clone');
		const sent = await h.submitForm({ customId: form.json?.data?.custom_id, fields: { reason: 'It impersonates someone' }, userId: C }).callback();
		expect(sent.json?.data).toMatchObject({ flags: MessageFlags.Ephemeral, content: '✅ Thank you: your report was sent to this server’s moderators.' });
		const posted = await h.discord.waitForRequest((request) => request.method === 'POST' && request.path === `/channels/${REPORTS}/messages`);
		const resultId = String(
			h.discord.requests
				.find((request) => request.method === 'PATCH' && request.files.length > 0)
				?.path.split('/')
				.at(-1),
		);
		return { jobId, posted, resultId };
	}

	it('a report reaches the report channel with who, what, when and a link, pinging nobody', async () => {
		const { jobId, posted } = await reportedResult();
		const content = contentOf(posted);
		expect(content).toContain(`from <@${C}>`);
		expect(content).toContain('**Reason:** It impersonates someone');
		expect(content).toContain(`**Requested by** <@${A}> · **voice of** <@${A}>`);
		expect(content).toContain('> Something rude');
		expect(content).toContain(`job \`${jobId}\``);
		expect(content).toMatch(new RegExp(`\\[the result\\]\\(https://discord\\.com/channels/${DEFAULT_GUILD_ID}/${DEFAULT_CHANNEL_ID}/\\d+\\)`));
		expect(posted.json?.allowed_mentions).toEqual({ parse: [], users: [] });
		expect(customIdsOf(posted).map((id) => id.split(':').slice(0, 2).join(':'))).toEqual([
			'report-action:delete',
			'report-action:block',
			'report-action:dismiss',
		]);
		// The audit log marks it.
		expect(await settings('audit')).toContain('🚩 reported');
	});

	it('Delete result: refused to members without Manage Messages; a moderator removes the result, and the report says who', async () => {
		const { posted } = await reportedResult();
		const [remove] = customIdsOf(posted);
		const member = await click(remove ?? '', { content: contentOf(posted) }, C).callback();
		expect(member.json?.data).toMatchObject({ flags: MessageFlags.Ephemeral, content: '🔒 Only members who can manage messages can act on reports.' });
		for (const action of customIdsOf(posted)) {
			expect((await click(action, { content: contentOf(posted) }, C).callback()).json?.data?.content).toBe(
				'🔒 Only members who can manage messages can act on reports.',
			);
		}
		const moderator = await click(remove ?? '', { content: contentOf(posted) }, MOD, MANAGE).callback();
		expect(moderator.json?.type).toBe(InteractionResponseType.UpdateMessage);
		expect(moderator.json?.data?.content).toContain(`🗑️ <@${MOD}> deleted the result.`);
		expect(moderator.json?.data?.components).toEqual([]);
		const deleted = h.discord.requests.filter((request) => request.method === 'DELETE' && request.path.startsWith(`/channels/${DEFAULT_CHANNEL_ID}/messages/`));
		expect(deleted).toHaveLength(1);
		expect(h.discord.getMessage(deleted[0]?.path.split('/').at(-1) ?? '')).toBeUndefined();
		// The first action wins.
		expect((await click(remove ?? '', {}, MOD, MANAGE).callback()).json?.data?.content).toBe('ℹ️ Someone already acted on this report.');
	});

	it('Block requester, then unblock; a blocked member is refused at once, privately, at no cost', async () => {
		const { posted } = await reportedResult();
		const block = customIdsOf(posted)[1] ?? '';
		const pressed = await click(block, { content: contentOf(posted) }, MOD, MANAGE).callback();
		expect(pressed.json?.data?.content).toContain(`⛔ <@${MOD}> blocked <@${A}> from cloning voices in this server.`);
		const refused = await h.clone({ file: makeWav({ seconds: 4 }), userId: A }).callback();
		expect(refused.json?.data).toMatchObject({ flags: MessageFlags.Ephemeral, content: '🚫 A moderator has blocked you from cloning voices in this server.' });
		expect(h.xtts.generateRequests()).toHaveLength(1);
		expect(await show()).toContain(`Blocked: <@${A}>`);
		const member = { name: 'member', type: ApplicationCommandOptionType.User, value: A };
		const users = { users: { [A]: { id: A, username: 'a', discriminator: '0', global_name: null, avatar: null } } };
		expect(await settings('unblock', [member], users)).toBe(`✅ <@${A}> may clone voices again.`);
		expect(await settings('unblock', [member], users)).toBe(`ℹ️ <@${A}> was not blocked.`);
		expect(await settings('block', [member], users)).toBe(`✅ <@${A}> can no longer clone voices in this server.`);
	});

	it('Dismiss closes the report, and the result stays', async () => {
		const { posted } = await reportedResult();
		const pressed = await click(customIdsOf(posted)[2] ?? '', { content: contentOf(posted) }, MOD, MANAGE).callback();
		expect(pressed.json?.data?.content).toContain(`✔️ <@${MOD}> dismissed the report.`);
		expect(h.discord.requests.some((request) => request.method === 'DELETE')).toBe(false);
	});

	it('the voice’s owner may delete a clone of their voice', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		await setPolicy('anyone');
		const { submitted } = await cloneThisVoice({ id: B });
		const result = await (submitted as NonNullable<typeof submitted>).final();
		const deleteId = customIdsOf(result)[1] ?? '';
		expect((await click(deleteId, {}, C).callback()).json?.data?.content).toContain('Only the member who asked');
		await click(deleteId, {}, B).callback();
		await h.discord.waitForRequest((request) => request.method === 'DELETE' && request.path.endsWith('/messages/@original'));
	});

	it('show says plainly when anyone’s voice may be cloned', async () => {
		h = await startHarness();
		expect(await settings('consent', [{ name: 'policy', type: ApplicationCommandOptionType.String, value: 'anyone' }])).toContain(
			'Anyone’s voice may now be cloned without asking',
		);
		expect(await show()).toContain('Consent: ⚠️ **anyone’s voice may be cloned without asking**');
	});
});

describe('the audit log and members’ data', () => {
	it('lists the server’s clones newest first, ten a page, filtered by member, and forgets them after the retention', async () => {
		h = await startHarness({ env: { AUDIT_RETENTION_DAYS: '30' } });
		h.xtts.nextJob = { script: ['COMPLETED'] };
		await h.bot.settings.setLimits(DEFAULT_GUILD_ID, { cooldownSeconds: 0 }, MOD);
		for (let index = 0; index < 12; index++) {
			const result = await h.clone({ file: makeWav({ seconds: 4 }), userId: index % 2 ? A : C, text: `Line number ${index}` }).edit(isFinal);
			await h.bot.runner.settled(customIdsOf(result)[0]?.split(':')[2] ?? '');
			h.clock.advance(1_000);
		}
		const first = await settings('audit');
		expect(first).toMatch(/^\*\*Recent clones\*\*, newest first \(page 1 of 2; kept 30 days\):/);
		expect(first.indexOf('Line number 11')).toBeGreaterThan(0);
		expect(first.indexOf('Line number 11')).toBeLessThan(first.indexOf('Line number 10'));
		expect(first).not.toContain('Line number 1\n');
		expect(await settings('audit', [{ name: 'page', type: ApplicationCommandOptionType.Integer, value: 2 }])).toContain('Line number 0');
		const onlyA = await settings('audit', [{ name: 'member', type: ApplicationCommandOptionType.User, value: A }], {
			users: { [A]: { id: A, username: 'a', discriminator: '0', global_name: null, avatar: null } },
		});
		expect(onlyA.match(/Line number/g)).toHaveLength(6);
		expect(onlyA).not.toContain(`<@${C}>`);
		h.clock.advance(31 * 24 * 60 * 60 * 1000);
		expect(await settings('audit')).toBe('No clones in the last 30 days.');
	});

	it('/my-voice data shows what is kept; delete-data deletes it, except what an open report needs', async () => {
		// A clock moved by hand, so that the open ask below stays open; the jobs' polls are moved along with it.
		h = await startHarness({ clock: virtualClock(Date.now(), 'manual') });
		const delivered = async (run: ReturnType<Harness['clone']>) => {
			const uploaded = (request: RecordedDiscordRequest) => request.method === 'PATCH' && request.files.length > 0;
			await expect
				.poll(() => {
					h.clock.advance(5_000);
					return run.webhookRequests().some(uploaded);
				})
				.toBe(true);
			return run.webhookRequests().find(uploaded) as RecordedDiscordRequest;
		};
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const myVoice = async (sub: string, options: unknown[] = []) =>
			String(
				(
					await h
						.command({ commandName: 'my-voice', user: { id: A }, options: [{ name: sub, type: ApplicationCommandOptionType.Subcommand, options } as never] })
						.callback()
				).json?.data?.content,
			);
		expect(await myVoice('permission', [{ name: 'choice', type: 3, value: 'allow' }])).toContain('without asking you each time');
		await h.bot.settings.setLimits(DEFAULT_GUILD_ID, { cooldownSeconds: 0 }, MOD);
		const kept = await delivered(h.clone({ file: makeWav({ seconds: 4 }), userId: A, text: 'Reported one' }));
		const keptJob = customIdsOf(kept)[0]?.split(':')[2] ?? '';
		await h.bot.runner.settled(keptJob);
		const plain = await delivered(h.clone({ file: makeWav({ seconds: 4 }), userId: A, text: 'Plain one' }));
		await h.bot.runner.settled(customIdsOf(plain)[0]?.split(':')[2] ?? '');
		const form = await click(`report:open:${keptJob}`, {}, C).callback();
		await h.submitForm({ customId: form.json?.data?.custom_id, fields: { reason: 'bad' }, userId: C }).callback();

		const data = await myVoice('data');
		expect(data).toContain('Your voice choice: allowed where the server permits it');
		expect(data).toContain('in the last 30 days: 2');
		expect(data).toContain('Plain one');
		expect(data).toContain('Reported one');

		// An open ask of A's is withdrawn with the rest.
		await cloneThisVoice({ id: B }, 'Please');
		const ask = await askOf();
		await expect
			.poll(async () => (await createJobRecords(h.bot.stores).unfinished()).some((job) => job.state === 'awaiting-consent' && job.consent.messageId))
			.toBe(true);
		const plainJob = customIdsOf(plain)[0]?.split(':')[2] ?? '';
		expect(await h.bot.stores.jobs.get(plainJob)).toBeDefined();
		const deleted = await myVoice('delete-data');
		expect(deleted).toContain('Deleted: 1 of your requests with their texts, your voice choice, and 1 open permission requests.');
		expect(await h.bot.stores.jobs.get(plainJob)).toBeUndefined();
		expect(await h.bot.stores.jobs.get(keptJob)).toBeDefined();
		const withdrawn = await h.discord.waitForRequest(
			(request) => request.method === 'PATCH' && request.path.startsWith(`/channels/${DEFAULT_CHANNEL_ID}/messages/`),
		);
		expect(contentOf(withdrawn)).toBe('ℹ️ This request was withdrawn: nothing was cloned or charged.');
		expect(ask).toBeDefined();
		expect(deleted).toContain('Kept: 1 requests with an open report');
		const after = await myVoice('data');
		expect(after).toContain('ask me each time (default)');
		expect(after).toContain('in the last 30 days: 1');
		expect(after).not.toContain('Plain one');
	});
});
