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

  it('a flood of fresh addresses cannot evict a blocked one (counters in the store, nothing evicted)', {
    timeout: 600_000,
  }, async () => {
    // Behind a trusted proxy (as the test above leaves it). An in-memory limiter bounded to N keys (an
    // LRU) forgets the oldest key once N others arrive: the blocked client would be free again.
    const node = net.node(HONEST)
    if (!node.config.trustedProxies?.includes('loopback')) {
      await node.stop()
      node.config.trustedProxies = ['loopback']
      await node.start()
    }
    const gw = node.gatewayUrl
    const as = node.gateway!.ctx.as
    // A window longer than the flood takes on a loaded machine: the block must not simply run out.
    const usual = as.limits.tokenFailuresPerAddress
    as.limits.tokenFailuresPerAddress = { ...usual, windowSeconds: 3600 }
    const blocked = '203.0.113.66'
    await junkTimes(60, gw, () => blocked)
    expectRefused(await junk(gw, blocked), 429, 'slow_down')
    // 20,000 fresh addresses fail once each: through HTTP the first 200, then straight into the limiter
    // the token endpoint consults on every failure (the same call; 20,000 requests would take minutes here).
    const fresh = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
    const flood = 20_000
    const viaHttp = await Promise.all(Array.from({ length: 200 }, (_, i) => junk(gw, fresh(i + 1))))
    expect(viaHttp.every((r) => r.status === 401)).toBe(true)
    for (let i = 200; i < flood; i += 100) {
      const waits = await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          as.limiter.consume('tokenFailuresPerAddress', fresh(i + j + 1)),
        ),
      )
      expect(waits.every((w) => w === 0)).toBe(true)
      // The store's calls never leave the event loop: yield, so the keep-alive timers of the HTTP client
      // and server run on time (a socket both think is open past them is reset on its next use).
      await new Promise((r) => setImmediate(r))
    }
    const after = await junk(gw, blocked)
    expectRefused(after, 429, 'slow_down')
    expect(Number(after.headers.get('retry-after'))).toBeGreaterThan(0)
    const keys = await db(net.network, HONEST)
      .selectFrom('rate_limits')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('key', 'like', 'tokenFailuresPerAddress:10.%')
      .executeTakeFirstOrThrow()
    expect(Number(keys.n)).toBe(flood)
    as.limits.tokenFailuresPerAddress = usual
    await db(net.network, HONEST).deleteFrom('rate_limits').execute()
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
