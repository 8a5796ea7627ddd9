import { MessageFlags } from 'discord.js';
import { attachmentPayload, snowflake } from '../fakes/discord-api.js';

/** A message as Discord sends it in a "Clone this voice" interaction's resolved data: by `author`, with `attachments`. */
export function messagePayload(options: {
	author: { id: string; bot?: boolean };
	attachments: ReturnType<typeof attachmentPayload>[];
	channelId?: string;
	/** Posted through a webhook (its id). */
	webhookId?: string;
}) {
	const { author, attachments } = options;
	return {
		id: snowflake(),
		channel_id: options.channelId ?? '1180000000000000200',
		content: '',
		attachments,
		embeds: [],
		components: [],
		author: { id: author.id, username: 'someone', discriminator: '0', global_name: null, avatar: null, ...(author.bot ? { bot: true } : {}) },
		timestamp: new Date().toISOString(),
		edited_timestamp: null,
		tts: false,
		mention_everyone: false,
		mentions: [],
		mention_roles: [],
		pinned: false,
		type: 0,
		flags: attachments.some((attachment) => attachment.waveform) ? MessageFlags.IsVoiceMessage : 0,
		...(options.webhookId ? { webhook_id: options.webhookId } : {}),
	};
}

/** A Discord voice message's attachment (Ogg/Opus with a duration and a waveform) at `url`, of `size` bytes. */
export function voiceMessageAttachment(url: string, size: number, durationSecs = 4.2) {
	return attachmentPayload({ filename: 'voice-message.ogg', url, size, contentType: 'audio/ogg', durationSecs, waveform: 'AAAA', ephemeral: false });
}
