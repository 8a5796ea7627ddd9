import { REST, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { commandDefinitions } from '../src/discord/registry.js';
import { silentLogger } from '../src/util/logger.js';
import { syncCommands } from '../src/discord/command-sync.js';
import { startFakeDiscord, TEST_BOT_TOKEN, type FakeDiscord } from './fakes/discord-api.js';

const APP = '1180000000000000001';
const GUILD = '1180000000000000100';
let fake: FakeDiscord;
let rest: REST;

beforeEach(async () => {
	fake = await startFakeDiscord();
	rest = new REST({ api: fake.apiUrl }).setToken(TEST_BOT_TOKEN);
});

afterEach(async () => {
	await fake.close();
});

const definitions = commandDefinitions;
const puts = () => fake.requests.filter((request) => request.method === 'PUT');

it('restricts /clone’s speaker to the audio formats the API reads, where Discord’s file picker allows', () => {
	const clone = definitions.find((command) => command.name === 'clone') as RESTPostAPIChatInputApplicationCommandsJSONBody;
	const speaker = clone.options?.find((option) => option.name === 'speaker') as { file_types?: string[] } | undefined;
	expect(speaker?.file_types).toEqual(['.wav', '.wave', '.mp3', '.m4a', '.mp4', '.ogg', '.oga', '.opus', '.flv']);
});

it('registers every command in one bulk overwrite, then leaves Discord alone while nothing changed', async () => {
	expect(await syncCommands({ rest, applicationId: APP, definitions, logger: silentLogger })).toBe('updated');
	expect(puts()).toHaveLength(1);
	expect(puts()[0]?.path).toBe(`/applications/${APP}/commands`);
	expect(((puts()[0]?.json ?? []) as { name: string }[]).map((command) => command.name)).toEqual(['clone', 'clone-settings', 'my-voice', 'Clone this voice']);

	expect(await syncCommands({ rest, applicationId: APP, definitions, logger: silentLogger })).toBe('unchanged');
	expect(puts()).toHaveLength(1);
});

it('updates when a definition changed', async () => {
	await syncCommands({ rest, applicationId: APP, definitions, logger: silentLogger });
	const changed = definitions.map((definition) => (definition.name === 'clone' ? { ...definition, description: 'Something new' } : definition));
	expect(await syncCommands({ rest, applicationId: APP, definitions: changed, logger: silentLogger })).toBe('updated');
	expect(puts()).toHaveLength(2);
});

it('registers in one server when DISCORD_GUILD_ID is set (instant, for development)', async () => {
	await syncCommands({ rest, applicationId: APP, guildId: GUILD, definitions, logger: silentLogger, force: true });
	expect(puts()[0]?.path).toBe(`/applications/${APP}/guilds/${GUILD}/commands`);
});

it('defines the documented options', () => {
	const clone = definitions.find((definition) => definition.name === 'clone') as RESTPostAPIChatInputApplicationCommandsJSONBody;
	const options = Object.fromEntries((clone.options ?? []).map((option) => [option.name, option as unknown as Record<string, unknown>]));
	expect(Object.keys(options)).toEqual(['speaker', 'text', 'language', 'cleanup_voice', 'voice_message']);
	expect(options.speaker).toMatchObject({ type: 11, required: true });
	expect(options.text).toMatchObject({ type: 3, required: true, max_length: 2000 });
	expect(((options.language?.choices ?? []) as { value: string }[]).map((choice) => choice.value)).toEqual([
		'en',
		'es',
		'fr',
		'de',
		'it',
		'pt',
		'pl',
		'tr',
		'ru',
		'nl',
		'cs',
		'ar',
		'zh',
		'hu',
		'ko',
		'hi',
	]);
	expect(((options.language?.choices ?? []) as { name: string }[])[3]?.name).toBe('German');
	expect(options.cleanup_voice).toMatchObject({ type: 5 });

	const settings = definitions.find((definition) => definition.name === 'clone-settings')!;
	expect(settings.default_member_permissions).toBe('32'); // Manage Server
	expect(settings.contexts).toEqual([0]); // servers only
});
