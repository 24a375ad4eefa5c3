import type { Network } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { heldDelivery, NOTHING, postDelivery, storedFor } from './federation-bad-input-helpers.ts'
import { db, openNetwork, threeDomains } from './federation-helpers.ts'
import { countsSql, installSqlCounter, takeSqlCount } from './sql-counter.ts'

// Issue 14, one transaction per delivery hop: the DPoP proof's jti is recorded by the unique insert that
// opens the delivery's own transaction, so the hop is one commit, a refused delivery leaves no jti
// behind, and a replay is refused by the insert that would have stored it. example.net runs no MTA
// workers here, so every statement counted on its database is the delivery request's own.
installSqlCounter()
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
const RECEIVER_DB = 'example.net/mail.sqlite'

beforeAll(async () => {
  net = await openNetwork({
    domains: threeDomains({ 'example.net': { gatewayOptions: { workers: false } } }),
    undoSendSeconds: 3600,
  })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

const replayRows = async () =>
  (await db(network, 'example.net').selectFrom('replay_cache').select('key').execute()).length

describe('one transaction per delivery hop', () => {
  it('a delivery is one commit at the receiver, the replay key among its statements', {
    timeout: 30_000,
  }, async () => {
    const { placeholder, key, sent } = await heldDelivery(network)
    takeSqlCount(RECEIVER_DB)
    const res = await postDelivery(network, 'example.net', { placeholder, key })
    expect(res.status).toBe(202)
    const count = takeSqlCount(RECEIVER_DB)
    if (countsSql) {
      expect(count.commits).toBe(1)
      expect([...count.bySql.keys()].filter((s) => s.includes('"replay_cache"'))).toHaveLength(1)
    }
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toMatchObject({
      inbound: 1,
      messages: 1,
    })
    console.log(`delivery hop at the receiver: ${count.statements} statements, ${count.commits} commit`)
  })

  it('a delivery refused after its proof verified leaves no replay key: the same proof then delivers', {
    timeout: 30_000,
  }, async () => {
    const { placeholder, key, sent } = await heldDelivery(network)
    const keys = await replayRows()
    const refused = await postDelivery(network, 'example.net', {
      placeholder,
      key,
      recipients: ['nobody@example.net'],
    })
    expect(refused.status).toBe(422)
    expect(refused.body.error).toBe('unknown_recipient')
    expect(await replayRows()).toBe(keys)
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(NOTHING)
    const good = await postDelivery(network, 'example.net', { placeholder, key, proof: refused.proof })
    expect(good.status, JSON.stringify(good.body)).toBe(202)
    expect(await replayRows()).toBe(keys + 1)
  })

  it('a replayed proof sent twice at once is refused both times, nothing stored twice', {
    timeout: 30_000,
  }, async () => {
    const { placeholder, key, sent } = await heldDelivery(network)
    const first = await postDelivery(network, 'example.net', { placeholder, key })
    expect(first.status).toBe(202)
    const before = await storedFor(network, 'example.net', sent.messageIdHeader)
    const again = await Promise.all([
      postDelivery(network, 'example.net', { placeholder, key, proof: first.proof }),
      postDelivery(network, 'example.net', { placeholder, key, proof: first.proof }),
    ])
    for (const r of again) {
      expect(r.status).toBe(401)
      expect(r.body.error_description).toMatch(/already used/)
    }
    expect(await storedFor(network, 'example.net', sent.messageIdHeader)).toEqual(before)
  })
})
