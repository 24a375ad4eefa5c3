/**
 * The attack suite's closing bounded mixed load (issue 12, "The attack suite"): 2,000 junk requests of
 * every hostile kind at the victim's gateway, interleaved with 20 good messages Alice → Bob sent through
 * the real api and MTA. Zero 5xx, every good message delivered and complete, and nothing else stored.
 */
import { randomUUID } from 'node:crypto'
import { sendMail } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, waitFor } from '../federation-helpers.ts'
import {
  ALICE,
  type AttackNet,
  BOB,
  HONEST,
  newKey,
  openAttackNetwork,
  proofFor,
  type Reply,
  request,
  VICTIM,
} from './harness.ts'

let net: AttackNet

beforeAll(async () => {
  net = await openAttackNetwork()
}, 90_000)
afterAll(async () => {
  await net?.close()
})

const JUNK = 2000
const GOOD = 20
const CONCURRENCY = 16

const count = async (table: 'messages' | 'inbound_deliveries' | 'fetch_jobs' | 'outbox') =>
  Number(
    (
      await db(net.network, VICTIM)
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

describe('bounded mixed load', () => {
  it(`${JUNK} junk requests and ${GOOD} good messages: zero 5xx, every good message delivered`, {
    timeout: 180_000,
  }, async () => {
    const gw = net.node(VICTIM).gatewayUrl
    const deliveries = `${gw}/federizer/deliveries`
    const fetchUrl = `${gw}/federizer/fetch`
    const key = await newKey()
    const json = { 'content-type': 'application/json' }
    const fakeJwt = (claims: object) =>
      `${Buffer.from('{"alg":"ES256","typ":"fz-hop+jwt","kid":"k"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`
    const kinds: Array<(i: number) => Promise<Reply>> = [
      () =>
        request(deliveries, { method: 'POST', headers: json, body: '{"placeholder":{},"recipients":[]}' }),
      () => request(deliveries, { method: 'POST', headers: json, body: '{"placeholder": [1,2,' }),
      () =>
        request(deliveries, {
          method: 'POST',
          headers: json,
          body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
        }),
      () => request(deliveries, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }),
      () =>
        request(deliveries, {
          method: 'POST',
          headers: { ...json, 'content-encoding': 'br' },
          body: '{}',
        }),
      async (i) => {
        const token = fakeJwt({ iss: 'https://x.example', sub: `m${i}@attacker.example` })
        return request(deliveries, {
          method: 'POST',
          headers: {
            ...json,
            authorization: `DPoP ${token}`,
            dpop: await proofFor(key, 'POST', deliveries, token),
          },
          body: JSON.stringify({
            placeholder: { envelope: [{ 'jwt-assertion': token }], parts: [] },
            recipients: [BOB],
          }),
        })
      },
      async (i) => {
        const token = fakeJwt({ iss: 'https://x.example', message_id: `<${i}@example.net>` })
        return request(fetchUrl, {
          method: 'POST',
          headers: {
            ...json,
            authorization: `DPoP ${token}`,
            dpop: await proofFor(key, 'POST', fetchUrl, token),
          },
          body: JSON.stringify({
            envelope: [{ headers: [['Received', 'from a.example by b.example; x']] }],
            content_id: 'A'.repeat(43),
          }),
        })
      },
      () =>
        request(fetchUrl, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ envelope: 'x', content_id: 1 }),
        }),
      (i) =>
        request(`${gw}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=refresh_token&refresh_token=${i}&client_id=mta.${VICTIM}`,
        }),
      () =>
        request(`${gw}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=latin1' },
          body: 'grant_type=x',
        }),
      () => request(`${gw}/authorize?client_id=evil&response_type=code`),
      () => request(`${gw}/.well-known/federizer`),
      () => request(`${gw}/revoke`, { method: 'POST', headers: json, body: '{}' }),
    ]
    const messagesBefore = await count('messages')
    const inboundBefore = await count('inbound_deliveries')
    const statuses = new Map<number, number>()
    const fives: string[] = []
    let next = 0
    const started = Date.now()
    const worker = async () => {
      while (next < JUNK) {
        const i = next++
        const kind = kinds[i % kinds.length] as (i: number) => Promise<Reply>
        const reply = await kind(i)
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
        if (reply.status >= 500)
          fives.push(`kind ${i % kinds.length}: ${reply.status} ${reply.text.slice(0, 200)}`)
      }
    }
    // Good mail goes out while the junk flows.
    const good = (async () => {
      const ids: string[] = []
      for (let g = 0; g < GOOD; g++) {
        const sent = await sendMail(net.node(HONEST), {
          from: ALICE,
          to: [BOB],
          subject: `Load ${g}`,
          text: `good ${g} ${randomUUID()}`,
        })
        ids.push(sent.messageIdHeader)
        await new Promise((r) => setTimeout(r, 100))
      }
      return ids
    })()
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    const ids = await good
    const junkSeconds = (Date.now() - started) / 1000
    expect(fives, fives.slice(0, 5).join('\n')).toEqual([])
    await waitFor(
      async () => {
        const rows = await db(net.network, VICTIM)
          .selectFrom('messages')
          .select('message_id_header')
          .where('account', '=', BOB)
          .where('message_id_header', 'in', ids)
          .where('content_state', '=', 'complete')
          .execute()
        return rows.length === GOOD ? rows : undefined
      },
      `all ${GOOD} good messages complete in Bob's inbox`,
      60_000,
    )
    // Nothing but the good messages was stored.
    expect((await count('messages')) - messagesBefore).toBe(GOOD)
    expect((await count('inbound_deliveries')) - inboundBefore).toBe(GOOD)
    const total = [...statuses.values()].reduce((a, b) => a + b, 0)
    expect(total).toBe(JUNK)
    console.log(
      `mixed load: ${JUNK} junk + ${GOOD} good in ${junkSeconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    )
  })
})
