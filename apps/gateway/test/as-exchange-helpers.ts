// Helpers for the token-exchange suites: messages sealed with the real protocol code, raw exchanges.
import { randomUUID } from 'node:crypto'
import {
  addForwarding,
  buildDraft,
  CLIENT_ASSERTION_TYPE,
  createClientAssertion,
  createDpopKey,
  createDpopProof,
  type DpopKey,
  domainOf,
  ehHeaders,
  jwtAssertionDigest,
  lastAssertion,
  messageIdOf,
  type PlaceholderMessage,
  pushAssertion,
  pushReceipt,
  readMessage,
  sealForSend,
  withoutBcc,
} from '@federizer/protocol'
import { insertMessage } from '@federizer/store'
import type { TestDomain } from './as-helpers.ts'

export const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const AT = 'urn:ietf:params:oauth:token-type:access_token'
export const JWT = 'urn:ietf:params:oauth:token-type:jwt'

const CONTENT_ID = 'aSQnmlBT6RndpDnwTSStJUVh1h9XL9_y2QXX42NhKuI'

/** A sealed message from `from` to `to`, and the `headers` parameter of its send exchange. */
export function sealedMessage(from: string, to: string[], date = new Date()) {
  const draft = buildDraft({
    from: { address: from },
    to: to.map((address) => ({ address })),
    subject: 'Vacation photo',
    messageId: `<${randomUUID()}@${from.split('@')[1]}>`,
    text: { contentId: CONTENT_ID, size: 42, mediaType: 'text/plain; charset=UTF-8' },
  })
  const { message, eh } = sealForSend(draft, { date })
  const block = message.envelope[0]
  if (!block || !('headers' in block)) throw new Error('no original block')
  return { message, eh, headers: ehHeaders(block.headers, eh.ehl), messageId: messageIdOf(message) }
}

/** Records at `d` that `recipient` received `message` (delivered with its newest assertion), as the federation does. */
export async function recordDelivery(
  d: TestDomain,
  message: PlaceholderMessage,
  recipient: string,
  senderDomain: string,
) {
  const assertion = lastAssertion(message)!
  const received = pushReceipt(message, { fromDomain: senderDomain, byDomain: d.domain, date: new Date() })
  const { id } = await insertMessage(d.gateway.ctx.db, {
    account: recipient,
    mailboxRole: 'inbox',
    placeholder: received,
    contentState: 'arriving',
  })
  await d.gateway.ctx.db
    .insertInto('inbound_deliveries')
    .values({
      id: `in_${randomUUID()}`,
      origin_domain: domainOf(readMessage(message).from.address),
      sender_domain: senderDomain,
      message_id_header: messageIdOf(message),
      recipient,
      assertion_digest: jwtAssertionDigest(assertion),
      message_row_id: id,
      received_at: Math.floor(Date.now() / 1000),
    })
    .execute()
  return received
}

/** The forwarding block a forwarder adds, and the `headers` parameter of its exchange. */
export function forwardingOf(received: PlaceholderMessage, from: string, to: string[]) {
  const { message, eh } = addForwarding(received, {
    forwardedFrom: { address: from },
    forwardedTo: to.map((address) => ({ address })),
    date: new Date(),
  })
  const top = message.envelope[0]
  if (!top || !('headers' in top)) throw new Error('no forwarding block')
  return { message, eh, headers: ehHeaders(top.headers, eh.ehl) }
}

export { pushAssertion, withoutBcc }

export interface RawExchangeOptions {
  /** The DPoP header: a proof made here by default; a string to send as is; null to send none. */
  dpop?: string | null
  dpopKey?: DpopKey
  htu?: string
  htm?: string
  nonce?: string
  clientId?: string
  /** false: send no client assertion. */
  clientAssertion?: boolean
}

/** A hand-built token request to `d`'s AS as its MTA (private_key_jwt + DPoP), for negative cases. */
export async function rawExchange(
  d: TestDomain,
  params: Record<string, string>,
  options: RawExchangeOptions = {},
) {
  const now = Math.floor(Date.now() / 1000)
  const tokenEndpoint = `${d.url}/token`
  const clientId = options.clientId ?? d.config.mtaClientId
  const body = new URLSearchParams({ grant_type: GRANT, ...params })
  if (options.clientAssertion !== false) {
    body.set('client_assertion_type', CLIENT_ASSERTION_TYPE)
    body.set(
      'client_assertion',
      await createClientAssertion({
        clientId,
        audience: d.url,
        key: d.gateway.ctx.as.keys.mtaClientKey,
        now,
      }),
    )
  } else {
    body.set('client_id', clientId)
  }
  const key = options.dpopKey ?? (await createDpopKey())
  const dpop =
    options.dpop === undefined
      ? await createDpopProof({
          key,
          htm: options.htm ?? 'POST',
          htu: options.htu ?? tokenEndpoint,
          now,
          ...(options.nonce ? { nonce: options.nonce } : {}),
        })
      : options.dpop
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (dpop !== null) headers.dpop = dpop
  const response = await fetch(tokenEndpoint, { method: 'POST', headers, body })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, string | number>,
    dpop,
    key,
  }
}
