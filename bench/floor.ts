import { InteractionResponseType, REST, Routes } from 'discord.js';
import { DEFAULT_APPLICATION_ID, snowflake, TEST_BOT_TOKEN } from '../test/fakes/discord-api.js';
import { BENCH_XTTS_KEY, benchText } from './protocol.js';
import type { Rig, Trace } from './rig.js';

/**
 * The floor: the fakes alone, with nothing of the bot in between. The same requests the bot sends, made bare with
 * discord.js's REST (its own client, as the bot's is) and Node's fetch, from the bot's process, in the same run.
 */

export const bareRestOf = (rig: Rig) => new REST({ api: rig.fakes.discordApiUrl }).setToken(TEST_BOT_TOKEN);

const newTrace = (rig: Rig, injectedAt: number): Trace => {
	const trace: Trace = { member: snowflake(), interactionId: snowflake(), injectedAt, uploads: [] };
	rig.watch(trace);
	return trace;
};
const tokenOf = (trace: Trace) => `floor-${trace.interactionId}`;

/** `count` bare deferred callbacks sent at the same moment: each one's time until the fake received it. */
export async function floorAcks(rig: Rig, count: number, rest = bareRestOf(rig)): Promise<number[]> {
	const traces = Array.from({ length: count }, () => newTrace(rig, Date.now()));
	const started = Date.now();
	for (const trace of traces) trace.injectedAt = started;
	await Promise.all(
		traces.map((trace) =>
			rest.post(Routes.interactionCallback(trace.interactionId, tokenOf(trace)), {
				body: { type: InteractionResponseType.DeferredChannelMessageWithSource },
				auth: false,
			}),
		),
	);
	await rig.waitFor(() => traces.every((trace) => trace.ackAt !== undefined), 30_000, 'the bare callbacks');
	return traces.map((trace) => (trace.ackAt as number) - started);
}

/** A finished job's media URL at the XTTS fake (a job of its own, completed at once). */
async function finishedMediaUrl(rig: Rig): Promise<string> {
	const headers = { 'Content-Type': 'application/json', 'Ocp-Apim-Subscription-Key': BENCH_XTTS_KEY };
	const body = JSON.stringify({ speaker: rig.fakes.speakerUrl, text: 'The floor.', language: 'en' });
	const accepted = (await (await fetch(`${rig.fakes.xttsOrigin}/voice-clone/v1/xtts-v2/generate`, { method: 'POST', headers, body })).json()) as {
		request_id: string;
	};
	await rig.fakes.completeAll();
	const status = (await (await fetch(`${rig.fakes.xttsOrigin}/v2/requests/status/${accepted.request_id}`, { headers })).json()) as {
		output: { media_url: string[] };
	};
	return status.output.media_url[0] as string;
}

/**
 * What delivering a finished job takes at the least: download its audio and upload it as the reply's edit, with
 * the media URL in hand (as a callback brings it). One after another, `count` times: each one's time.
 */
export async function floorDeliveries(rig: Rig, count: number): Promise<number[]> {
	const rest = bareRestOf(rig);
	const url = await finishedMediaUrl(rig);
	const latencies: number[] = [];
	for (let index = 0; index < count; index++) {
		const trace = newTrace(rig, Date.now());
		await rest.post(Routes.interactionCallback(trace.interactionId, tokenOf(trace)), {
			body: { type: InteractionResponseType.DeferredChannelMessageWithSource },
			auth: false,
		});
		const started = Date.now();
		const data = Buffer.from(await (await fetch(url)).arrayBuffer());
		await rest.patch(Routes.webhookMessage(DEFAULT_APPLICATION_ID, tokenOf(trace)), {
			body: { content: `<@${trace.member}>` },
			files: [{ name: 'clone.wav', data }],
			auth: false,
		});
		await rig.waitFor(() => trace.uploads.length > 0, 30_000, 'the bare upload');
		latencies.push((trace.uploads[0] as number) - started);
	}
	return latencies;
}

/**
 * A long text's floor: its `count` parts' generate requests sent bare, all at once, until the XTTS fake has turned
 * the last of them COMPLETED: the API's own time for the parts, with nothing of the bot in between.
 */
export async function floorParts(rig: Rig, count: number): Promise<number> {
	const headers = { 'Content-Type': 'application/json', 'Ocp-Apim-Subscription-Key': BENCH_XTTS_KEY };
	const started = Date.now();
	const traces = Array.from({ length: count }, () => newTrace(rig, started));
	await Promise.all(
		traces.map((trace) =>
			fetch(`${rig.fakes.xttsOrigin}/voice-clone/v1/xtts-v2/generate`, {
				method: 'POST',
				headers,
				body: JSON.stringify({ speaker: rig.fakes.speakerUrl, text: benchText(trace.member), language: 'en' }),
			}).then((response) => response.arrayBuffer()),
		),
	);
	await rig.waitFor(() => traces.every((trace) => trace.completedAt !== undefined), 120_000, 'the bare parts to be completed');
	return Math.max(...traces.map((trace) => trace.completedAt as number)) - started;
}
