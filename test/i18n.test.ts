import { ApplicationCommandType, InteractionResponseType, Locale, type RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { commandDefinitions } from '../src/discord/registry.js';
import { parseLanguage } from '../src/discord/commands/clone-this-voice.js';
import { commandLocalizationKeys, LANGUAGE_PACKS, languageNameFor, replyLanguage, t, type MessageKey, type Template } from '../src/i18n/index.js';
import en from '../src/i18n/locales/en.js';
import { LANGUAGE_CODES } from '../src/xtts/languages.js';
import { failureMessage, formatBytes, languageLabel, refusal, speakerProblemMessage } from '../src/discord/presenter.js';
import { makeWav } from './fakes/xtts-api.js';
import { contentOf, startHarness, type Harness } from './helpers/harness.js';
import { messagePayload, voiceMessageAttachment } from './helpers/messages.js';

/** The bot in the member's language: localized command definitions, and replies from one catalogue with English as the fallback. */

const DISCORD_LOCALES = new Set<string>(Object.values(Locale));
const OPTION_NAME = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
/** Files that translate everything: commands and replies. */
const FULL = ['es', 'fr', 'de', 'pt-BR'];
const MESSAGE_KEYS = Object.keys(en.messages) as MessageKey[];

interface Node {
	name: string;
	type?: number;
	description?: string;
	name_localizations?: Record<string, string>;
	description_localizations?: Record<string, string>;
	options?: Node[];
	choices?: { name: string; value: unknown; name_localizations?: Record<string, string> }[];
}

const definition = (name: string) => commandDefinitions.find((command) => command.name === name) as unknown as Node;
const option = (node: Node, ...path: string[]): Node => path.reduce((parent, name) => parent.options!.find((child) => child.name === name)!, node);

/** Every node of a definition with its siblings, for per-level checks. */
function* nodes(node: Node, siblings: Node[] = [node]): Generator<{ node: Node; siblings: Node[] }> {
	yield { node, siblings };
	for (const child of node.options ?? []) yield* nodes(child, node.options!);
}

function placeholders(template: Template | undefined): string[] {
	const texts = template === undefined ? [] : typeof template === 'string' ? [template] : Object.values(template);
	return [...new Set(texts.flatMap((text) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!)))].sort();
}

