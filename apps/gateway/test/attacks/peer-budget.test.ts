/**
 * Issue 12 item 10: inbound requests and bytes per peer domain per hour. The attacker's domain spends
 * its own budget (keyed on the domain its chain proved) and is answered 429 rate_limited with
 * Retry-After; nothing is stored for the refused deliveries, and another domain's mail still flows.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { testBytes } from '../federation-helpers.ts'
import {
  type AttackNet,
  attackerMessage,
  BOB,
  deliver,
  expectGoodMail,
  expectNothingStored,
  expectRefused,
  openAttackNetwork,
  settle,
  snapshot,
  VICTIM,
} from './harness.ts'

let net: AttackNet
beforeAll(async () => {
  net = await openAttackNetwork({
    undoSendSeconds: 3600,
    limits: { peerHourlyRequests: 4, peerHourlyBytes: 30_000 },
  })
}, 90_000)
afterAll(async () => {
  await net?.close()
})

const body = (placeholder: unknown) => JSON.stringify({ placeholder, recipients: [BOB] })

async function attempt(attachmentBytes = 0) {
  const m = await attackerMessage(
    net.network,
    [BOB],
    undefined,
    attachmentBytes
      ? [{ filename: 'a.bin', mediaType: 'application/octet-stream', bytes: testBytes(attachmentBytes, 3) }]
      : [],
  )
  await settle(net.network, VICTIM)
  const before = await snapshot(net.network, VICTIM)
  const reply = await deliver(net.network, { body: body(m.placeholder), token: m.token, key: m.key })
  return { reply, before }
}

it('a peer over its hourly bytes, then over its hourly requests → 429 rate_limited; others unaffected', {
  timeout: 90_000,
}, async () => {
  expect((await attempt()).reply.status).toBe(202)
  // 40 kB of attachment to fetch: over the 30 kB of message bytes per hour.
  const bytes = await attempt(40_000)
  expectRefused(bytes.reply, 429, 'rate_limited')
  expect(bytes.reply.json?.error_description).toMatch(
    /attacker\.example has sent more than example\.net accepts/,
  )
  expect(Number(bytes.reply.headers.get('retry-after'))).toBeGreaterThan(0)
  await expectNothingStored(net.network, VICTIM, bytes.before)
  expect((await attempt()).reply.status).toBe(202)
  expect((await attempt()).reply.status).toBe(202)
  // The fifth delivery of the hour.
  const requests = await attempt()
  expectRefused(requests.reply, 429, 'rate_limited')
  await expectNothingStored(net.network, VICTIM, requests.before)
  // example.com has its own budget: its mail still arrives.
  await expectGoodMail(net.network)
})
