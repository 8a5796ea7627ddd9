import { MessageFlags, type RepliableInteraction } from 'discord.js';

/** A first answer only the member sees. */
export async function replyPrivately(interaction: RepliableInteraction, content: string): Promise<void> {
	await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

/**
 * Tells the member alone, wherever the interaction stands: a private reply if it has none yet, a private
 * follow-up once it has one. A public reply still "thinking" is withdrawn first: Discord would use a follow-up
 * to resolve it, keeping it public. Where it cannot be withdrawn, the answer takes its place, publicly.
 */
export async function answerPrivately(interaction: RepliableInteraction, content: string): Promise<void> {
	if (!interaction.deferred && !interaction.replied) return replyPrivately(interaction, content);
	if (interaction.deferred && !interaction.replied) {
		const withdrawn =
			!interaction.ephemeral &&
			(await interaction.deleteReply().then(
				() => true,
				() => false,
			));
		if (!withdrawn) {
			await interaction.editReply({ content, allowedMentions: { parse: [] } });
			return;
		}
	}
	await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}
