import { formatFullDate } from './format.ts'

// Failures as a person reads them: one sentence about what happened and what they can do; the
// technical text (kept for "details") never stands alone in the interface.

export interface Explained {
  /** What happened and what to do, in plain words. */
  sentence: string
  /** The technical text, shown behind a "details" disclosure; absent when it adds nothing. */
  detail?: string
}

const RULES: Array<{ test: RegExp; sentence: (domain: string) => string }> = [
  {
    test: /ENOTFOUND|NXDOMAIN|domain_not_found|no usable SRV|does not exist/i,
    sentence: (d) => `The domain ${d || 'of this address'} could not be found. Check the address for a typo.`,
  },
  {
    test: /does not accept mail|no mail server|null MX/i,
    sentence: (d) => `The domain ${d || 'of this address'} does not receive mail. Check the address.`,
  },
  {
    test: /unknown[_ ]recipient|no such (user|mailbox|recipient)|user unknown|recipient_unknown/i,
    sentence: (d) => `There is no mailbox with this address at ${d || 'the recipient’s domain'}.`,
  },
  {
    test: /too[_ ]large|payload too large|413/i,
    sentence: () => 'The message is larger than the recipient’s server accepts. Send smaller attachments.',
  },
  {
    test: /refused to sign/i,
    sentence: () =>
      'Your mail server would not sign this message, so it was not sent. Sign in again and retry.',
  },
  {
    test: /ECONNREFUSED|ETIMEDOUT|ECONNRESET|EAI_AGAIN|timed? ?out|temporarily|unavailable|503|502|504|fetch failed|could not be discovered|discovery_failed|DNS lookup of .* failed/i,
    sentence: (d) => `The mail server of ${d || 'the recipient'} did not answer. Federizer keeps trying.`,
  },
  {
    test: /cancelled by the sender/i,
    sentence: () => 'You cancelled this delivery.',
  },
  {
    test: /retrying now/i,
    sentence: () => 'Trying again now.',
  },
  {
    test: /gave up after the queue lifetime/i,
    sentence: () => 'Federizer tried for 5 days and gave up. The address may be wrong or its server down.',
  },
]

const MAILBOX_FULL = /mailbox(es)? (is |are )?full|mailbox_full|quota|over_quota|insufficient_storage/i

/** Who the person is, for a sentence: the name the message gives them, else their address. */
export interface DeliveryPerson {
  name?: string | undefined
  /** Epoch ms until which the server keeps retrying (the queue lifetime), when it is still retrying. */
  retryUntil?: number | undefined
}

/** "Bob's mailbox is full — Bob needs to free space; we'll keep trying until Dec 8, 2026, 9:32 PM." */
function mailboxFull(recipient: string, person: DeliveryPerson, locale?: string): string {
  const who = person.name?.trim() || recipient
  const until = person.retryUntil ? formatFullDate(new Date(person.retryUntil), locale) : ''
  return `${who}’s mailbox is full — ${who} needs to free space; ${until ? `we’ll keep trying until ${until}.` : 'we’ll keep trying.'}`
}

/**
 * A final refusal names its stable code first (`refused_by_policy: …`, docs/smtp-bridge.md): the code
 * picks the sentence, never the remote server's text that follows it.
 */
const REFUSALS: Record<string, (domain: string) => string> = {
  unknown_recipient: (d) => `There is no mailbox with this address at ${d || 'the recipient’s domain'}.`,
  recipient_disabled: (d) => `This mailbox at ${d || 'the recipient’s domain'} is disabled.`,
  mailbox_full: () => 'The recipient’s mailbox is full, so the message was not delivered.',
  too_large: () => 'The message is larger than the recipient’s server accepts. Send smaller attachments.',
  refused_by_policy: (d) =>
    `The mail server of ${d || 'the recipient'} refused the message by its policy (for example as suspected spam).`,
  smtp_rejected: () => 'The recipient’s server refused the message.',
}

/** Plain words for a delivery problem of `recipient` (the technical text goes to `detail`). */
export function explainDelivery(
  detail: string | undefined,
  recipient: string,
  person: DeliveryPerson = {},
  locale?: string,
): Explained | undefined {
  if (!detail) return undefined
  const domain = recipient.split('@')[1] ?? ''
  const refusal = REFUSALS[/^([a-z_]+): /.exec(detail)?.[1] ?? '']
  if (refusal) return { sentence: refusal(domain), detail }
  if (MAILBOX_FULL.test(detail)) return { sentence: mailboxFull(recipient, person, locale), detail }
  for (const rule of RULES) {
    if (rule.test.test(detail)) return { sentence: rule.sentence(domain), detail }
  }
  return { sentence: 'The recipient’s server refused the message.', detail }
}

/** An api message a person can read: capitalised and ended with a full stop. */
export function asSentence(message: string): string {
  const m = message.trim()
  if (!m) return 'Something went wrong. Try again.'
  const first = (m[0]?.toUpperCase() ?? '') + m.slice(1)
  return /[.!?]$/.test(first) ? first : `${first}.`
}