describe('localized command definitions', () => {
	it('/clone in German: description, option names and descriptions, language choices', () => {
		const clone = definition('clone');
		expect(clone.name_localizations?.de).toBe('klonen');
		expect(clone.description_localizations?.de).toBe('Einen Satz mit der Stimme aus einem Audioclip sprechen');
		expect(clone.options!.map((child) => child.name_localizations?.de)).toEqual(['stimme', 'text', 'sprache', 'stimme_bereinigen', 'sprachnachricht']);
		expect(option(clone, 'text').description_localizations?.de).toBe('Was die Stimme sagen soll');
		const language = option(clone, 'language');
		expect(language.choices!.find((choice) => choice.value === 'de')?.name_localizations).toMatchObject({
			de: 'Deutsch',
			fr: 'Allemand',
			'es-ES': 'Alemán',
			'es-419': 'Alemán',
			'pt-BR': 'Alemão',
		});
		// English stays the base: names, descriptions and choice labels as before.
		expect(clone.name).toBe('clone');
		expect(language.choices!.find((choice) => choice.value === 'de')?.name).toBe('German');
	});

	it('/clone-settings in Spanish, French and Brazilian Portuguese, with the defaults filled in', () => {
		const settings = definition('clone-settings');
		expect(option(settings, 'limits', 'member_jobs').name_localizations).toMatchObject({
			'es-ES': 'por_miembro',
			'es-419': 'por_miembro',
			fr: 'par_membre',
			'pt-BR': 'por_membro',
		});
		expect(option(settings, 'limits', 'cooldown_seconds').description_localizations?.fr).toBe(
			'Secondes d’attente d’un membre entre deux clonages (par défaut 15)',
		);
		expect(option(settings, 'language', 'channel').name_localizations?.de).toBe('kanal');
		for (const { node } of nodes(settings)) {
			for (const text of [...Object.values(node.name_localizations ?? {}), ...Object.values(node.description_localizations ?? {})])
				expect(text).not.toMatch(/\{\w+\}/);
		}
	});

	it('the "Clone this voice" menu is named in every Discord locale of the supported languages', () => {
		const menu = definition('Clone this voice');
		expect(menu.name_localizations).toMatchObject({
			'es-ES': 'Clonar esta voz',
			'es-419': 'Clonar esta voz',
			fr: 'Cloner cette voix',
			de: 'Diese Stimme klonen',
			'pt-BR': 'Clonar esta voz',
			'zh-CN': '克隆这个声音',
			hi: 'यह आवाज़ क्लोन करें',
		});
		expect(Object.keys(menu.name_localizations!).sort()).toEqual(
			['es-ES', 'es-419', 'fr', 'de', 'it', 'pt-BR', 'pl', 'tr', 'ru', 'nl', 'cs', 'zh-CN', 'zh-TW', 'hu', 'ko', 'hi'].sort(),
		);
		for (const name of Object.values(menu.name_localizations!)) expect(name.length).toBeLessThanOrEqual(32);
	});

	it('the 16 language choices are named for all 16 Discord locales of the supported languages', () => {
		const choices = option(definition('clone'), 'language').choices!;
		const wanted = ['es-ES', 'es-419', 'fr', 'de', 'it', 'pt-BR', 'pl', 'tr', 'ru', 'nl', 'cs', 'zh-CN', 'zh-TW', 'hu', 'ko', 'hi'];
		for (const choice of choices) expect(Object.keys(choice.name_localizations ?? {}).sort()).toEqual([...wanted].sort());
		expect(choices.find((choice) => choice.value === 'zh')?.name_localizations).toMatchObject({ 'zh-CN': '中文', 'zh-TW': '中文', ko: '중국어' });
		expect(choices[0]?.name_localizations).not.toHaveProperty('ja');
		expect(option(definition('clone-settings'), 'language', 'language').choices).toEqual(choices);
	});

	it('every localization across all commands is valid for Discord', () => {
		for (const command of commandDefinitions as unknown as Node[]) {
			const chatInput = (command as { type?: number }).type === undefined || (command as { type?: number }).type === ApplicationCommandType.ChatInput;
			for (const { node, siblings } of nodes(command)) {
				for (const [locale, name] of Object.entries(node.name_localizations ?? {})) {
					expect(DISCORD_LOCALES.has(locale), `${locale} is a Discord locale`).toBe(true);
					if (chatInput) {
						expect(name, `${node.name} in ${locale}`).toMatch(OPTION_NAME);
						expect(name, `${node.name} in ${locale} is lowercase`).toBe(name.toLocaleLowerCase(locale));
					} else {
						expect(name.length).toBeGreaterThan(0);
						expect(name.length).toBeLessThanOrEqual(32);
					}
					// Names are unique among their siblings in every language.
					const sameLevel = siblings.map((sibling) => sibling.name_localizations?.[locale] ?? sibling.name);
					expect(new Set(sameLevel).size, `${locale}: ${sameLevel.join(', ')}`).toBe(siblings.length);
				}
				for (const [locale, description] of Object.entries(node.description_localizations ?? {})) {
					expect(DISCORD_LOCALES.has(locale)).toBe(true);
					expect(description.length, `${node.name} in ${locale}: ${description}`).toBeGreaterThan(0);
					expect(description.length, `${node.name} in ${locale}: ${description}`).toBeLessThanOrEqual(100);
				}
				for (const choice of node.choices ?? []) {
					for (const [locale, name] of Object.entries(choice.name_localizations ?? {})) {
						expect(DISCORD_LOCALES.has(locale)).toBe(true);
						expect(name.length).toBeGreaterThan(0);
						expect(name.length).toBeLessThanOrEqual(100);
					}
				}
			}
		}
	});

	it('every language translates every command name and description, and no file has a key for nothing', () => {
		const keys = new Set(commandDefinitions.flatMap((command) => commandLocalizationKeys(command as RESTPostAPIApplicationCommandsJSONBody)));
		for (const pack of LANGUAGE_PACKS) {
			for (const key of Object.keys(pack.commands ?? {})) expect(keys.has(key), `${pack.tag}: ${key} matches no command`).toBe(true);
			if (pack.tag !== 'en')
				expect(
					[...keys].filter((key) => pack.commands?.[key] === undefined),
					pack.tag,
				).toEqual([]);
		}
	});

	it('descriptions and replies name /clone as it is called in their own language', () => {
		for (const pack of LANGUAGE_PACKS) {
			const clone = pack.commands?.['clone.name'];
			if (!clone || pack.tag === 'en') continue;
			const texts = [
				...Object.entries(pack.commands ?? {}).filter(([key]) => key.endsWith('.description')),
				...Object.entries(pack.messages ?? {}).filter(([, text]) => typeof text === 'string'),
			];
			for (const [key, text] of texts as [string, string][]) {
				// `/clone` is the English name; each language's own is in its commands.
				expect(/\/clone(?![-\w])/.test(text), `${pack.tag} ${key}: ${text}`).toBe(false);
			}
		}
	});
});

