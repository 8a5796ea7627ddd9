import { ApplicationCommandOptionType, ChannelType, MessageFlags, type APIApplicationCommandInteractionDataOption } from 'discord.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_GUILD_ID } from './fakes/discord-api.js';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, type Harness } from './helpers/harness.js';
import { redisAvailable, startRedis, type RedisServer } from './helpers/redis.js';

/** /clone-settings through the real discord.js, and how /clone then picks its language. */

const GENERAL = '1180000000000000200';
const FRENCH = '1180000000000000201';
const DELETED = '1180000000000000202';
const MOD = '1180000000000000777';

const isFinal = (content: string) => !content.startsWith('🎙️');

function settingsCommand(h: Harness, subcommand: 'language' | 'reset' | 'show', options: { language?: string; channel?: string; channelId?: string } = {}) {
	const inner: APIApplicationCommandInteractionDataOption[] = [];
	if (options.language) inner.push({ name: 'language', type: ApplicationCommandOptionType.String, value: options.language });
	if (options.channel) inner.push({ name: 'channel', type: ApplicationCommandOptionType.Channel, value: options.channel });
	return h.command({
		commandName: 'clone-settings',
		channelId: options.channelId ?? GENERAL,
		user: { id: MOD, username: 'moderator' },
		options: [{ name: subcommand, type: ApplicationCommandOptionType.Subcommand, options: inner } as APIApplicationCommandInteractionDataOption],
		...(options.channel
			? { resolved: { channels: { [options.channel]: { id: options.channel, name: 'french', type: ChannelType.GuildText, permissions: '0' } as never } } }
			: {}),
	});
}