/** tRPC answers a refused input with zod's issues as JSON: the issues' own messages are the words. */
function validationMessages(message: string): string | undefined {
  if (!/^\s*\[\s*\{/.test(message)) return undefined
  try {
    const issues = JSON.parse(message) as Array<{ message?: unknown }>
    const words = issues.map((i) => (typeof i.message === 'string' ? i.message : '')).filter(Boolean)
    return words.length ? words.join('; ') : undefined
  } catch {
    return undefined
  }
}

/**
 * Plain words for an error thrown by the api, the network or the sign-in server. `what` names the
 * action that failed ("Not sent"); without it the sentence stands alone (settings, dialogs).
 */
export function explainError(error: unknown, what?: string): Explained {
  const message = error instanceof Error ? error.message : String(error)
  const lead = (sentence: string) =>
    what ? `${what}: ${sentence.replace(/^\w/, (c) => c.toLowerCase())}` : sentence
  if (error instanceof Error && error.name === 'AuthError') {
    const auth = explainAuth(error)
    return { ...auth, sentence: lead(auth.sentence) }
  }
  if (/Failed to fetch|NetworkError|fetch failed|Load failed|as_unreachable/i.test(message))
    return {
      sentence: lead('The server could not be reached. Check your connection and try again.'),
      detail: message,
    }
  if (/refused to sign/i.test(message))
    return {
      sentence: lead(
        'Your mail server would not sign this message. Sign in again and retry; if it keeps failing, ask your administrator.',
      ),
      detail: message,
    }
  if (/session|unauthori[sz]ed|invalid_token|401/i.test(message))
    return { sentence: lead('Your session has ended. Sign in again.'), detail: message }
  if (/^internal error$|INTERNAL_SERVER_ERROR|\b50[0-9]\b/i.test(message))
    return {
      sentence: lead(
        'The mail server had a problem. Try again in a moment; if it keeps failing, tell your administrator.',
      ),
      detail: message,
    }
  if (/rate_limited|too many requests|\b429\b/i.test(message))
    return {
      sentence: lead('Too many requests in a short time. Wait a minute and try again.'),
      detail: message,
    }
  const validation = validationMessages(message)
  if (validation) return { sentence: lead(asSentence(validation)), detail: message }
  // The api's own messages are written for people already; keep them, with no extra details.
  return { sentence: what ? `${what}: ${asSentence(message)}` : asSentence(message) }
}

/** The sign-in server's refusals, by what they mean for the person (oauth-session.ts AuthError). */
const AUTH_RULES: Array<{ test: RegExp; sentence: string }> = [
  {
    // The AS revokes every refresh token of the account when its password changes (users.ts).
    test: /refresh token has been revoked/i,
    sentence:
      'You were signed out because your password was changed (or this sign-in was ended on the server). Sign in again with your current password.',
  },
  {
    test: /already used/i,
    sentence:
      'You were signed out to protect your account: this sign-in was used from two places at once. Sign in again.',
  },
  {
    test: /refresh token has expired|refresh token is not valid/i,
    sentence: 'Your sign-in has expired. Sign in again.',
  },
  {
    test: /disabled or gone/i,
    sentence: 'Your account is disabled or no longer exists. Ask your administrator.',
  },
  {
    test: /authorization code|redirect_uri|PKCE|stale|another tab|did not match this tab|state/i,
    sentence: 'This sign-in did not complete (it took too long or was opened in another tab). Sign in again.',
  },
  { test: /access_denied|refused/i, sentence: 'Sign-in was cancelled or refused. Sign in again.' },
  {
    test: /metadata|no authorization endpoint/i,
    sentence: 'The sign-in server is set up wrongly. Tell your administrator.',
  },
  {
    test: /cannot be reached|as_unreachable|Failed to fetch/i,
    sentence: 'The sign-in server{of} cannot be reached. Check your connection and try again.',
  },
  { test: /answered HTTP/i, sentence: 'The sign-in server is having trouble. Try again in a moment.' },
]

/**
 * Plain words for a sign-in failure; the AS's own text (e.g. "invalid_grant: …") goes to details.
 * `domain` names whose sign-in server it is, when known.
 */
export function explainAuth(error: unknown, domain?: string): Explained {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown } | null)?.code
  const probe = `${typeof code === 'string' ? code : ''} ${message}`
  if (code === 'no_session') return { sentence: 'You are signed out. Sign in to read your mail.' }
  const of = domain ? ` of ${domain}` : ''
  for (const rule of AUTH_RULES)
    if (rule.test.test(probe)) return { sentence: rule.sentence.replace('{of}', of), detail: message }
  return {
    sentence: 'Sign-in did not work. Try again; if it keeps failing, tell your administrator.',
    detail: message,
  }
}
