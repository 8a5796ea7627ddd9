import { channelMention, DiscordAPIError, RESTJSONErrorCodes, time, TimestampStyles, userMention, type ChatInputCommandInteraction } from 'discord.js';
import { languageNameFor, t } from '../../i18n/index.js';
import { consentPolicyIn, type Limits } from '../../store/guild-settings.js';
import type { HandlerContext } from '../context.js';
import { languageLabel } from '../presenter.js';

/** `/clone-settings show`: every setting of the server, and what /clone would use in this channel. */

/** Room for channel overrides in `show`, leaving the rest of Discord's 2000 characters to the other lines. */
const OVERRIDES_BUDGET = 900;
/** Blocked members listed by name in `show`; the rest are counted. */
const BLOCKED_SHOWN = 15;

export async function describeSettings(interaction: ChatInputCommandInteraction, context: HandlerContext, guildId: string): Promise<string> {
	const locale = interaction.locale;
	const settings = await context.settings.get(guildId);
	const gone: string[] = [];
	const overrides: string[] = [];
	for (const [channelId, setting] of Object.entries(settings.channels)) {
		if (await channelIsGone(interaction, channelId)) {
			gone.push(channelId);
			continue;
		}
		overrides.push(`• ${channelMention(channelId)}: **${languageNameFor(setting.language, locale)}** ${changedBy(setting, locale)}`);
	}
	if (gone.length > 0) await context.settings.forgetChannels(guildId, gone);

	const channel = interaction.channel;
	const here = await context.settings.resolveLanguage({
		guildId,
		channelId: interaction.channelId,
		parentChannelId: channel?.isThread() ? channel.parentId : null,
		locale: interaction.locale,
	});
	// Discord caps a message at 2000 characters: list what fits, then say how many more there are.
	const shown: string[] = [];
	let length = 0;
	for (const line of overrides) {
		if (length + line.length + 1 > OVERRIDES_BUDGET) break;
		shown.push(line);
		length += line.length + 1;
	}
	const hidden = overrides.length - shown.length;
	const list = `${shown.join('\n')}${hidden > 0 ? `\n${t(locale, 'settings.showMoreOverrides', { count: hidden })}` : ''}`;
	const lines = [
		t(locale, 'settings.showTitle'),
		t(locale, 'settings.showServerDefault', {
			value: settings.language
				? `**${languageNameFor(settings.language.language, locale)}** ${changedBy(settings.language, locale)}`
				: t(locale, 'settings.showNoServerDefault'),
		}),
		overrides.length > 0 ? t(locale, 'settings.showOverrides', { list }) : t(locale, 'settings.showNoOverrides'),
		t(locale, 'settings.showHere', { language: languageLabel(here.language, here.source, locale) }),
		`${describeLimits(await context.settings.limitsFor(guildId), locale)}${settings.limits ? ` ${changedBy(settings.limits, locale)}` : t(locale, 'settings.showDefaults')}`,
		t(locale, 'settings.showVoiceMessages', { value: t(locale, settings.voiceMessages?.enabled ? 'settings.asVoiceMessage' : 'settings.asAudioFile') }),
		`${t(locale, 'settings.showConsent', { policy: t(locale, `settings.policy.${consentPolicyIn(settings)}`) })}${settings.consent ? ` ${changedBy(settings.consent, locale)}` : ''}`,
		settings.reportChannel
			? t(locale, 'settings.showReports', { channel: channelMention(settings.reportChannel.channelId) })
			: t(locale, 'settings.showReportsNone'),
		blockedLine(Object.keys(settings.blocked), locale),
		t(locale, 'settings.showOrder'),
	];
	// Discord's 2000 characters: the overrides were cut to fit already; this only guards longer languages.
	return lines.join('\n').slice(0, 2000);
}

export function describeLimits(limits: Limits, locale: string): string {
	return t(locale, 'settings.limits', {
		clones: t(locale, 'settings.clones', { count: limits.perMember }),
		perServer: limits.perServer,
		cooldown: limits.cooldownSeconds,
		memberWaiting: limits.memberWaiting,
		serverWaiting: limits.serverWaiting,
	});
}

export function changedBy(setting: { by: string; at: string }, locale: string): string {
	return t(locale, 'settings.changedBy', { member: userMention(setting.by), when: time(new Date(setting.at), TimestampStyles.RelativeTime) });
}

/** Only "Unknown Channel" means gone; a channel the bot can't see may still exist. */
async function channelIsGone(interaction: ChatInputCommandInteraction, channelId: string): Promise<boolean> {
	try {
		await interaction.client.channels.fetch(channelId);
		return false;
	} catch (error) {
		return error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownChannel;
	}
}

function blockedLine(memberIds: readonly string[], locale: string): string {
	if (memberIds.length === 0) return t(locale, 'settings.showBlockedNone');
	const shown = memberIds.slice(0, BLOCKED_SHOWN).map(userMention).join(', ');
	const more = memberIds.length > BLOCKED_SHOWN ? ` ${t(locale, 'settings.showMoreOverrides', { count: memberIds.length - BLOCKED_SHOWN })}` : '';
	return t(locale, 'settings.showBlocked', { members: `${shown}${more}` });
}
