// Issue 13, "Real parts in the tests": PostgreSQL stopped for a few seconds while deliveries with fetches
// run against example.com (2 gateway + 2 api processes behind haproxy) → every answer in the window is
// 2xx or 503 with Retry-After (never a 500, never a bounce), then the replicas resume and every message
// is delivered exactly once. docs/operations.md ("A database outage") describes what an operator sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  accessTokenFromKeyFolder,
  haproxyInstalled,
  type Network,
  postgresInstalled,
  type ReplicatedDomain,
} from '../src/index.ts'
import {
  expectAllDelivered,
  inboundCount,
  type ReplicaTestbed,
  sendBatch,
  startReplicaTestbed,
  waitFor,
} from './replica-mail.ts'
import { sendExchange } from './replica-oauth.ts'

const PASSWORD = 'correct horse battery staple'
const alice = 'alice@example.com'
const missing = [postgresInstalled() ? '' : 'PostgreSQL', haproxyInstalled() ? '' : 'haproxy'].filter(Boolean)
if (missing.length > 0)
  console.warn(
    `replica outage test skipped: ${missing.join(' and ')} not installed (scripts/test.sh installs Debian's postgresql and haproxy)`,
  )

let bed: ReplicaTestbed
let network: Network
let com: ReplicatedDomain

beforeAll(async () => {
  if (missing.length > 0) return
  bed = await startReplicaTestbed(PASSWORD)
  ;({ network, com } = bed)
}, 120_000)

afterAll(async () => bed?.stop(), 60_000)

/** One answer a replica gave to a probe sent straight to it (not through haproxy). */
interface Seen {
  probe: string
  status: number
  retryAfter: string | null
  /** The stable error code of the body: `error` (gateway, api routes) or tRPC's `data.error`. */
  code: string | undefined
  atMs: number
}

/**
 * What clients of each replica ask while the test runs: readiness, a mailbox read (tRPC) on each api
 * replica, the MTA's send exchange at each gateway replica's token endpoint (AS), all straight to the
 * replica so the answer is the node's own, not haproxy's.
 */
function startProbes(token: string) {
  const seen: Seen[] = []
  let running = true
  const record = async (probe: string, request: () => Promise<Response>) => {
    const res = await request().catch(() => undefined)
    if (!res) {
      // Nobody listening: the replica's process is gone (recorded, so the assertions below name it).
      seen.push({ probe, status: 0, retryAfter: null, code: 'connection refused', atMs: Date.now() })
      return
    }
    const text = await res.text()
    let body: { error?: unknown; data?: { error?: unknown }; error_description?: unknown } = {}
    try {
      body = JSON.parse(text)
    } catch {}
    const trpcError = (body as { error?: { data?: { error?: string } } }).error
    const code =
      typeof body.error === 'string'
        ? body.error
        : typeof trpcError === 'object'
          ? trpcError?.data?.error
          : undefined
    seen.push({
      probe,
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      code,
      atMs: Date.now(),
    })
  }
  const probes: Array<[string, () => Promise<Response>]> = []
  for (const r of [...com.gateways, ...com.apis])
    probes.push([`${r.name} /readyz`, () => fetch(`${r.url}/readyz`)])
  for (const api of com.apis)
    probes.push([
      `${api.name} mailbox.list`,
      () => fetch(`${api.url}/trpc/mailbox.list`, { headers: { authorization: `Bearer ${token}` } }),
    ])
  for (const g of com.gateways)
    probes.push([
      `${g.name} /token`,
      async () => {
        const a = await sendExchange(com.config, g.url, alice)
        return new Response(JSON.stringify(a.body), { status: a.status, headers: a.headers })
      },
    ])
  // Each probe in its own loop: a slow answer to one never holds back the others.
  const loop = async ([probe, request]: [string, () => Promise<Response>]) => {
    while (running) {
      await record(probe, request)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  const done = Promise.all(probes.map(loop))
  return {
    seen,
    async stop() {
      running = false
      await done
    },
  }
}

describe.skipIf(missing.length > 0)('PostgreSQL stopped under replicas taking deliveries', () => {
  it('answers 503 + Retry-After (never a 500) while it is down, then every message is delivered once, no bounce', {
    timeout: 240_000,
  }, async () => {
    const token = await accessTokenFromKeyFolder(com.config, alice)
    const batch = sendBatch(network, 0, 150)
    // Awaited below; a failure before that must not surface as an unhandled rejection after the teardown.
    batch.sent.catch(() => undefined)
    await waitFor(async () => (await inboundCount(com)) >= 30, 'the first deliveries', 60_000)
    const probes = startProbes(token)
    await waitFor(async () => probes.seen.length >= 8, 'the first probes')
    const pids = [...com.gateways, ...com.apis].map((r) => r.child?.pid)
    const downAt = Date.now()
    await bed.cluster.pause()
    await new Promise((r) => setTimeout(r, 5000))
    await bed.cluster.start()
    // Every replica is ready again by itself (its pool reconnects), without a restart.
    await waitFor(
      async () => {
        const all = await Promise.all(
          [...com.gateways, ...com.apis].map((r) => fetch(`${r.url}/readyz`).then((x) => x.status)),
        )
        return all.every((s) => s === 200)
      },
      'every replica ready again',
      30_000,
    )
    const readyAt = Date.now()
    await probes.stop()
    // Cut off mid-run: not everything had arrived when the database went away.
    expect(await inboundCount(com)).toBeLessThan(150)

    // No replica crashed: the same processes answer (a lost connection is not a process-ending event).
    expect([...com.gateways, ...com.apis].map((r) => r.child?.pid)).toEqual(pids)
    for (const s of probes.seen) {
      expect([200, 503], `${s.probe} answered ${s.status}`).toContain(s.status)
      if (s.status !== 503) continue
      // /readyz only says not_ready (to the load balancer); every other answer says when to retry, and why.
      if (s.probe.endsWith('/readyz')) continue
      expect(s.retryAfter, `${s.probe}: Retry-After on a 503`).toMatch(/^\d+$/)
      expect(s.code, s.probe).toBe('temporarily_unavailable')
    }
    // The outage reached every replica and every kind of request (a probe sent during the outage may
    // be answered after the restart, and on a loaded machine one round of probes can take seconds).
    const outage = probes.seen.filter((s) => s.status === 503 && s.atMs > downAt && s.atMs <= readyAt)
    expect(new Set(probes.seen.map((s) => s.probe)).size).toBe(8)
    for (const r of [...com.gateways, ...com.apis])
      expect(
        outage.some((s) => s.probe.startsWith(`${r.name} `)),
        `${r.name} answered 503`,
      ).toBe(true)
    for (const kind of ['/readyz', 'mailbox.list', '/token'])
      expect(
        outage.some((s) => s.probe.endsWith(` ${kind}`)),
        `a 503 to ${kind}`,
      ).toBe(true)

    await batch.sent
    await expectAllDelivered(com, network, batch.mail, { honourRetryAfter: true })
    // Through haproxy: the senders' deliveries and fetches met 2xx or 503 (the nodes' or haproxy's own,
    // both with Retry-After), never another 5xx.
    const bad = com.haproxy.responses().filter((r) => r.status >= 500 && r.status !== 503)
    expect(bad).toEqual([])
  })
})
