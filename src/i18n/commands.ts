import type { LocalizationMap, RESTPostAPIApplicationCommandsJSONBody } from 'discord.js';
import { isLanguageCode } from '../xtts/languages.js';
import { LANGUAGE_PACKS } from './locales/index.js';
import type { LanguagePack } from './pack.js';
import { fill } from './template.js';

/**
 * Adds Discord's `name_localizations` / `description_localizations` to a command definition written in
 * English, from the language files: the command, each option and subcommand by its English path
 * (`clone-settings.limits.member_jobs.description`), and language choices by their code.
 */

interface Node {
	name: string;
	description?: string;
	options?: readonly Node[];
	choices?: readonly { name: string; value: unknown }[];
}

/** Languages whose files translate commands: every file but the base language's (English). */
const translated = (): LanguagePack[] => LANGUAGE_PACKS.filter((pack) => pack.tag !== 'en');

export function localizeCommand<T extends RESTPostAPIApplicationCommandsJSONBody>(data: T, params: Readonly<Record<string, string | number>> = {}): T {
	return localizeNode(data as unknown as Node, data.name, params) as unknown as T;
}

/** Every key localizeCommand looks up for a definition (what a complete language file translates). */
export function commandLocalizationKeys(data: RESTPostAPIApplicationCommandsJSONBody): string[] {
	const keys: string[] = [];
	const walk = (node: Node, path: string) => {
		keys.push(`${path}.name`);
		if (typeof node.description === 'string') keys.push(`${path}.description`);
		for (const option of node.options ?? []) walk(option, `${path}.${option.name}`);
	};
	walk(data as unknown as Node, data.name);
	return keys;
}

function localizeNode(node: Node, path: string, params: Readonly<Record<string, string | number>>): Node {
	const localized: Node & { name_localizations?: LocalizationMap; description_localizations?: LocalizationMap } = { ...node };
	const names = localizations((pack) => pack.commands?.[`${path}.name`], params);
	if (names) localized.name_localizations = names;
	if (typeof node.description === 'string') {
		const descriptions = localizations((pack) => pack.commands?.[`${path}.description`], params);
		if (descriptions) localized.description_localizations = descriptions;
	}
	if (node.options) localized.options = node.options.map((option) => localizeNode(option, `${path}.${option.name}`, params));
	if (node.choices) {
		localized.choices = node.choices.map((choice) => {
			const value = choice.value;
			const names = isLanguageCode(value) ? localizations((pack) => pack.languageNames?.[value], params) : undefined;
			return names ? { ...choice, name_localizations: names } : choice;
		});
	}
	return localized;
}

function localizations(textIn: (pack: LanguagePack) => string | undefined, params: Readonly<Record<string, string | number>>): LocalizationMap | undefined {
	const map: Record<string, string> = {};
	for (const pack of translated()) {
		const text = textIn(pack);
		if (text === undefined) continue;
		for (const locale of pack.discordLocales) map[locale] = fill(text, params);
	}
	return Object.keys(map).length > 0 ? (map as LocalizationMap) : undefined;
}
