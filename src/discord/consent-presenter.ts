import { time, TimestampStyles, userMention } from 'discord.js';
import { t } from '../i18n/index.js';
import type { ConsentRefusal } from '../jobs/consent.js';
import type { JobIn, JobRecord } from '../jobs/lifecycle.js';
import { quoteText } from './presenter.js';

/** What members read about whose voice a clone uses: the disclosure on results, the asks and their answers. */

export function consentRefusal(reason: ConsentRefusal, ownerId: string, locale: string): string {
	return reason === 'owner-never' ? t(locale, 'refusal.owner-never', { owner: userMention(ownerId) }) : t(locale, `refusal.${reason}`);
}

/** The ask in the channel, addressed to the voice's owner, in the server's language. */
export function askMessage(job: JobIn<'awaiting-consent'>): string {
	const { consent } = job;
	return t(consent.locale, 'consent.ask', {
		owner: userMention(consent.ownerId),
		requester: userMention(job.requesterId),
		quote: quoteText(job.request.text),
		expires: time(Math.floor(consent.expiresAt / 1000), TimestampStyles.RelativeTime),
	});
}

/** The requester's reply while the owner is asked. */
export function waitingMessage(job: JobIn<'awaiting-consent'>): string {
	return t(job.locale, 'consent.waiting', {
		requester: userMention(job.requesterId),
		owner: userMention(job.consent.ownerId),
		quote: quoteText(job.request.text),
	});
}

/** The ask, once answered or lapsed. */
export function askOutcome(
	job: Pick<JobRecord, 'requesterId' | 'request'> & { consent: { ownerId: string; locale: string } },
	outcome: 'allowed' | 'denied' | 'expired' | 'withdrawn' | 'refused',
): string {
	const params = { owner: userMention(job.consent.ownerId), requester: userMention(job.requesterId), quote: quoteText(job.request.text) };
	if (outcome === 'withdrawn') return t(job.consent.locale, 'consent.withdrawn');
	const key = { allowed: 'consent.allowedAsk', denied: 'consent.deniedAsk', expired: 'consent.expiredAsk', refused: 'consent.refusedAsk' } as const;
	return t(job.consent.locale, key[outcome], params);
}

/** What the requester is told, privately, when the owner declined or did not answer. */
export function askEndedForRequester(job: JobIn<'denied' | 'expired'>): string {
	return t(job.locale, job.state === 'denied' ? 'consent.denied' : 'consent.expired', { owner: userMention(job.consent.ownerId) });
}
