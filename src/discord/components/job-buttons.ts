import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIComponentInMessageActionRow } from 'discord.js';
import { t } from '../../i18n/index.js';
import { customId } from '../context.js';

/**
 * The buttons on a job's message. Their custom ids carry the job id, and the job's record in the store
 * carries the rest, so they keep working after a restart.
 */

export type JobButtonAction = 'cancel' | 'again' | 'delete';

/** Custom ids of a result's Report button (`report:open:<job id>`) and of its form (`report:<job id>`). */
export const REPORT_PREFIX = 'report';

/** Custom ids are `job:<action>:<job id>`. */
export const JOB_BUTTON_PREFIX = 'job';

export function jobButtonId(action: JobButtonAction, jobId: string): string {
	return customId(JOB_BUTTON_PREFIX, action, jobId);
}

/** The arguments after the prefix, or undefined for an action this version doesn't know. */
export function parseJobButtonArgs([action, jobId]: readonly string[]): { action: JobButtonAction; jobId: string } | undefined {
	if (!jobId || (action !== 'cancel' && action !== 'again' && action !== 'delete')) return undefined;
	return { action, jobId };
}

type Row = APIActionRowComponent<APIComponentInMessageActionRow>;

/** While a job runs: Cancel. Labelled in the requester's language (`job.locale`). */
export function runningButtons(jobId: string, locale?: string): Row[] {
	return [
		{
			type: ComponentType.ActionRow,
			components: [{ type: ComponentType.Button, style: ButtonStyle.Secondary, label: t(locale, 'button.cancel'), custom_id: jobButtonId('cancel', jobId) }],
		},
	];
}

/** On a result: Again (a new take), Delete and Report. Labelled in the requester's language (`job.locale`). */
export function resultButtons(jobId: string, locale?: string): Row[] {
	return [
		{
			type: ComponentType.ActionRow,
			components: [
				{
					type: ComponentType.Button,
					style: ButtonStyle.Primary,
					label: t(locale, 'button.again'),
					emoji: { name: '🔁' },
					custom_id: jobButtonId('again', jobId),
				},
				{
					type: ComponentType.Button,
					style: ButtonStyle.Danger,
					label: t(locale, 'button.delete'),
					emoji: { name: '🗑️' },
					custom_id: jobButtonId('delete', jobId),
				},
				// For any member: it opens a form for the reason, and the report goes to the server's moderators.
				{
					type: ComponentType.Button,
					style: ButtonStyle.Secondary,
					label: t(locale, 'button.report'),
					emoji: { name: '🚩' },
					custom_id: customId(REPORT_PREFIX, 'open', jobId),
				},
			],
		},
	];
}
