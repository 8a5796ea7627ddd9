import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIComponentInMessageActionRow } from 'discord.js';

/**
 * The buttons on a job's message. Their custom ids carry the job id, and the job's record in the store
 * carries the rest, so they keep working after a restart.
 */

export type JobButtonAction = 'cancel' | 'again' | 'delete';

const PREFIX = 'job';

export function jobButtonId(action: JobButtonAction, jobId: string): string {
	return `${PREFIX}:${action}:${jobId}`;
}

export function parseJobButtonId(customId: string): { action: JobButtonAction; jobId: string } | undefined {
	const [prefix, action, jobId] = customId.split(':');
	if (prefix !== PREFIX || !jobId || (action !== 'cancel' && action !== 'again' && action !== 'delete')) return undefined;
	return { action, jobId };
}

type Row = APIActionRowComponent<APIComponentInMessageActionRow>;

/** While a job runs: Cancel. */
export function runningButtons(jobId: string): Row[] {
	return [{ type: ComponentType.ActionRow, components: [{ type: ComponentType.Button, style: ButtonStyle.Secondary, label: 'Cancel', custom_id: jobButtonId('cancel', jobId) }] }];
}

/** On a result: Again (a new take) and Delete. */
export function resultButtons(jobId: string): Row[] {
	return [
		{
			type: ComponentType.ActionRow,
			components: [
				{ type: ComponentType.Button, style: ButtonStyle.Primary, label: 'Again', emoji: { name: '🔁' }, custom_id: jobButtonId('again', jobId) },
				{ type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Delete', emoji: { name: '🗑️' }, custom_id: jobButtonId('delete', jobId) },
			],
		},
	];
}
