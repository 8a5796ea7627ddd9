import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The dependency rule of the README's layout: arrows point down only,
 * discord → jobs → {xtts, audio, store} → util, and i18n/ and discord.js are the Discord layer's alone.
 */

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

type Layer = 'root' | 'discord' | 'server' | 'jobs' | 'xtts' | 'audio' | 'store' | 'util' | 'i18n';

/** What each layer may import besides itself. `root` is the composition root (bot.ts, index.ts, config.ts). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
	root: ['discord', 'server', 'jobs', 'xtts', 'audio', 'store', 'util', 'i18n'],
	// Of the root, only config.ts (plain data: the typed environment that handlers read); see ROOT_FOR_DISCORD.
	discord: ['root', 'jobs', 'xtts', 'audio', 'store', 'util', 'i18n'],
	server: ['util'],
	jobs: ['xtts', 'audio', 'store', 'util'],
	// The settings keep a language code: xtts/languages.ts is the vocabulary, nothing else of xtts/ is used.
	store: ['xtts', 'util'],
	audio: ['util'],
	xtts: ['util'],
	util: [],
	// Language names are keyed by the API's language codes.
	i18n: ['xtts'],
};

/** Packages only the Discord layer (discord/, its message catalogue i18n/, and the composition root) may use. */
const DISCORD_LAYERS: ReadonlySet<Layer> = new Set(['discord', 'i18n', 'root']);
const DISCORD_PACKAGES = /^(discord\.js|@discordjs\/|discord-api-types)/;
/** What discord/ may import from the composition root. */
const ROOT_FOR_DISCORD = new Set(['config.ts']);

function layerOf(file: string): Layer {
	const [first, second] = path.relative(SRC, file).split(path.sep);
	return second === undefined ? 'root' : (first as Layer);
}

function sourceFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const full = path.join(dir, entry.name);
		return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
	});
}

function importsOf(source: string): string[] {
	const specifiers: string[] = [];
	// Comments first: a `;` or a quote in one must not end or start an import.
	const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
	// `import x from '…'`, `import type {…} from '…'` over several lines, `export * from '…'`, and `import '…'`.
	for (const match of code.matchAll(/(?:^|\n)\s*(?:import|export)\s(?:[^;'"`]*?\sfrom\s*)?['"]([^'"]+)['"]/g)) if (match[1]) specifiers.push(match[1]);
	for (const match of code.matchAll(/import\(\s*['"`]([^'"`]+)['"`]\s*\)/g)) if (match[1]) specifiers.push(match[1]);
	return specifiers;
}

/** Every import that breaks the rule, as "file → what it imports (why)". */
function violations(files: readonly { file: string; source: string }[]): string[] {
	const found: string[] = [];
	for (const { file, source } of files) {
		const from = layerOf(file);
		for (const specifier of importsOf(source)) {
			const name = path.relative(SRC, file);
			if (!specifier.startsWith('.')) {
				if (DISCORD_PACKAGES.test(specifier) && !DISCORD_LAYERS.has(from)) found.push(`${name} → ${specifier} (discord.js outside discord/)`);
				continue;
			}
			const target = path.resolve(path.dirname(file), specifier);
			const to = layerOf(target);
			if (to !== from && !MAY_IMPORT[from].includes(to)) found.push(`${name} → ${specifier} (${from} may not import ${to})`);
			else if (from === 'discord' && to === 'root' && !ROOT_FOR_DISCORD.has(path.basename(target).replace(/\.js$/, '.ts')))
				found.push(`${name} → ${specifier} (discord may import only config.ts from the root)`);
		}
	}
	return found;
}

const files = sourceFiles(SRC).map((file) => ({ file, source: readFileSync(file, 'utf8') }));

describe('architecture', () => {
	it('every import points down the layers; discord.js and i18n stay in discord/', () => {
		expect(files.length).toBeGreaterThan(40);
		expect(violations(files)).toEqual([]);
	});

	it('the rule catches an upward import, a sideways one, i18n and discord.js below discord/', () => {
		const at = (relative: string, source: string) => ({ file: path.join(SRC, relative), source });
		expect(
			violations([
				at('jobs/runner.ts', "import { t } from '../i18n/index.js';"),
				at('store/settings.ts', "import type { JobRecord } from '../jobs/lifecycle.js';"),
				at('audio/join.ts', "import { XttsError } from '../xtts/contract.js';"),
				at('util/http.ts', "import { Routes } from 'discord.js';"),
				at('xtts/client.ts', "export { presenter } from '../discord/presenter.js';"),
				at('discord/router.ts', "import { t } from '../i18n/index.js';\nimport { Routes } from 'discord.js';"),
				at('jobs/line.ts', "import '../i18n/index.js';"),
				at('jobs/track.ts', "import {\n\ttype Interaction,\n\t// a comment; with a semicolon\n} from 'discord-api-types/v10';"),
				at('discord/clone-request.ts', "import { createBot } from '../bot.js';\nimport type { Config } from '../config.js';"),
			]),
		).toEqual([
			'jobs/runner.ts → ../i18n/index.js (jobs may not import i18n)',
			'store/settings.ts → ../jobs/lifecycle.js (store may not import jobs)',
			'audio/join.ts → ../xtts/contract.js (audio may not import xtts)',
			'util/http.ts → discord.js (discord.js outside discord/)',
			'xtts/client.ts → ../discord/presenter.js (xtts may not import discord)',
			'jobs/line.ts → ../i18n/index.js (jobs may not import i18n)',
			'jobs/track.ts → discord-api-types/v10 (discord.js outside discord/)',
			'discord/clone-request.ts → ../bot.js (discord may import only config.ts from the root)',
		]);
	});

	it('no module under src/ is over 300 lines', () => {
		const long = files.map(({ file, source }) => ({ file: path.relative(SRC, file), lines: source.split('\n').length - 1 })).filter(({ lines }) => lines > 300);
		expect(long).toEqual([]);
	});
});
