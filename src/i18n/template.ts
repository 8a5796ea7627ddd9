import type { PluralTemplate, Template } from './pack.js';

/** Picks the plural form for `count` by the language's rules; a plain string is its own form. */
export function choose(template: Template, tag: string, count: string | number | undefined): string {
	if (typeof template === 'string') return template;
	const form = typeof count === 'number' ? (new Intl.PluralRules(tag).select(count) as keyof PluralTemplate) : 'other';
	return template[form] ?? template.other;
}

/** Fills `{name}` placeholders; an unknown one is left as it is, so a mistake shows instead of vanishing. */
export function fill(template: string, values: Readonly<Record<string, string | number>>): string {
	return template.replace(/\{(\w+)\}/g, (placeholder, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : placeholder));
}
