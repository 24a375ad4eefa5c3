/**
 * Issue 12 item 4 (the rest of it), against real nodes: rate limits key on the real client — behind a
 * configured trusted proxy the client its X-Forwarded-For names, otherwise the connected address (a
 * forged X-Forwarded-For buys nothing) — and the counters live in the store, so a replica of the gateway
 * (another OS process on the same database) sees the same budget. Nothing is stored by a refused request,
 * and the domain's own api and MTA (which connect directly, not through the proxy) keep sending.
 */
import { freePort, type GatewayProcess, startGatewayProcess } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db } from '../federation-helpers.ts'
import {
  type AttackNet,
  expectGoodMail,
  expectNothingStored,
  expectRefused,
  HONEST,
  openAttackNetwork,
  type Reply,
  request,
  snapshot,
} from './harness.ts'

let net: AttackNet
let replica: GatewayProcess | undefined

beforeAll(async () => {
  net = await openAttackNetwork()
}, 90_000)
afterAll(async () => {
  await replica?.kill()
  await net?.close()
})

/** One junk token request naming the MTA (fails client authentication) from `forwardedFor`, if given. */
function junk(gatewayUrl: string, forwardedFor?: string): Promise<Reply> {
  return request(`${gatewayUrl}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    body: `grant_type=refresh_token&refresh_token=x&client_id=mta.${HONEST}`,
  })
}

async function junkTimes(n: number, gatewayUrl: string, forwardedFor?: (i: number) => string) {
  const statuses: number[] = []
  for (let i = 0; i < n; i++) statuses.push((await junk(gatewayUrl, forwardedFor?.(i))).status)
  return statuses
}

describe('limits key on the real client', () => {
  it('without trusted proxies a forged X-Forwarded-For is ignored: rotating it does not escape the limit', {
    timeout: 60_000,
  }, async () => {
    const gw = net.node(HONEST).gatewayUrl
    const before = await snapshot(net.network, HONEST)
    const statuses = await junkTimes(61, gw, (i) => `198.51.100.${i}`)
    expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true)
    expect(statuses[60]).toBe(429)
    const cut = await junk(gw, '203.0.113.99')
    expectRefused(cut, 429, 'slow_down')
    expect(Number(cut.headers.get('retry-after'))).toBeGreaterThan(0)
    await expectNothingStored(net.network, HONEST, before)
    // The domain's own api and MTA authenticate: never held back by strangers' failures.
    await expectGoodMail(net.network)
    await db(net.network, HONEST).deleteFrom('rate_limits').execute()
  })

  it('behind a trusted proxy each client has its own budget, and the proxy itself is not one client', {
    timeout: 90_000,
  }, async () => {
    const node = net.node(HONEST)
    await node.stop()
    node.config.trustedProxies = ['loopback']
    await node.start()
    const gw = node.gatewayUrl
    const statuses = await junkTimes(61, gw, () => '203.0.113.7')
    expect(statuses[60]).toBe(429)
    // Another client behind the same proxy is not locked out by the first one's junk...
    expectRefused(await junk(gw, '198.51.100.20'), 401, 'invalid_client')
    // ...a client cannot pose as another by prepending to the header (the proxy appends the real one)...
    expectRefused(await junk(gw, '198.51.100.21, 203.0.113.7'), 429, 'slow_down')
    // ...IPv6 clients are grouped by /64 (one subscriber holds a whole /64).
    await junkTimes(60, gw, (i) => `2001:db8:1:2::${(i + 1).toString(16)}`)
    expectRefused(await junk(gw, '2001:db8:1:2:ffff::1'), 429, 'slow_down')
    expectRefused(await junk(gw, '2001:db8:1:3::1'), 401, 'invalid_client')
    const keys = await db(net.network, HONEST).selectFrom('rate_limits').select('key').execute()
    expect(keys.map((k) => k.key)).toEqual(
      expect.arrayContaining([
        'tokenFailuresPerAddress:203.0.113.7',
        'tokenFailuresPerAddress:198.51.100.20',
        'tokenFailuresPerAddress:2001:db8:1:2::/64',
      ]),
    )
    await expectGoodMail(net.network)
  })
})

describe('counters live in the store', () => {
  it('a replica (another gateway process on the same database) shares the budget', {
    timeout: 90_000,
  }, async () => {
    const node = net.node(HONEST)
    await db(net.network, HONEST).deleteFrom('rate_limits').execute()
    const port = await freePort()
    replica = await startGatewayProcess(node.config, { port })
    const replicaUrl = `http://127.0.0.1:${port}`
    const client = '192.0.2.55'
    const first = await junkTimes(40, node.gatewayUrl, () => client)
    expect(first.every((s) => s === 401)).toBe(true)
    const second = await junkTimes(21, replicaUrl, () => client)
    expect(second.slice(0, 20).every((s) => s === 401)).toBe(true)
    expect(second[20]).toBe(429)
    expectRefused(await junk(node.gatewayUrl, client), 429, 'slow_down')
    await replica.kill()
    replica = undefined
    await expectGoodMail(net.network)
  })
})