describe('the message catalogue', () => {
	it('English defines every key; es, fr, de and pt-BR translate every key with the same placeholders', () => {
		for (const tag of FULL) {
			const pack = LANGUAGE_PACKS.find((candidate) => candidate.tag === tag)!;
			expect(
				MESSAGE_KEYS.filter((key) => pack.messages?.[key] === undefined),
				`${tag} is missing`,
			).toEqual([]);
			for (const key of MESSAGE_KEYS) expect(placeholders(pack.messages?.[key]), `${tag} ${key}`).toEqual(placeholders(en.messages[key]));
		}
	});

	it('the other languages name all 16 languages and explicitly fall back to English for replies', () => {
		for (const pack of LANGUAGE_PACKS) {
			expect(
				LANGUAGE_CODES.filter((code) => !pack.languageNames?.[code]),
				pack.tag,
			).toEqual([]);
			for (const key of Object.keys(pack.messages ?? {})) expect(MESSAGE_KEYS, `${pack.tag}: ${key}`).toContain(key);
			if (!FULL.includes(pack.tag) && pack.tag !== 'en') {
				expect(pack.messages, `${pack.tag} has no replies yet`).toBeUndefined();
				for (const locale of pack.discordLocales) {
					expect(replyLanguage(locale).tag).toBe('en');
					expect(languageLabel('de', 'server', locale)).toBe('German — server default');
				}
			}
		}
	});

	it('picks the member’s language from their Discord locale, with English as the fallback', () => {
		expect(replyLanguage('de').tag).toBe('de');
		expect(replyLanguage('es-419').tag).toBe('es');
		expect(replyLanguage('es-ES').tag).toBe('es');
		expect(replyLanguage('pt-BR').tag).toBe('pt-BR');
		expect(replyLanguage('fr').tag).toBe('fr');
		expect(replyLanguage('en-GB').tag).toBe('en');
		expect(replyLanguage('ja').tag).toBe('en');
		expect(replyLanguage(undefined).tag).toBe('en');
		expect(replyLanguage('').tag).toBe('en');
		// Same language, another region: the language's file.
		expect(replyLanguage('es-MX').tag).toBe('es');
		expect(replyLanguage('pt-PT').tag).toBe('pt-BR');
	});

	it('fills placeholders, localizes language names, numbers and plurals', () => {
		expect(languageLabel('de', 'server', 'es-ES')).toBe('Alemán — predeterminado del servidor');
		expect(languageLabel('de', 'server')).toBe('German — server default');
		expect(languageNameFor('fr', 'de')).toBe('Französisch');
		expect(t('de', 'wait.cooldown', { seconds: 15 })).toBe('nach deiner Wartezeit (etwa 15 s)');
		expect(t('en-US', 'settings.clones', { count: 1 })).toBe('1 clone');
		expect(t('en-US', 'settings.clones', { count: 2 })).toBe('2 clones');
		expect(t('de', 'settings.clones', { count: 3 })).toBe('3 Klone');
		expect(speakerProblemMessage({ kind: 'too-short', seconds: 0.5 }, 'de')).toContain('nur 0,5 s lang');
		expect(speakerProblemMessage({ kind: 'too-short', seconds: 0.5 })).toContain('only 0.5 s long');
		expect(formatBytes(1.5 * 1024 * 1024, 'fr')).toBe('1,5 Mio');
		expect(formatBytes(1.5 * 1024 * 1024)).toBe('1.5 MiB');
		expect(refusal.memberBusy(1, 'pt-BR')).toBe('⏳ Você já tem uma clonagem em andamento. Espere ela terminar antes de começar outra.');
		// A member's text is never read as a placeholder.
		expect(t('en', 'voice.unknownLanguage', { text: '{codes} $&', codes: 'en' })).toBe(
			'🌐 "{codes} $&" is not a language the voice service speaks. Use one of: en.',
		);
	});

	it('failure messages keep the reference line in every language', () => {
		expect(failureMessage({ kind: 'busy' }, { jobId: 'k3Jd9aQ2xZ0p', requestId: 'xtts-v2-api_1' }, 'fr')).toBe(
			'⏳ Le service vocal est surchargé. Réessaie dans une minute.\nRéférence : `k3Jd9aQ2xZ0p` · requête `xtts-v2-api_1`',
		);
		expect(failureMessage({ kind: 'busy' }, { jobId: 'k3Jd9aQ2xZ0p' }, 'ja')).toBe(
			'⏳ The voice service is busy. Please try again in a minute.\nReference: `k3Jd9aQ2xZ0p`',
		);
	});

	it('accepts a language typed in the form by code or by name in any of the bot’s languages', () => {
		expect(parseLanguage('German')).toBe('de');
		expect(parseLanguage('deutsch')).toBe('de');
		expect(parseLanguage('Alemán')).toBe('de');
		expect(parseLanguage('PT')).toBe('pt');
		expect(parseLanguage('日本語')).toBeUndefined();
		expect(parseLanguage('Klingon')).toBeUndefined();
	});

	it('is typed: a message needs exactly its parameters', () => {
		// @ts-expect-error the cooldown phrase needs {seconds}
		expect(t('en', 'wait.cooldown')).toBe('after your cooldown (about {seconds} s)');
	});
});