/** A deferred private answer: the defer is ephemeral and the edit carries the text. */
async function deferredPrivateReply(run: ReturnType<Harness['command']>): Promise<string> {
	const callback = await run.callback();
	expect(callback.json?.type).toBe(5);
	expect(callback.json?.data?.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
	return contentOf(await run.edit(() => true));
}

async function privateReply(run: ReturnType<Harness['command']>): Promise<string> {
	const callback = await run.callback();
	expect(callback.json?.data?.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
	return String(callback.json?.data?.content);
}

async function cloneIn(h: Harness, channelId: string, extra: Parameters<Harness['clone']>[0]['extra'] = {}) {
	const run = h.clone({ file: makeWav({ seconds: 4 }), extra: { channelId, ...extra } });
	const final = await run.edit(isFinal);
	const generate = h.xtts.generateRequests().at(-1);
	return { language: ((generate?.body ?? {}) as { language: string }).language, content: contentOf(final) };
}

function scenario(name: string, storeUrl: () => string | undefined) {
	describe(name, () => {
		let h: Harness;
		beforeEach(async () => {
			const url = storeUrl();
			h = await startHarness(url ? { storeUrl: url } : {});
			h.discord.addChannel({ id: GENERAL, type: ChannelType.GuildText, guild_id: DEFAULT_GUILD_ID, name: 'general' } as never);
			h.discord.addChannel({ id: FRENCH, type: ChannelType.GuildText, guild_id: DEFAULT_GUILD_ID, name: 'french' } as never);
		});
		afterEach(async () => {
			await h.close();
		});

		it('a moderator sets German for the server and French for one channel; /clone follows, also after a restart', async () => {
			expect(await privateReply(settingsCommand(h, 'language', { language: 'de' }))).toContain('/clone now speaks **German** in this server');
			expect(await privateReply(settingsCommand(h, 'language', { language: 'fr', channel: FRENCH }))).toContain(`**French** in <#${FRENCH}>`);

			let general = await cloneIn(h, GENERAL);
			expect(general.language).toBe('de');
			expect(general.content).toContain('German — server default');
			let french = await cloneIn(h, FRENCH);
			expect(french.language).toBe('fr');
			expect(french.content).toContain('French — channel default');
			// The member's own choice still wins.
			await h.clone({ file: makeWav({ seconds: 4 }), language: 'ko', extra: { channelId: FRENCH } }).edit(isFinal);
			expect(h.xtts.generateRequests().at(-1)?.body).toMatchObject({ language: 'ko' });

			await h.restart();

			general = await cloneIn(h, GENERAL);
			expect(general.language).toBe('de');
			french = await cloneIn(h, FRENCH);
			expect(french.language).toBe('fr');
		});

		it('show lists the default and overrides with who and when, drops deleted channels, and explains this channel', async () => {
			await privateReply(settingsCommand(h, 'language', { language: 'de' }));
			await privateReply(settingsCommand(h, 'language', { language: 'fr', channel: FRENCH }));
			await privateReply(settingsCommand(h, 'language', { language: 'es', channel: DELETED }));

			const shown = await deferredPrivateReply(settingsCommand(h, 'show', { channelId: FRENCH }));
			expect(shown).toMatch(new RegExp(`Server default: \\*\\*German\\*\\* — set by <@${MOD}> <t:\\d+:R>`));
			expect(shown).toMatch(new RegExp(`<#${FRENCH}>: \\*\\*French\\*\\* — set by <@${MOD}> <t:\\d+:R>`));
			expect(shown).not.toContain(DELETED);
			expect(shown).toContain('In this channel, /clone without a language speaks **French — channel default**');

			// The deleted channel's override is gone from the store too.
			expect(Object.keys((await h.bot.settings.get(DEFAULT_GUILD_ID)).channels)).toEqual([FRENCH]);
		});

		it('show stays within Discord’s 2000 characters with many overrides', async () => {
			const channels = Array.from({ length: 40 }, (_, index) => `11800000000000003${String(index).padStart(2, '0')}`);
			for (const channel of channels) {
				h.discord.addChannel({ id: channel, type: ChannelType.GuildText, guild_id: DEFAULT_GUILD_ID, name: `c${channel}` } as never);
				await h.bot.settings.setLanguage(DEFAULT_GUILD_ID, channel, 'it', MOD);
			}
			const shown = await deferredPrivateReply(settingsCommand(h, 'show'));
			expect(shown.length).toBeLessThanOrEqual(2000);
			expect(shown).toMatch(/…and \d+ more/);
		});

		it('reset removes a channel override, then the server default', async () => {
			await privateReply(settingsCommand(h, 'language', { language: 'de' }));
			await privateReply(settingsCommand(h, 'language', { language: 'fr', channel: FRENCH }));

			expect(await privateReply(settingsCommand(h, 'reset', { channel: FRENCH }))).toContain('It follows the server default again');
			expect((await cloneIn(h, FRENCH)).language).toBe('de');
			expect(await privateReply(settingsCommand(h, 'reset'))).toContain('Removed the language setting for this server');
			expect(await privateReply(settingsCommand(h, 'reset'))).toContain('had no language setting');
			const fallback = await cloneIn(h, FRENCH, { locale: 'es-419' });
			expect(fallback.language).toBe('es');
			// Replies are in the member's language (src/i18n): "Spanish — your Discord language" for a Spanish-speaking member.
			expect(fallback.content).toContain('Español — tu idioma de Discord');
		});
	});
}

scenario('on SQLite', () => undefined);

const hasRedis = redisAvailable();
describe.skipIf(!hasRedis)('on Redis', () => {
	let redis: RedisServer | undefined;
	let db = 0;
	beforeAll(async () => {
		redis = await startRedis();
	});
	afterAll(async () => {
		await redis?.stop();
	});
	// A fresh Redis database for each test keeps them independent.
	scenario('a real local Redis', () => `${redis!.url}/${++db}`);
});

describe('language without settings', () => {
	let h: Harness;
	beforeEach(async () => {
		h = await startHarness();
	});
	afterEach(async () => {
		await h.close();
	});

	it.each([
		['pt-BR', 'pt'],
		['zh-TW', 'zh'],
		['en-GB', 'en'],
		['es-419', 'es'],
		['ja', 'en'],
	])('maps the member’s locale %s to %s', async (locale, language) => {
		expect((await cloneIn(h, GENERAL, { locale })).language).toBe(language);
	});

	it('in DMs only the option, the locale and English apply', async () => {
		// Settings that would apply in a server, on the very channel id the DM has: they must not.
		const dmChannel = '1180000000000000999';
		await h.bot.settings.setLanguage(DEFAULT_GUILD_ID, null, 'it', MOD);
		await h.bot.settings.setLanguage(DEFAULT_GUILD_ID, dmChannel, 'fr', MOD);
		const dm = await cloneIn(h, dmChannel, { guildId: null, locale: 'de' });
		expect(dm.language).toBe('de');
		expect(dm.content).toContain('Deutsch — deine Discord-Sprache');
	});

	it('/clone-settings in a DM explains it belongs to a server', async () => {
		const run = h.command({
			commandName: 'clone-settings',
			guildId: null,
			options: [{ name: 'show', type: ApplicationCommandOptionType.Subcommand, options: [] } as never],
		});
		expect(await privateReply(run)).toContain('run this command in one');
	});
});
