import { AttachmentBuilder, Client, type ChatInputCommandInteraction } from 'discord.js';

/**
 * The benchmark's naive peer: a minimal bot that does what the API documentation's "Typical Workflow" says and
 * nothing more. /clone defers, sends the generate request, records the request id, polls every 5 s, downloads
 * the audio once COMPLETED and posts it. No connection pools of its own (Node's global fetch), no webhooks, no
 * splitting of long texts, no store, no limits, no retries. Its figures, beside the bot's in the same run, are what
 * the bot's design is worth.
 */

export interface NaivePeerOptions {
	discordApiUrl: string;
	xttsOrigin: string;
	apiKey: string;
	/** "Poll every 5-10 seconds": the documentation's lower bound. */
	pollMs?: number;
	/** The wait between polls (the throughput scenario ends every wait at once, for the bot and the peer alike). */
	sleep?: (ms: number) => Promise<void>;
}

export interface NaivePeer {
	client: Client;
	/** Requests it is working on. */
	active(): number;
	stop(): Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function startNaivePeer(options: NaivePeerOptions): NaivePeer {
	const pollMs = options.pollMs ?? 5_000;
	const sleep = options.sleep ?? realSleep;
	const client = new Client({ intents: [], rest: { api: options.discordApiUrl } });
	const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache', 'Ocp-Apim-Subscription-Key': options.apiKey };
	let active = 0;
	let stopped = false;

	async function clone(interaction: ChatInputCommandInteraction): Promise<void> {
		await interaction.deferReply();
		const speaker = interaction.options.getAttachment('speaker', true).url;
		const text = interaction.options.getString('text', true);
		// 1. Send a generate request. 2. Save the request_id.
		const accepted = await fetch(`${options.xttsOrigin}/voice-clone/v1/xtts-v2/generate`, {
			method: 'POST',
			headers,
			body: JSON.stringify({ speaker, text, language: 'en' }),
		});
		const { request_id: requestId } = (await accepted.json()) as { request_id: string };
		// 3. Poll every 5 s. 4. When COMPLETED, download output.media_url.
		for (;;) {
			await sleep(pollMs);
			if (stopped) return;
			const status = (await (await fetch(`${options.xttsOrigin}/v2/requests/status/${requestId}`, { headers })).json()) as {
				status: string;
				output?: { media_url?: string[] } | null;
			};
			if (status.status === 'FAILED' || status.status === 'ERROR') {
				await interaction.editReply(`Failed: ${status.status}`);
				return;
			}
			const url = status.status === 'COMPLETED' ? status.output?.media_url?.[0] : undefined;
			if (!url) continue;
			const audio = Buffer.from(await (await fetch(url)).arrayBuffer());
			await interaction.editReply({ content: `<@${interaction.user.id}> here is your clone.`, files: [new AttachmentBuilder(audio, { name: 'clone.wav' })] });
			return;
		}
	}

	client.on('interactionCreate', (interaction) => {
		if (!interaction.isChatInputCommand() || interaction.commandName !== 'clone') return;
		active++;
		clone(interaction)
			.catch((error: unknown) => console.error('[naive peer]', error))
			.finally(() => active--);
	});

	return {
		client,
		active: () => active,
		async stop() {
			stopped = true;
			await client.destroy();
		},
	};
}