describe('/clone end to end in the member’s language', () => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});
	const isFinal = (content: string) => !content.startsWith('🎙️');

	it.each([
		['de', '🗣️ Geklonte Stimme für', 'Deutsch — deine Discord-Sprache', '**In der Warteschlange**', 'Abbrechen'],
		['pt-BR', '🗣️ Voz clonada para', 'Português — seu idioma do Discord', '**Na fila**', 'Cancelar'],
		['es-ES', '🗣️ Voz clonada para', 'Español — tu idioma de Discord', '**En cola**', 'Cancelar'],
		['fr', '🗣️ Voix clonée pour', 'Français — ta langue Discord', '**En file**', 'Annuler'],
	])('%s: progress and result in that language', async (locale, result, label, queued, cancel) => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['QUEUED', 'COMPLETED'] };
		const run = h.clone({ file: makeWav({ seconds: 2 }), extra: { locale } });
		const progress = await run.edit((content) => content.includes(queued));
		expect(contentOf(progress)).toMatch(/\n\S+ <t:\d+:R> · /);
		expect(progress.json?.components?.[0]?.components?.[0]?.label).toBe(cancel);

		const final = await run.edit(isFinal);
		const content = contentOf(final);
		expect(content.startsWith(result)).toBe(true);
		expect(content).toContain(label);
		expect(content).not.toContain('Cloned voice');
		// The hint for a short sample, with the language's decimal comma.
		expect(content).toContain('2,0 s');
		expect(final.files[0]?.filename).toBe('clone.wav');
		// The language spoken is the member's, as before.
		expect(h.xtts.generateRequests()[0]?.body).toMatchObject({ language: locale.slice(0, 2) });
	});

	it('an explicit language is named in the member’s language', async () => {
		h = await startHarness();
		const final = await h.clone({ file: makeWav({ seconds: 4 }), language: 'de', extra: { locale: 'es-419' } }).edit(isFinal);
		expect(contentOf(final)).toContain('Alemán — elegido');
	});

	it('refusals of bad input in the member’s language', async () => {
		h = await startHarness();
		const empty = await h.clone({ file: makeWav({ seconds: 4 }), text: '  ', extra: { locale: 'fr' } }).callback();
		expect(empty.json?.data?.content).toBe('✏️ Écris la phrase à dire : le texte est vide.');
		const short = await h.clone({ file: makeWav({ seconds: 0.5 }), extra: { locale: 'pt-BR' } }).followUp();
		expect(short.json?.content).toContain('A amostra de voz tem só 0,5 s');
		expect(h.xtts.requests).toHaveLength(0);
	});

	it('an unsupported locale (ja) gets English, exactly as before', async () => {
		h = await startHarness();
		const final = await h.clone({ file: makeWav({ seconds: 4 }), extra: { locale: 'ja' } }).edit(isFinal);
		const content = contentOf(final);
		expect(content).toMatch(
			/^🗣️ Cloned voice for <@(\d+)> · English — default\n> Hello from the test suite\.\n-# 🤖 AI-generated voice · requested by <@\1> · voice uploaded by <@\1>, who answers for it\n-# XTTS v2 · Coqui Public Model License: <https:\/\/coqui\.ai\/cpml>$/,
		);
		expect(final.json?.components?.[0]?.components?.map((button: { label: string }) => button.label)).toEqual(['Again', 'Delete', 'Report']);
	});

	it('an unknown message key is a programming error, not an empty reply', () => {
		// @ts-expect-error a key that doesn't exist
		expect(() => t('de', 'no.such.key')).toThrow('no message no.such.key');
	});

	it('a locale with only language names (it) gets English replies, not a mix', async () => {
		h = await startHarness();
		const final = await h.clone({ file: makeWav({ seconds: 4 }), extra: { locale: 'it' } }).edit(isFinal);
		expect(contentOf(final)).toContain('Cloned voice for');
		expect(contentOf(final)).toContain('Italian — your Discord language');
	});

	it('/clone-settings answers the moderator in their language', async () => {
		h = await startHarness();
		const run = h.command({
			commandName: 'clone-settings',
			locale: 'de',
			memberPermissions: '32',
			options: [{ name: 'language', type: 1, options: [{ name: 'language', type: 3, value: 'fr' }] }] as never,
		});
		expect((await run.callback()).json?.data?.content).toBe(
			'✅ /klonen spricht jetzt **Französisch** auf diesem Server, außer ein Mitglied wählt eine Sprache oder ein Kanal hat eine eigene.',
		);
		const limits = h.command({
			commandName: 'clone-settings',
			locale: 'es-ES',
			memberPermissions: '32',
			options: [{ name: 'limits', type: 1, options: [] }] as never,
		});
		expect((await limits.callback()).json?.data?.content).toBe(
			'Límites: 1 clonación a la vez por miembro, 5 por servidor, 15 s entre dos clonaciones de un miembro; en espera, como máximo 3 por miembro y 100 en el servidor.',
		);
	});

	it('"Clone this voice": the form and its answers in the member’s language', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['COMPLETED'] };
		const OGG_OPUS = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(24), Buffer.from('OpusHead'), Buffer.alloc(600)]);
		const url = h.discord.addAttachment('voice-message.ogg', OGG_OPUS, 'audio/ogg');
		const attachments = [voiceMessageAttachment(url, OGG_OPUS.length)];
		const message = messagePayload({ author: { id: '1180000000000000812' }, attachments });
		const messageId = message.id;
		const menu = h.command({
			commandName: 'Clone this voice',
			commandType: ApplicationCommandType.Message,
			targetId: messageId,
			locale: 'de',
			// The member's own voice message: nobody else's permission is needed.
			user: { id: '1180000000000000812' },
			resolved: { messages: { [messageId]: message } } as never,
		});
		const modal = (await menu.callback()).json?.data;
		expect(modal?.title).toBe('Diese Stimme klonen');
		const inputs = modal?.components?.map((row: { components: { label: string; placeholder?: string }[] }) => row.components[0]);
		expect(inputs?.map((input: { label: string }) => input.label)).toEqual(['Was soll die Stimme sagen?', 'Sprache (optional)']);
		for (const input of inputs ?? []) expect(input.label.length).toBeLessThanOrEqual(45);

		const submit = (language: string, customId: string = modal?.custom_id) =>
			h.submitModal({ customId, text: 'Hallo zusammen', language, locale: 'de', userId: '1180000000000000812' });

		const unknown = await submit('Klingonisch').callback();
		expect(unknown.json?.data?.content).toBe(
			'🌐 „Klingonisch“ ist keine Sprache, die der Sprachdienst spricht. Verwende eine von: en, es, fr, de, it, pt, pl, tr, ru, nl, cs, ar, zh, hu, ko, hi.',
		);
		const submitted = submit('Deutsch');
		expect((await submitted.callback()).json?.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
		expect(contentOf(await submitted.final())).toContain('Deutsch — gewählt');
		const expired = await submit('Deutsch', 'clone-voice:nosuchkey').callback();
		expect(expired.json?.data?.content).toBe('⌛ Dieses Formular ist abgelaufen. Bitte verwende „Diese Stimme klonen“ noch einmal bei der Nachricht.');
	});
});

