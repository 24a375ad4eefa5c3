import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Network, sendMail } from '@federizer/devnet'
import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { db, deliveryStatus, openNetwork, PASSWORD, waitFor } from './federation-helpers.ts'

/**
 * Issue 12 item 2 (SSRF): a domain the attacker controls names an "internal" loopback service as its
 * delivery endpoint, or answers with a body carrying a secret. Real nodes, the real DNS server.
 */

const SECRET = 'db_password=hunter2'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

async function httpServer(handler: Handler): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = []
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`)
    handler(req, res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, port: (server.address() as AddressInfo).port, hits }
}

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let internal: Awaited<ReturnType<typeof httpServer>>
let evil: Awaited<ReturnType<typeof httpServer>>
/** What evil.test's /.well-known/federizer names as its delivery endpoint (changed per test). */
let deliveryEndpoint = ''
/** How evil.test's own delivery endpoint answers. */
let answer: Handler = (_req, res) => res.writeHead(500).end()

beforeAll(async () => {
  net = await openNetwork({
    domains: [{ domain: 'example.com', users: [{ email: 'alice@example.com', password: PASSWORD }] }],
  })
  network = net.network
  // The "internal" service: an admin API that answers anyone with its secrets.
  internal = await httpServer((_req, res) => {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`${SECRET}\n`)
  })
  evil = await httpServer((req, res) => {
    const origin = `http://localhost:${evil.port}`
    if (req.url === '/.well-known/federizer') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          domain: 'evil.test',
          resource_url: origin,
          issuer: origin,
          mta_client_id: 'mta.evil.test',
          delivery_endpoint: deliveryEndpoint,
          fetch_endpoint: `${origin}/federizer/fetch`,
        }),
      )
    } else if (req.url === '/.well-known/oauth-authorization-server') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ issuer: origin, token_endpoint: `${origin}/token`, jwks_uri: `${origin}/jwks` }),
        )
    } else if (req.url === '/federizer/deliveries') answer(req, res)
    else res.writeHead(404).end()
  })
  const srv = ['as', 'rs'].map((s) => ({
    name: `_federizer._${s}._tcp.evil.test`,
    target: 'localhost',
    port: evil.port,
    ttl: 1,
  }))
  network.dns.setRecords({ srv: [...network.srvRecords(), ...srv] })
}, 60_000)
afterAll(async () => {
  await net?.close()
  for (const s of [internal, evil]) {
    s?.server.closeAllConnections()
    await new Promise((r) => s?.server.close(r))
  }
})
beforeEach(() => {
  internal.hits.length = 0
})

/** Every text value of every row of the sender's database (mailboxes, statuses, notices, outbox). */
async function everyStoredText(): Promise<string> {
  const database = db(network, 'example.com')
  // kysely's introspection reads the catalogue of either dialect (sqlite_master, information_schema).
  const tables = await database.introspection.getTables()
  let all = ''
  for (const { name } of tables) {
    const rows = await sql.raw(`select * from "${name}"`).execute(database)
    all += JSON.stringify(rows.rows)
  }
  return all
}

describe('SSRF: URLs a peer hands us', () => {
  it('never POSTs to a delivery endpoint off the discovered origin, and no secret reaches a mailbox', {
    timeout: 60_000,
  }, async () => {
    deliveryEndpoint = `http://localhost:${internal.port}/admin/reset`
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['mallory@evil.test'],
      subject: 'hello',
      text: 'hi',
    })
    const status = await waitFor(async () => {
      const s = await deliveryStatus(db(network, 'example.com'), sent.rowId)
      return s[0]?.detail?.includes('could not be discovered') ? s : undefined
    }, 'a discovery failure recorded for mallory')
    expect(status[0]?.state).not.toBe('delivered')
    expect(internal.hits).toEqual([])
    expect(await everyStoredText()).not.toContain('hunter2')
  })

  it("shows the sender a classified reason, never the peer's body", { timeout: 60_000 }, async () => {
    deliveryEndpoint = `http://localhost:${evil.port}/federizer/deliveries`
    answer = (_req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'invalid_request', error_description: SECRET }))
    // The refused document of the previous test is remembered for the failure TTL (1 s at this scale).
    await new Promise((r) => setTimeout(r, 1500))
    const sent = await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['mallory@evil.test'],
      subject: 'again',
      text: 'hi',
    })
    const failed = await waitFor(async () => {
      const rows = await deliveryStatus(db(network, 'example.com'), sent.rowId)
      return rows[0]?.state === 'failed' ? rows : undefined
    }, 'a refused delivery')
    expect(failed[0]?.detail).toContain('invalid_request')
    expect(failed[0]?.detail).toContain('HTTP 400')
    expect(await everyStoredText()).not.toContain('hunter2')
  })
})
