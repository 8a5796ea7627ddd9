import { LANGUAGES } from '../../xtts/languages.js';

/**
 * English: the base language and the fallback for every key another file leaves out. Command names and
 * descriptions in English live in the command definitions themselves (src/discord/commands/*.ts).
 * Placeholders are `{name}`; the code fills them in (mentions, timestamps and member text already escaped).
 */
export default {
	tag: 'en',
	discordLocales: ['en-US', 'en-GB'],
	decimalSeparator: '.',
	languageNames: LANGUAGES,
	commands: {},
	messages: {
		// Which language a job speaks, and why: "German — server default".
		'language.label': '{language} — {source}',
		'source.option': 'chosen',
		'source.channel': 'channel default',
		'source.server': 'server default',
		'source.locale': 'your Discord language',
		'source.default': 'default',

		// A job while it runs. {started} is a relative timestamp Discord renders in the reader's language ("4 seconds ago").
		progress: '🎙️ Cloning a voice for {member}… {phase}\nStarted {started} · {language}',
		'progress.starting': '**Sending** to the voice service',
		'progress.queued': '**Queued** — waiting for the model',
		'progress.processing': '**Processing** — the model is speaking',
		'progress.waiting': '**Waiting in line** — position {position}, {reason}; it starts by itself',
		'wait.member': 'after your other clone',
		'wait.cooldown': 'after your cooldown (about {seconds} s)',
		'wait.server': 'for one of this server’s clones in progress to finish',
		'wait.capacity': 'for a free slot at the voice service',
		'progress.part': ' · part {part}/{total}',
		cancelled: '🚫 Cancelled by {member}. {billing}\n{quote}',
		'cancelled.billed': 'The voice service has no way to stop a job, so it may still be billed.',
		'cancelled.free': 'It had not been sent to the voice service yet, so nothing was spent.',

		// The result.
		result: '🗣️ Cloned voice for {member} · {language}',
		'result.link': "📎 The audio is {size}, over this channel's {limit} upload limit, so here is the link instead: {url}",
		'result.linkUnknownSize': "📎 The audio is larger than this channel's {limit} upload limit, so here is the link instead: {url}",
		'result.parts': "📎 The joined audio is {size}, over this channel's {limit} upload limit, so here are its {count} parts, in order:",
		'result.voiceMessage': '🔊 Posted as a voice message: {url}',
		'hint.short': '💡 Your voice sample is {seconds} s long; 3–10 s of clear speech gives a closer clone.',
		'hint.long': '💡 Your voice sample is {seconds} s long; 3–10 s of clear speech is all the model needs.',

		// Failures, each followed by the reference line.
		'failure.reference': 'Reference: `{reference}`',
		'failure.request': ' · request `{requestId}`',
		'failure.balance':
			"❌ The voice service account behind this bot has run out of balance, so no voice can be cloned right now. Please tell the server's admins or the bot's host.",
		'failure.auth': "❌ The bot is misconfigured: the voice service refused its credentials. Please tell the bot's host.",
		'failure.unavailable': '❌ The voice service is unavailable right now. Please try again later.',
		'failure.busy': '⏳ The voice service is busy. Please try again in a minute.',
		'failure.failed': '❌ The voice service could not clone this: {reason}\nA clear 3–10 s recording of one voice works best.',
		'failure.noReason': 'no reason given',
		'failure.part': 'Part {part}/{total} of the text could not be made.',
		'failure.provider-error': '❌ The voice service had an internal error (you were not charged). Please try again.',
		'failure.timeout': '⌛ The voice service took too long and the bot stopped waiting. Please try again later.',
		'failure.network': '❌ The bot could not reach the voice service. Please try again in a few minutes.',
		'failure.interrupted': '❌ The bot restarted while sending this request, so it was not completed. Please run the command again.',
		'failure.download': '❌ The audio was made but the bot could not fetch it from the voice service. Please try again.',
		'failure.needs-ffmpeg':
			"❌ Long texts in this audio format need ffmpeg on the bot's host to join their parts. Please tell the bot's host, or try a shorter text.",
		'failure.internal': "❌ Something went wrong on the bot's side. Please try again; if it keeps happening, give the bot's host this reference.",

		// A request that can't start now.
		'refusal.memberBusyOne': '⏳ You already have a clone in progress. Please wait for it to finish before starting another.',
		'refusal.memberBusy': '⏳ You already have {limit} clones in progress, the most this server allows. Please wait for one to finish.',
		'refusal.memberLineFull': '⏳ You already have as many requests waiting in line as this server allows ({limit}). Please wait for one to start.',
		'refusal.serverLineFull': '⏳ This server already has as many requests waiting in line as it allows ({limit}). Please try again in a few minutes.',
		'refusal.stopping': '🔄 The bot is restarting. Please try again in a minute.',

		// Input the member can fix.
		'invalid.emptyText': '✏️ Please type the line to say: the text is empty.',
		'invalid.textTooLong': '✏️ The text is {length} characters long; the limit is {max}. Please shorten it.',
		'invalid.notAudio':
			'🎧 `{name}` is not an audio file the voice service can read. Please attach a WAV, MP3, M4A, OGG or FLV recording of the voice (3–10 s of clear speech).',
		'invalid.wrongExtension': "🎧 `{name}` doesn't have a supported file type. Please attach a .wav, .mp3, .m4a, .ogg or .flv recording of the voice.",
		'invalid.tooLarge': '🎧 The voice file is {size}; the limit is {max}. A 3–10 s clip is plenty.',
		'invalid.tooShort': '🎧 The voice sample is only {seconds} s long. Please attach at least 1 s (3–10 s of clear speech works best).',
		'invalid.unreadable': '🎧 The bot could not read the attached file from Discord. Please attach it again.',

		// File sizes.
		'bytes.mib': '{value} MiB',
		'bytes.kib': '{value} KiB',
		'bytes.bytes': '{value} bytes',

		// Buttons under a job's message, and their answers.
		'button.cancel': 'Cancel',
		'button.again': 'Again',
		'button.delete': 'Delete',
		'interaction.unknownCommand': "⌛ This command is no longer available. Please use the bot's current commands (type / to see them).",
		'interaction.unknown': '⌛ This button or form is no longer active. Please run the command again.',
		'button.expired': '⌛ This button has expired.',
		'button.cancelNotYours': '🚫 Only the member who asked for this clone can cancel it.',
		'button.alreadyFinished': 'ℹ️ This clone has already finished.',
		'button.notRunningHere':
			'⏳ This clone is still in progress, but the bot can’t stop it from here right now (it may have just restarted). Please try again in a moment.',
		'button.deleteNotAllowed': '🚫 Only the member who asked for this clone, the member whose voice it is, or a moderator with Manage Messages can delete it.',
		'button.speakerExpired': '⌛ The voice file’s link has expired, so it can’t be used again. Please run `/clone` and attach the file once more.',

		// "Clone this voice" and its form.
		'voice.noAudio':
			'🎧 This message has no audio to clone. Use it on a message with a voice message or an audio file (WAV, MP3, M4A, OGG or FLV), or run `/clone` and attach one.',
		'voice.modalTitle': 'Clone this voice',
		'voice.textLabel': 'What should the voice say?',
		'voice.languageLabel': 'Language (optional)',
		'voice.languagePlaceholder': 'en, de, fr, es… or a name like German',
		'voice.expired': '⌛ This form has expired. Please use "Clone this voice" on the message again.',
		'voice.unknownLanguage': '🌐 "{text}" is not a language the voice service speaks. Use one of: {codes}.',

		// /clone-settings (moderators).
		'settings.guildOnly': 'These settings belong to a server: run this command in one.',
		'settings.pickListed': 'Please pick one of the listed languages.',
		'settings.languageSetChannel': '✅ /clone now speaks **{language}** in {channel} unless a member picks a language.',
		'settings.languageSetServer': '✅ /clone now speaks **{language}** in this server unless a member picks a language or a channel has its own.',
		'settings.resetChannel': '✅ Removed the language setting for {channel}. It follows the server default again.',
		'settings.resetServer': '✅ Removed the language setting for this server. /clone falls back to channel settings, then each member’s Discord language.',
		'settings.noSettingChannel': 'ℹ️ {channel} had no language setting.',
		'settings.noSettingServer': 'ℹ️ This server had no language setting.',
		'settings.limitsSaved': '✅ Limits saved. {limits}',
		'settings.limits':
			"Limits: {clones} at a time per member, {perServer} per server, {cooldown} s between a member's clones; in line, at most {memberWaiting} per member and {serverWaiting} for the server.",
		'settings.clones': { one: '{count} clone', other: '{count} clones' },
		'settings.changedBy': '— set by {member} {when}',
		'settings.showTitle': '**/clone language settings**',
		'settings.showServerDefault': 'Server default: {value}',
		'settings.showNoServerDefault': '*none* (each member’s Discord language, else English)',
		'settings.showOverrides': 'Channel overrides:\n{list}',
		'settings.showMoreOverrides': '…and {count} more',
		'settings.showNoOverrides': 'Channel overrides: *none*',
		'settings.showHere': 'In this channel, /clone without a language speaks **{language}**.',
		'settings.showDefaults': ' (defaults)',
		'settings.showOrder': '-# Order: the language option › channel › server › the member’s Discord language › English.',
		'settings.voiceMessagesOn': '✅ /clone now posts results as voice messages by default (members can change it with the voice_message option).',
		'settings.voiceMessagesOff': '✅ /clone now posts results as audio files by default.',
		'settings.showVoiceMessages': 'Results: {value}',
		'settings.asVoiceMessage': 'as voice messages',
		'settings.asAudioFile': 'as audio files',

		// Disclosure on every result: it is synthetic, whose voice, how that was allowed, and the model's license.
		'disclosure.line': '-# 🤖 AI-generated voice · requested by {requester} · {voice}',
		'disclosure.uploaded': 'voice uploaded by {owner}, who answers for it',
		'disclosure.own': '{owner}’s own voice',
		'disclosure.permission': 'voice of {owner}, with permission',
		'disclosure.owner-allows': 'voice of {owner}, who allows it',
		'disclosure.anyone': 'voice of {owner} (this server lets anyone’s voice be cloned)',
		'disclosure.license': '-# XTTS v2 · Coqui Public Model License: <https://coqui.ai/cpml>',

		// Consent: the ask in the channel, the requester's reply, and the answers.
		'consent.ask':
			'🎙️ {owner}, {requester} would like to clone your voice to say:\n{quote}\nOnly you can answer. Nothing is made before you allow it; without an answer the request lapses {expires}.',
		'consent.allow': 'Allow',
		'consent.deny': 'Deny',
		'consent.waiting':
			'⏳ {requester}, waiting for {owner} to allow their voice to be cloned (asked in this channel, up to 10 minutes). Nothing is sent to the voice service before that.\n{quote}',
		'consent.allowedAsk': '✅ {owner} allowed {requester} to clone their voice for this text:\n{quote}',
		'consent.deniedAsk': '❌ {owner} declined: nothing was cloned.\n{quote}',
		'consent.expiredAsk': '⌛ No answer from {owner} within 10 minutes: nothing was cloned.\n{quote}',
		'consent.denied': '❌ {owner} declined to have their voice cloned. Nothing was sent to the voice service, and nothing was charged.',
		'consent.expired': '⌛ {owner} didn’t answer within 10 minutes, so nothing was cloned or charged. You can ask again.',
		'consent.askFailed':
			'🚫 The bot couldn’t post the request for {owner}’s permission in this channel (it needs to send messages here), so nothing was cloned or charged.',
		'consent.refusedAsk': 'ℹ️ {owner} allowed it, but the clone could not start now, so nothing was made.\n{quote}',
		'consent.withdrawn': 'ℹ️ This request was withdrawn: nothing was cloned or charged.',
		'consent.notOwner': '🔒 Only {owner} can answer this request.',
		'consent.closed': '⌛ This request was already answered or has lapsed.',
		'refusal.blocked': '🚫 A moderator has blocked you from cloning voices in this server.',
		'refusal.own-voice-only': '🔒 This server lets members clone only their own voice, and this audio was posted by someone else.',
		'refusal.owner-never': '🔒 {owner} doesn’t allow their voice to be cloned.',
		'refusal.bot-audio':
			'🔒 Audio posted by bots and webhooks (this bot’s results included) can’t be cloned here: it would get around the voice owner’s choice.',

		// Reports.
		'button.report': 'Report',
		'report.modalTitle': 'Report this clone',
		'report.reasonLabel': 'What is wrong with it?',
		'report.reasonPlaceholder': 'For example: it impersonates someone, or says something hurtful',
		'report.thanks': '✅ Thank you: your report was sent to this server’s moderators.',
		'report.thanksStored': '✅ Thank you: your report is recorded for this server’s moderators.',
		'report.dmOnly': 'ℹ️ Reports go to a server’s moderators; in a DM, Delete removes the result.',
		'report.posted':
			'🚩 **Report** `{reference}` from {reporter}, {time}\n**Reason:** {reason}\n**Requested by** {requester} · **voice of** {owner}\n**Text:** {quote}\n**Made** {made} · job `{jobId}` · {link}',
		'report.link': '[the result]({url})',
		'report.noLink': 'the result is no longer posted',
		'report.delete': 'Delete result',
		'report.block': 'Block requester',
		'report.dismiss': 'Dismiss',
		'report.acted.deleted': '🗑️ {moderator} deleted the result.',
		'report.acted.blocked': '⛔ {moderator} blocked {requester} from cloning voices in this server.',
		'report.acted.dismissed': '✔️ {moderator} dismissed the report.',
		'report.notModerator': '🔒 Only members who can manage messages can act on reports.',
		'report.notDeleted': '⚠️ The bot couldn’t delete the result (it may no longer see that channel). The report stays open.',
		'report.alreadyActed': 'ℹ️ Someone already acted on this report.',
		'report.gone': '⌛ This report has expired.',

		// /clone-settings: consent, reports, blocks and the audit log.
		'settings.consentSet.own-voice': '✅ Members may now clone only their own voice.',
		'settings.consentSet.with-permission':
			'✅ Cloning another member’s voice now needs their permission: they are asked each time, unless they chose otherwise with /my-voice.',
		'settings.consentSet.anyone': '⚠️ Anyone’s voice may now be cloned without asking. Members who chose "never" with /my-voice stay protected.',
		'settings.showConsent': 'Consent: {policy}',
		'settings.policy.own-voice': 'members may clone only their own voice',
		'settings.policy.with-permission': 'another member’s voice only with their permission',
		'settings.policy.anyone': '⚠️ **anyone’s voice may be cloned without asking** (except members who chose "never")',
		'settings.reportsSet': '✅ Reports are now posted in {channel}.',
		'settings.reportsOff': '✅ Reports are no longer posted in a channel; they are still recorded.',
		'settings.showReports': 'Reports: posted in {channel}',
		'settings.showReportsNone': 'Reports: recorded, posted in no channel',
		'settings.blocked': '✅ {member} can no longer clone voices in this server.',
		'settings.alreadyBlocked': 'ℹ️ {member} was already blocked.',
		'settings.unblocked': '✅ {member} may clone voices again.',
		'settings.notBlocked': 'ℹ️ {member} was not blocked.',
		'settings.showBlocked': 'Blocked: {members}',
		'settings.showBlockedNone': 'Blocked: *nobody*',
		'audit.header': '**Recent clones**, newest first (page {page} of {pages}; kept {days} days):',
		'audit.empty': 'No clones in the last {days} days.',
		'audit.entry': '{time} · {requester} → {owner} · {basis}{reported} · {link}\n> {text}',
		'audit.reported': ' · 🚩 reported',
		'audit.link': '[result]({url})',
		'audit.noLink': 'not delivered',
		'audit.basis.uploaded': 'uploaded',
		'audit.basis.own': 'own voice',
		'audit.basis.permission': 'with permission',
		'audit.basis.owner-allows': 'owner allows',
		'audit.basis.anyone': 'server allows anyone',

		// /my-voice.
		'myVoice.set.ask': '✅ You will be asked each time someone wants to clone your voice.',
		'myVoice.set.allow': '✅ Members may clone your voice where the server allows it, without asking you each time.',
		'myVoice.set.never': '✅ Nobody may clone your voice, in any server, whatever its settings.',
		'myVoice.choice.ask': 'ask me each time (default)',
		'myVoice.choice.allow': 'allowed where the server permits it',
		'myVoice.choice.never': 'never',
		'myVoice.data':
			'**What the bot keeps about you**\nYour voice choice: {choice}\nClones you asked for, or of your voice, in the last {days} days: {count}\n{entries}\nOpen permission requests: {asks}\nReports you filed: {reports}\n-# Job records are kept 7 days, this list {days} days. /my-voice delete-data deletes what is yours.',
		'myVoice.entry': '{time} · {role} · {text}',
		'myVoice.role.requester': 'you asked',
		'myVoice.role.owner': 'your voice',
		'myVoice.more': '…and {count} more',
		'myVoice.deleted': '🗑️ Deleted: {requests} of your requests with their texts, your voice choice, and {asks} open permission requests.',
		'myVoice.keptForReports': 'Kept: {count} requests with an open report, until a moderator acts on it.',
	},
} as const;