/** The result's buttons and failure messages are built by the job runner, from the job's record. */
describe('what the job runner builds, in the member’s language', () => {
	let h: Harness;
	afterEach(async () => {
		await h?.close();
	});
	const isFinal = (content: string) => !content.startsWith('🎙️');

	it.each([
		['de', ['Nochmal', 'Löschen', 'Melden']],
		['pt-BR', ['De novo', 'Excluir', 'Denunciar']],
		['es-ES', ['Otra vez', 'Eliminar', 'Reportar']],
		['fr', ['Encore', 'Supprimer', 'Signaler']],
		['ja', ['Again', 'Delete', 'Report']],
	])('%s: the result’s buttons', async (locale, buttons) => {
		h = await startHarness();
		const final = await h.clone({ file: makeWav({ seconds: 4 }), extra: { locale } }).edit(isFinal);
		expect(final.json?.components?.[0]?.components?.map((button: { label: string }) => button.label)).toEqual(buttons);
	});

	it('a failure in German, with the reference', async () => {
		h = await startHarness();
		h.xtts.nextJob = { script: ['QUEUED', 'FAILED'], error: 'Speaker audio could not be decoded' };
		const content = contentOf(await h.clone({ file: makeWav({ seconds: 4 }), extra: { locale: 'de' } }).edit(isFinal));
		expect(content).toContain('❌ Der Sprachdienst konnte das nicht klonen: Speaker audio could not be decoded');
		expect(content).toMatch(/Referenz: `[\w-]{12}` · Anfrage `xtts-v2-api_/);
	});
});
