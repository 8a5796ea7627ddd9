import type { ButtonInteraction, ChatInputCommandInteraction, ModalSubmitInteraction } from 'discord.js';
import { RefusedError } from '../jobs/admission.js';
import { decideConsent, type VoiceSource } from '../jobs/consent.js';
import { recordJob } from '../jobs/records.js';
import type { LanguageCode } from '../xtts/languages.js';
import { invalidInput, speakerProblemMessage } from './presenter.js';
import { consentPolicyIn, isBlockedIn, languageIn, limitsIn, voiceMessagesIn, type GuildSettings } from '../store/guild-settings.js';
import { checkSpeakerContent, checkSpeakerMetadata, type SpeakerAttachment } from '../audio/speaker-check.js';
import { answerPrivately, replyPrivately } from './replies.js';
import { refusalMessage, startAdmitted } from './clone-start.js';
import { askForConsent } from './consent-asks.js';
import { consentRefusal } from './consent-presenter.js';
import type { HandlerContext } from './context.js';

/**
 * The one pipeline behind /clone, "Clone this voice" and the Again button: check the input (privately,
 * for free), whose voice it is and whether its use is allowed, the member's limits, acknowledge publicly, check
 * the file's bytes, record the job, and start it (or ask the voice's owner first).
 */

/** The longest text a member may ask for; over the language's limit it is spoken in parts and joined. */
export const MAX_TEXT_LENGTH = 2000;

/** Discord's default upload limit, for payloads that don't carry attachment_size_limit. */
const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;

export type CloneInteraction = ChatInputCommandInteraction | ModalSubmitInteraction | ButtonInteraction;

export interface CloneInput {
	speaker: SpeakerAttachment;
	text: string;
	/** The member's explicit choice; null lets the settings decide. */
	language: LanguageCode | null;
	cleanupVoice: boolean;
	/** The member's explicit choice; null follows the server's default. */
	voiceMessage?: boolean | null;
	/** Whose voice it is. */
	source: VoiceSource;
}

