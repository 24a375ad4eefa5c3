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
    test: /mailbox (is )?full|quota|over_quota|insufficient_storage/i,
    sentence: () => 'The recipient’s mailbox is full. They need to make room before mail can arrive.',
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

/** Plain words for a delivery problem of `recipient` (the technical text goes to `detail`). */
export function explainDelivery(detail: string | undefined, recipient: string): Explained | undefined {
  if (!detail) return undefined
  const domain = recipient.split('@')[1] ?? ''
  for (const rule of RULES) {
    if (rule.test.test(detail)) return { sentence: rule.sentence(domain), detail }
  }
  return { sentence: 'The recipient’s server refused the message.', detail }
}

/** Plain words for an error thrown by the api or the network; `what` is the action ("Not sent"). */
export function explainError(error: unknown, what: string): Explained {
  const message = error instanceof Error ? error.message : String(error)
  if (/Failed to fetch|NetworkError|fetch failed|Load failed|as_unreachable/i.test(message))
    return {
      sentence: `${what}: the server could not be reached. Check your connection and try again.`,
      detail: message,
    }
  if (/refused to sign/i.test(message))
    return {
      sentence: `${what}: your mail server would not sign this message. Sign in again and retry; if it keeps failing, ask your administrator.`,
      detail: message,
    }
  if (/session|unauthori[sz]ed|invalid_token|401/i.test(message))
    return { sentence: `${what}: your session has ended. Sign in again.`, detail: message }
  // The api's own messages are written for people already; keep them, with no extra details.
  return { sentence: `${what}: ${message.replace(/^\w/, (c) => c.toUpperCase())}` }
}
