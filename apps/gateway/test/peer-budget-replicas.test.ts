/**
 * Issue 13 ("rate-limit counters shared") with issue 12 item 10: the hourly budget of inbound requests
 * per peer domain lives in the store, so two gateway processes of one domain on one database spend ONE
 * budget. The peer that exhausts it across both is answered 429 rate_limited with Retry-After by either
 * replica; with a budget per process it would get twice as much through. Runs on SQLite and, with
 * `npm run test:pg`, on PostgreSQL.
 */
import { freePort, type GatewayProcess, startGatewayProcess } from '@federizer/devnet'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  type AttackNet,
  attackerMessage,
  BOB,
  expectGoodMail,
  expectNothingStored,
  expectRefused,
  openAttackNetwork,
  proofFor,
  request,
  settle,
  snapshot,
  VICTIM,
} from './attacks/harness.ts'

const BUDGET = 4

let net: AttackNet
let replica: GatewayProcess | undefined
beforeAll(async () => {
  net = await openAttackNetwork({ undoSendSeconds: 3600, limits: { peerHourlyRequests: BUDGET } })
}, 90_000)
afterAll(async () => {
  await replica?.kill()
  await net?.close()
})

/** One genuine delivery from the attacker's domain to Bob, sent to the gateway listening at `gatewayUrl`. */
async function deliverTo(gatewayUrl: string) {
  const m = await attackerMessage(net.network, [BOB])
  await settle(net.network, VICTIM)
  const before = await snapshot(net.network, VICTIM)
  // The proof names the domain's public delivery endpoint (htu); only the connection goes to the replica.
  const publicUrl = `${net.node(VICTIM).gatewayUrl}/federizer/deliveries`
  const reply = await request(`${gatewayUrl}/federizer/deliveries`, {
    method: 'POST',
    headers: {
      authorization: `DPoP ${m.token}`,
      dpop: await proofFor(m.key, 'POST', publicUrl, m.token),
      'content-type': 'application/json',
    },
    body: JSON.stringify({ placeholder: m.placeholder, recipients: [BOB] }),
  })
  return { reply, before }
}

it('two gateway processes on one database share one per-peer budget: 429 + Retry-After from either', {
  timeout: 120_000,
}, async () => {
  const port = await freePort()
  // The attacker's undo window (3600 s) holds its messages for the test; the victim's replica needs none.
  replica = await startGatewayProcess(
    { ...net.node(VICTIM).config, undoSendSeconds: 0 },
    { port, startTimeoutMs: 90_000 },
  )
  const gateways = [net.node(VICTIM).gatewayUrl, `http://127.0.0.1:${port}`]
  // The budget, spent half on each replica.
  for (let i = 0; i < BUDGET; i++) expect((await deliverTo(gateways[i % 2]!)).reply.status).toBe(202)
  // Over it, on each replica: each had seen only half the budget spent on itself.
  for (const gateway of gateways) {
    const { reply, before } = await deliverTo(gateway)
    expectRefused(reply, 429, 'rate_limited')
    expect(reply.json?.error_description).toMatch(/attacker\.example has sent more than example\.net accepts/)
    expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0)
    await expectNothingStored(net.network, VICTIM, before)
  }
  await replica.kill()
  replica = undefined
  // Another domain's budget is its own: example.com's mail still arrives.
  await expectGoodMail(net.network)
})