export async function startClone(interaction: CloneInteraction, context: HandlerContext, input: CloneInput): Promise<void> {
	const text = input.text.trim();
	// Clients can bypass max_length and choices: check again.
	if (!text) return replyPrivately(interaction, invalidInput.emptyText(interaction.locale));
	if (text.length > MAX_TEXT_LENGTH) return replyPrivately(interaction, invalidInput.textTooLong(text.length, MAX_TEXT_LENGTH, interaction.locale));
	const { speaker } = input;
	const refused = checkSpeakerMetadata(speaker);
	if (refused) return replyPrivately(interaction, speakerProblemMessage(refused.problem, interaction.locale));

	// One read of the server's settings answers the limits, the language and the voice-message default. It is
	// memory on SQLite; a shared Redis may be slow or reconnecting, and Discord's 3 s are not to be spent on it.
	const guildSettings = await settingsOrAcknowledge(interaction, context);
	const requesterId = interaction.user.id;
	// Whose voice may be used is settled before anything else costs anything: a refusal is private and immediate.
	const decision = await decideConsent({
		policy: consentPolicyIn(guildSettings),
		requesterId,
		requesterBlocked: isBlockedIn(guildSettings, requesterId),
		source: input.source,
		ownerChoice: () => context.voiceChoices.get(input.source.ownerId),
	});
	if (decision.kind === 'refused') return answerPrivately(interaction, consentRefusal(decision.reason, input.source.ownerId, interaction.locale));
	const limits = limitsIn(guildSettings);
	const admission = await inTimeOrAcknowledge(
		interaction,
		context,
		context.runner.admit({ guildId: interaction.guildId, requesterId: interaction.user.id }, limits),
	);
	if (!admission.ok) return answerPrivately(interaction, refusalMessage(admission, interaction.locale));
	// An open ask is a request in progress: so that asks can't be used to ping someone over and over.
	if (decision.kind === 'ask' && context.consent.openFor(requesterId) >= limits.perMember) {
		return answerPrivately(interaction, refusalMessage({ ok: false, reason: 'member-busy', limit: limits.perMember }, interaction.locale));
	}

	// Acknowledge before the one check that leaves the process: the attachment's first bytes come from Discord's
	// CDN, whose latency is not ours to promise inside Discord's 3 s. A file whose bytes give it away (a PNG
	// renamed voice.wav) is rare: its public "thinking…" is withdrawn and the member is told privately.
	if (!interaction.deferred) await interaction.deferReply();
	const checked = await checkSpeakerContent(speaker, { dispatcher: context.downloads, protocols: context.attachmentProtocols });
	if (!checked.ok) return answerPrivately(interaction, speakerProblemMessage(checked.problem, interaction.locale));

	// Every interaction from a server channel or a DM has one (Discord's docs: "channel_id? … available on all
	// interaction types except PING"); none would be a Discord bug, answered by the router with a reference.
	const channelId = interaction.channelId;
	if (!channelId) throw new Error('interaction without a channel id');
	const channel = interaction.channel;
	const resolved = languageIn(guildSettings, {
		explicit: input.language,
		channelId,
		parentChannelId: channel?.isThread() ? channel.parentId : null,
		locale: interaction.locale,
	});
	const job = recordJob({
		createdAt: context.now(),
		interaction: {
			id: interaction.id,
			applicationId: interaction.applicationId,
			token: interaction.token,
			createdAt: interaction.createdTimestamp,
		},
		guildId: interaction.guildId,
		channelId,
		requesterId: interaction.user.id,
		locale: interaction.locale,
		uploadLimit: interaction.attachmentSizeLimit ?? DEFAULT_UPLOAD_LIMIT,
		request: {
			speakerUrl: speaker.url,
			speakerName: speaker.name,
			text,
			language: resolved.language,
			languageSource: resolved.source,
			cleanupVoice: input.cleanupVoice,
			voiceMessage: input.voiceMessage ?? voiceMessagesIn(guildSettings),
			...(checked.seconds === undefined ? {} : { speakerSeconds: checked.seconds }),
			...(decision.kind === 'allowed'
				? { voice: { ownerId: input.source.ownerId, basis: decision.basis, ...(input.source.ownerIsBot ? { ownerIsBot: true } : {}) } }
				: {}),
		},
	});
	if (decision.kind === 'ask') {
		// The ask is in the server's language: it speaks to another member.
		await askForConsent(context, job, { ownerId: decision.ownerId, locale: interaction.guildLocale ?? interaction.locale });
		return;
	}
	try {
		await startAdmitted(context, job, limits);
	} catch (error) {
		if (!(error instanceof RefusedError)) throw error;
		// Another request of this member's won the race since the first check.
		return answerPrivately(interaction, refusalMessage(error.admission, interaction.locale));
	}
}

/** How long the server's settings may take before the request is acknowledged anyway. */
const SETTINGS_BEFORE_ACK_MS = 1_000;

/** The server's settings; if the store is slow to give them, the reply is deferred meanwhile. */
async function settingsOrAcknowledge(interaction: CloneInteraction, context: HandlerContext): Promise<GuildSettings | undefined> {
	if (!interaction.guildId) return undefined;
	return inTimeOrAcknowledge(interaction, context, context.settings.get(interaction.guildId));
}

/** A read of a shared store that is slow to answer is waited for after acknowledging, not within Discord's 3 s. */
async function inTimeOrAcknowledge<T>(interaction: CloneInteraction, context: HandlerContext, read: Promise<T>): Promise<T> {
	if (interaction.deferred || interaction.replied) return read;
	// Already answered (memory, on SQLite): no timer to arm and disarm.
	let answered: { value: T } | undefined;
	read.then(
		(value) => {
			answered = { value };
		},
		() => undefined,
	);
	await Promise.resolve();
	if (answered) return answered.value;
	const timer = new AbortController();
	const inTime = await Promise.race([
		read.then((settings) => ({ settings })),
		context.sleep(SETTINGS_BEFORE_ACK_MS, timer.signal).then(
			() => undefined,
			() => undefined,
		),
	]).finally(() => timer.abort());
	if (inTime) return inTime.settings;
	await interaction.deferReply();
	return read;
}
