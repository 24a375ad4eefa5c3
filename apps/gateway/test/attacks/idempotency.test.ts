/**
 * Issue 12 item 5 (reproduction): a decoy sent first from another domain with the Message-ID of a real
 * message made the real one answer 202 and never be stored (the duplicate check keyed on Message-ID and
 * recipient only). Idempotency keys on the verified origin domain + Message-ID + recipient; a repeat is
 * never dropped without a record. Real nodes on loopback; the attacker signs with its own genuine AS key.
 */

import { sendMail } from '@federizer/devnet'
import { ehThumbprint, jwkThumbprint, originalHeaders, type PlaceholderMessage } from '@federizer/protocol'
import type { OutboxRow } from '@federizer/store'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, waitFor } from '../federation-helpers.ts'
import {
  ALICE,
  type AttackNet,
  attackerMessage,
  BOB,
  deliver,
  HONEST,
  openAttackNetwork,
  settle,
  VICTIM,
} from './harness.ts'

let net: AttackNet

beforeAll(async () => {
  net = await openAttackNetwork({ undoSendSeconds: 3600 })
}, 90_000)
afterAll(async () => {
  await net?.close()
})

const header = (m: PlaceholderMessage, name: string) =>
  originalHeaders(m).find(([n]) => n.toLowerCase() === name.toLowerCase())

describe('a decoy with the Message-ID of a real message', () => {
  it('does not suppress the real message from example.com; both are stored and recorded', {
    timeout: 90_000,
  }, async () => {
    // Alice's real message, held in example.com's outbox: its Message-ID is what the attacker reuses.
    const real = await sendMail(net.node(HONEST), {
      from: ALICE,
      to: [BOB],
      subject: 'Invoice',
      text: 'the real one',
    })
    const row = (await db(net.network, HONEST)
      .selectFrom('outbox')
      .selectAll()
      .where('message_row_id', '=', real.rowId)
      .executeTakeFirstOrThrow()) as OutboxRow
    const realMessageId = header(JSON.parse(row.placeholder), 'Message-ID')?.[1] as string
    expect(realMessageId).toMatch(/@example\.com>$/)

    // The decoy: Mallory's genuine message re-sealed by the attacker's AS with Alice's Message-ID.
    const m = await attackerMessage(net.network)
    const decoy = JSON.parse(JSON.stringify(m.placeholder)) as PlaceholderMessage
    const id = header(decoy, 'Message-ID')
    if (!id) throw new Error('no Message-ID')
    id[1] = realMessageId
    const genuine = decodeJwt(m.token) as { eh: { ehl: string[] }; sub: string }
    const now = Math.floor(Date.now() / 1000)
    const token = await net.attacker.signHop({
      iss: net.attacker.issuer,
      sub: genuine.sub,
      azp: net.attacker.mtaClientId,
      cnf: { jkt: await jwkThumbprint(m.key.publicJwk) },
      eh: { eht: ehThumbprint(originalHeaders(decoy), genuine.eh.ehl), ehl: genuine.eh.ehl },
      iat: now,
      exp: now + 3600,
      jti: `decoy-${now}`,
    })
    decoy.envelope[0] = { 'jwt-assertion': token }
    const first = await deliver(net.network, {
      body: JSON.stringify({ placeholder: decoy, recipients: [BOB] }),
      token,
      key: m.key,
    })
    expect(first.status, first.text).toBe(202)
    await settle(net.network, VICTIM)

    // Now the real message leaves example.com and must be stored in Bob's mailbox, complete.
    await db(net.network, HONEST)
      .updateTable('outbox')
      .set({ next_attempt_at: 0 })
      .where('message_row_id', '=', real.rowId)
      .execute()
    const victim = db(net.network, VICTIM)
    const copy = await waitFor(
      () =>
        victim
          .selectFrom('messages')
          .select(['id', 'from_address', 'content_state'])
          .where('account', '=', BOB)
          .where('message_id_header', '=', realMessageId)
          .where('from_address', '=', ALICE)
          .where('content_state', '=', 'complete')
          .executeTakeFirst(),
      "the real message in Bob's mailbox",
      30_000,
    )
    expect(copy.from_address).toBe(ALICE)
    const copies = await victim
      .selectFrom('messages')
      .select('from_address')
      .where('account', '=', BOB)
      .where('message_id_header', '=', realMessageId)
      .execute()
    expect(copies.map((c) => c.from_address).sort()).toEqual([ALICE, 'mallory@attacker.example'])
    const records = await victim
      .selectFrom('inbound_deliveries')
      .select(['origin_domain', 'sender_domain', 'message_row_id'])
      .where('message_id_header', '=', realMessageId)
      .where('recipient', '=', BOB)
      .execute()
    expect(records.map((r) => r.origin_domain).sort()).toEqual(['attacker.example', 'example.com'])
    expect(records.find((r) => r.origin_domain === 'example.com')?.message_row_id).toBe(copy.id)

    // The very same delivery again (a sender's retry) is a repeat: 200, recorded once, nothing new stored.
    const repeat = await deliver(net.network, {
      body: JSON.stringify({ placeholder: decoy, recipients: [BOB] }),
      token,
      key: m.key,
    })
    expect(repeat.status, repeat.text).toBe(200)
    expect(repeat.json?.results).toEqual([{ recipient: BOB, status: 'accepted' }])
    const after = await victim
      .selectFrom('inbound_deliveries')
      .select('id')
      .where('message_id_header', '=', realMessageId)
      .execute()
    expect(after).toHaveLength(2)
  })
})
