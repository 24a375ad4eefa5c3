import { freePort } from '@federizer/devnet'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueAccessToken } from '../src/as/tokens.ts'
import { createGateway, type Gateway } from '../src/index.ts'
import { AT, JWT, rawExchange, sealedMessage } from './as-exchange-helpers.ts'
import { addUser, srvRecordsFor, startDnsServer, startDomain, type TestDomain } from './as-helpers.ts'

// DPoP nonces are shared by the replicas of a domain (issue 13): a nonce handed out by one gateway is
// accepted by another gateway of the same domain (same database), and only by those. `replica` is a
// second gateway context on example.com's data and database (SQLite file, or PostgreSQL under test:pg).
let dns: Awaited<ReturnType<typeof startDnsServer>>
let com: TestDomain
let net: TestDomain
let replica: Gateway
let replicaUrl: string

beforeAll(async () => {
  dns = await startDnsServer()
  ;[com, net] = await Promise.all([startDomain('example.com', { dns }), startDomain('example.net', { dns })])
  dns.setRecords(srvRecordsFor([com, net]))
  await addUser(com, 'alice')
  replica = await createGateway(com.config, { workers: false, logger: pino({ level: 'silent' }) })
  const port = await freePort()
  await replica.listen(port)
  replicaUrl = `http://127.0.0.1:${port}`
  for (const g of [com.gateway, replica, net.gateway]) g.ctx.as.dpopNonces.required = true
})
afterAll(async () => {
  await replica?.close()
  await Promise.all([com, net].map((d) => d?.close()))
  await dns?.close()
})

const sendParams = async () => ({
  subject_token: (
    await issueAccessToken(com.gateway.ctx, {
      account: 'alice@example.com',
      clientId: com.config.webClientId,
      scope: 'mail',
    })
  ).token,
  subject_token_type: AT,
  requested_token_type: JWT,
  headers: JSON.stringify(sealedMessage('alice@example.com', ['bob@example.net']).headers),
})

/** The nonce a gateway hands out (every token endpoint answer carries one while nonces are required). */
async function nonceFrom(url: string): Promise<string> {
  const res = await fetch(`${url}/token`, { method: 'POST', body: new URLSearchParams({}) })
  const nonce = res.headers.get('dpop-nonce')
  expect(nonce).toMatch(/^[A-Za-z0-9_-]{32}$/)
  return nonce!
}

describe('DPoP nonces across replicas', () => {
  it('a nonce handed out by one replica is accepted by the other', async () => {
    const fromReplica = await nonceFrom(replicaUrl)
    expect(await nonceFrom(com.url)).toBe(fromReplica)
    const res = await rawExchange(com, await sendParams(), { nonce: fromReplica })
    expect(res.body.error_description).toBeUndefined()
    expect(res.status).toBe(200)
  })

  it("refuses another domain's nonce and a made-up one with use_dpop_nonce and a fresh nonce", async () => {
    const foreign = await nonceFrom(net.url)
    expect(foreign).not.toBe(await nonceFrom(com.url))
    for (const nonce of [foreign, 'A'.repeat(32)]) {
      const res = await rawExchange(com, await sendParams(), { nonce })
      expect(res.status).toBe(400)
      expect(res.body.error).toBe('use_dpop_nonce')
      expect(res.headers.get('dpop-nonce')).toBe(await nonceFrom(replicaUrl))
    }
  })
})
