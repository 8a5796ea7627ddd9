import {
	DiscordAPIError,
	MessageFlags,
	RESTJSONErrorCodes,
	Routes,
	type APIActionRowComponent,
	type APIEmbed,
	type APIComponentInMessageActionRow,
	type REST,
	type RawFile,
	userMention,
} from 'discord.js';
import type { Logger } from '../util/logger.js';
import type { JobRecord } from '../jobs/lifecycle.js';
import { UndeliverableError } from '../jobs/ports.js';

/**
 * What the member sees of a job: progress edits of the deferred reply, then the result or the failure.
 * Works from the stored record alone (application id + interaction token), so it also works after a restart.
 */

/** Discord interaction tokens are valid for 15 minutes. */
export const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60 * 1000;
/** Stop trusting the token a little early: an edit that races the expiry would be lost. */
export const TOKEN_SAFETY_MARGIN_MS = 60 * 1000;

export interface OutgoingMessage {
	content: string;
	file?: { name: string; data: Buffer };
	embeds?: APIEmbed[];
	/** Buttons under the message; none when absent. */
	components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
}

export interface Delivered {
	via: 'reply' | 'channel';
	messageId?: string;
}

export interface Delivery {
	/** Edits the deferred reply; silently skipped once the token is too old (progress is best effort). */
	progress(job: JobRecord, message: OutgoingMessage): Promise<void>;
	/**
	 * Posts audio as a voice message in the channel (a deferred reply can't become one); returns its URL.
	 * Throws when the channel refuses it (e.g. voice messages not allowed there).
	 */
	postVoiceMessage(job: JobRecord, voice: { data: Buffer; durationSecs: number; waveform: string }): Promise<string>;
	/** Posts the final message: the reply while its token lives, else the channel with a mention. */
	finish(job: JobRecord, message: OutgoingMessage): Promise<Delivered>;
	/**
	 * Tells the member alone: the public reply is withdrawn and a private follow-up takes its place (the token's
	 * 15 minutes are enough: asks lapse after 10). Past the token's life, false: nothing could be sent privately.
	 */
	tellPrivately(job: JobRecord, content: string): Promise<boolean>;
}

/** Codes that mean "the reply can't be edited any more", where posting in the channel still can work. */
const REPLY_GONE = new Set<number>([
	RESTJSONErrorCodes.InvalidWebhookToken,
	RESTJSONErrorCodes.UnknownWebhook,
	RESTJSONErrorCodes.UnknownMessage,
	RESTJSONErrorCodes.UnknownInteraction,
]);

export interface DeliveryOptions {
	/** The bot's REST client (bot token; channel posts count against Discord's global limit). */
	rest: REST;
	/**
	 * For interaction-token routes (the reply's edits). Discord does not count interaction endpoints against a
	 * bot's global rate limit, but one discord.js REST queue applies its 50/s global budget to every route it
	 * sends: with many jobs at once, progress edits and results would wait behind each other. Defaults to `rest`.
	 */
	interactionRest?: REST;
	logger: Logger;
	now?: () => number;
}

export function createDelivery({ rest, interactionRest = rest, logger, now = Date.now }: DeliveryOptions): Delivery {
	const log = logger.child({ component: 'delivery' });

	const tokenUsable = (job: JobRecord) => now() < job.interaction.createdAt + INTERACTION_TOKEN_LIFETIME_MS - TOKEN_SAFETY_MARGIN_MS;

	async function editReply(job: JobRecord, message: OutgoingMessage): Promise<string | undefined> {
		const files: RawFile[] = message.file ? [{ name: message.file.name, data: message.file.data }] : [];
		const body = {
			content: message.content,
			// The member already sees their reply: no pings from edits.
			allowed_mentions: { parse: [] },
			// Replace whatever the reply carried (nothing, while deferred) with exactly this file.
			// Discord's attachment ids are snowflake strings; discord.js sends them as strings too.
			attachments: files.map((file, index) => ({ id: String(index), filename: file.name })),
			components: message.components ?? [],
			embeds: message.embeds ?? [],
		};
		const result = (await interactionRest.patch(Routes.webhookMessage(job.interaction.applicationId, job.interaction.token, '@original'), {
			body,
			files,
			auth: false,
		})) as { id?: string };
		return result?.id;
	}

	async function postInChannel(job: JobRecord, message: OutgoingMessage): Promise<string | undefined> {
		const files: RawFile[] = message.file ? [{ name: message.file.name, data: message.file.data }] : [];
		// Out of the reply, the member must be pinged to notice: every channel post names them.
		const mention = userMention(job.requesterId);
		const content = message.content.includes(mention) ? message.content : `${mention} ${message.content}`;
		const result = (await rest.post(Routes.channelMessages(job.channelId), {
			body: {
				content,
				allowed_mentions: { users: [job.requesterId] },
				attachments: files.map((file, index) => ({ id: String(index), filename: file.name })),
				components: message.components ?? [],
				embeds: message.embeds ?? [],
				// Discord drops a second message with the same nonce from the same author for a few minutes,
				// so a retry after a crash mid-post cannot post the audio twice.
				nonce: job.id.slice(0, 25),
				enforce_nonce: true,
			},
			files,
		})) as { id?: string };
		return result?.id;
	}

	return {
		async postVoiceMessage(job, voice) {
			const result = (await rest.post(Routes.channelMessages(job.channelId), {
				body: {
					flags: MessageFlags.IsVoiceMessage,
					attachments: [{ id: '0', filename: 'voice-message.ogg', duration_secs: voice.durationSecs, waveform: voice.waveform }],
					nonce: `v${job.id}`.slice(0, 25),
					enforce_nonce: true,
				},
				files: [{ name: 'voice-message.ogg', data: voice.data, contentType: 'audio/ogg' }],
			})) as { id: string; channel_id: string };
			return `https://discord.com/channels/${job.guildId ?? '@me'}/${result.channel_id ?? job.channelId}/${result.id}`;
		},

		async tellPrivately(job, content) {
			if (!tokenUsable(job)) return false;
			const { applicationId, token } = job.interaction;
			await interactionRest.delete(Routes.webhookMessage(applicationId, token, '@original'), { auth: false }).catch((error: unknown) => {
				log.info({ jobId: job.id, err: error instanceof Error ? error.message : error }, 'could not withdraw the public reply');
			});
			await interactionRest.post(Routes.webhook(applicationId, token), {
				body: { content, flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } },
				auth: false,
			});
			return true;
		},

		async progress(job, message) {
			if (!tokenUsable(job)) return;
			try {
				await editReply(job, message);
			} catch (error) {
				log.warn({ jobId: job.id, err: error }, 'progress edit failed');
			}
		},

		async finish(job, message) {
			if (tokenUsable(job)) {
				try {
					return { via: 'reply', messageId: await editReply(job, message) };
				} catch (error) {
					if (!(error instanceof DiscordAPIError && REPLY_GONE.has(Number(error.code)))) throw error;
					log.info({ jobId: job.id, code: error.code }, 'reply can no longer be edited; posting in the channel');
				}
			}
			try {
				return { via: 'channel', messageId: await postInChannel(job, message) };
			} catch (error) {
				if (error instanceof DiscordAPIError && error.status >= 400 && error.status < 500 && error.status !== 429) {
					log.error({ jobId: job.id, channelId: job.channelId, code: error.code }, 'cannot post the result in the channel');
					throw new UndeliverableError(`Discord refused the post (${error.code})`, { cause: error });
				}
				throw error;
			}
		},
	};
}
