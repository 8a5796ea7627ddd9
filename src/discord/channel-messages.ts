import { Routes, type APIActionRowComponent, type APIComponentInMessageActionRow, type APIEmbed, type REST } from 'discord.js';

/**
 * The bot's own messages in a channel that belong to no interaction: consent asks and reports. Posted, edited
 * and deleted with the bot's token (a bot may always edit and delete what it posted).
 */

export interface ChannelMessage {
	content: string;
	embeds?: APIEmbed[];
	components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
}

export interface ChannelMessages {
	/** Posts a message that pings exactly `ping` (no one when empty); returns its id. */
	post(channelId: string, message: ChannelMessage, ping: readonly string[]): Promise<string>;
	/** Edits one; edits never ping. */
	edit(channelId: string, messageId: string, message: ChannelMessage): Promise<void>;
	remove(channelId: string, messageId: string): Promise<void>;
}

export function createChannelMessages(rest: REST): ChannelMessages {
	return {
		async post(channelId, message, ping) {
			const posted = (await rest.post(Routes.channelMessages(channelId), {
				body: {
					content: message.content,
					embeds: message.embeds ?? [],
					components: message.components ?? [],
					allowed_mentions: { parse: [], users: [...ping] },
				},
			})) as { id: string };
			return posted.id;
		},
		async edit(channelId, messageId, message) {
			await rest.patch(Routes.channelMessage(channelId, messageId), {
				body: { content: message.content, embeds: message.embeds ?? [], components: message.components ?? [], allowed_mentions: { parse: [] } },
			});
		},
		async remove(channelId, messageId) {
			await rest.delete(Routes.channelMessage(channelId, messageId));
		},
	};
}
