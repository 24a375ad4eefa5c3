import type { Network } from '@federizer/devnet'
import { sendMail } from '@federizer/devnet'
import {
  addForwarding,
  createDpopKey,
  createDpopProof,
  exchangeToken,
  lastAssertion,
  type PlaceholderMessage,
  pushAssertion,
} from '@federizer/protocol'
import { type OutboxRow, setAutoForward } from '@federizer/store'
import type { JWK } from 'jose'
import { headersToSign } from '../src/mta/forward.ts'
import { db, deliveryStatus, waitFor } from './federation-helpers.ts'

export type RowKey = { privateJwk: JWK; publicJwk: JWK }

let counter = 0

/** Sends Alice → Bob through the real api and returns the outbox row, still held by the undo window. */
export async function heldDelivery(network: Network, to = ['bob@example.net'], subject?: string) {
  counter++
  const sent = await sendMail(network.node('example.com'), {
    from: 'alice@example.com',
    to,
    subject: subject ?? `Bad input ${counter}`,
    text: `Message number ${counter}`,
  })
  const row = (await db(network, 'example.com')
    .selectFrom('outbox')
    .selectAll()
    .where('message_row_id', '=', sent.rowId)
    .executeTakeFirstOrThrow()) as OutboxRow
  return {
    sent,
    row,
    placeholder: JSON.parse(row.placeholder) as PlaceholderMessage,
    key: JSON.parse(row.dpop_key) as RowKey,
  }
}

/** POSTs a delivery to `domain` with a fresh proof made with `key` (or the raw body/headers given). */
export async function postDelivery(
  network: Network,
  domain: string,
  input: {
    placeholder?: unknown
    recipients?: string[]
    key: RowKey
    token?: string
    proof?: string
    body?: string | Buffer
    contentType?: string
  },
) {
  const url = `${network.node(domain).gatewayUrl}/federizer/deliveries`
  const token = input.token ?? lastAssertion(input.placeholder as PlaceholderMessage) ?? ''
  const proof =
    input.proof ??
    (await createDpopProof({
      key: input.key,
      htm: 'POST',
      htu: url,
      accessToken: token,
      now: Math.floor(Date.now() / 1000),
    }))
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `DPoP ${token}`,
      dpop: proof,
      'content-type': input.contentType ?? 'application/json',
    },
    body:
      input.body ??
      JSON.stringify({ placeholder: input.placeholder, recipients: input.recipients ?? ['bob@example.net'] }),
  })
  const text = await res.text()
  let json: { error?: string; error_description?: string; results?: unknown[] } = {}
  try {
    json = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status: res.status, body: json, proof }
}

/** Counts what `domain` holds about a Message-ID: inbound rows, message copies, fetch and forward jobs. */
export async function storedFor(network: Network, domain: string, messageId: string) {
  const d = db(network, domain)
  const count = async (q: Promise<Array<unknown>>) => (await q).length
  return {
    inbound: await count(
      d.selectFrom('inbound_deliveries').select('id').where('message_id_header', '=', messageId).execute(),
    ),
    messages: await count(
      d
        .selectFrom('messages')
        .select('id')
        .where('message_id_header', '=', messageId)
        .where('account', '!=', 'alice@example.com')
        .execute(),
    ),
    fetchJobs: await count(
      d.selectFrom('fetch_jobs').select('id').where('message_id_header', '=', messageId).execute(),
    ),
    forwardJobs: await count(
      d
        .selectFrom('forward_jobs')
        .innerJoin('messages', 'messages.id', 'forward_jobs.message_row_id')
        .select('forward_jobs.id')
        .where('messages.message_id_header', '=', messageId)
        .execute(),
    ),
  }
}

export const NOTHING = { inbound: 0, messages: 0, fetchJobs: 0, forwardJobs: 0 }

/**
 * Lets the sender's MTA deliver `placeholder` in place of the held row's, and waits for the sender's
 * delivery status to turn failed: returns the reason the sender sees.
 */
export async function deliverThroughMta(
  network: Network,
  row: OutboxRow,
  placeholder: unknown,
): Promise<string> {
  const d = db(network, 'example.com')
  await d
    .updateTable('outbox')
    .set({ placeholder: JSON.stringify(placeholder), next_attempt_at: 0 })
    .where('id', '=', row.id)
    .execute()
  const status = await waitFor(async () => {
    const s = await deliveryStatus(d, row.message_row_id)
    return s[0]?.state === 'failed' ? s[0] : undefined
  }, 'the sender to see the delivery fail')
  return status.detail ?? ''
}

/** Builds a real two-hop chain: delivers to Bob, then forwards his copy to bobby@example.org with a mode-2 exchange at example.net. */
export async function twoHopChain(network: Network) {
  const held = await heldDelivery(network)
  const first = await postDelivery(network, 'example.net', { placeholder: held.placeholder, key: held.key })
  if (first.status !== 202) throw new Error(`setup delivery failed: ${JSON.stringify(first.body)}`)
  const bobCopy = await db(network, 'example.net')
    .selectFrom('messages')
    .select('placeholder')
    .where('account', '=', 'bob@example.net')
    .where('message_id_header', '=', held.sent.messageIdHeader)
    .executeTakeFirstOrThrow()
  const received = JSON.parse(bobCopy.placeholder) as PlaceholderMessage
  const { message, eh } = addForwarding(received, {
    forwardedFrom: { address: 'bob@example.net' },
    forwardedTo: [{ address: 'bobby@example.org' }],
    date: new Date(),
  })
  const top = message.envelope[0] as { headers: Parameters<typeof headersToSign>[0] }
  const net = network.node('example.net').gateway!.ctx
  const key = await createDpopKey()
  // The AS enforces the user's forwarding policy: turn auto-forward on only for the exchange, after the
  // delivery above (so the MTA does not forward this copy by itself).
  await setAutoForward(net.db, 'bob@example.net', ['bobby@example.org'])
  const { token } = await exchangeToken({
    tokenEndpoint: net.federation.urls.tokenEndpoint,
    issuer: net.config.gatewayUrl,
    clientId: net.config.mtaClientId,
    clientKey: net.federation.keys.mtaClientKey,
    dpopKey: key,
    subjectToken: lastAssertion(received)!,
    subjectTokenType: 'jwt',
    requestedTokenType: 'jwt',
    headers: headersToSign(top.headers, eh.ehl),
    fetch,
    now: Math.floor(Date.now() / 1000),
  }).finally(() => setAutoForward(net.db, 'bob@example.net', null))
  return {
    held,
    forwarded: pushAssertion(message, token),
    key: { privateJwk: key.privateJwk, publicJwk: key.publicJwk },
  }
}
