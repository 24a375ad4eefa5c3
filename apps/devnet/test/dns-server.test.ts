import { Resolver } from 'node:dns/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { startDnsServer, startRedirectService } from '../src/index.ts'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  while (closers.length) await closers.pop()?.()
})

describe('dev DNS server', () => {
  it('answers SRV queries from its record set through the node:dns resolver, and NXDOMAIN otherwise', async () => {
    const dns = await startDnsServer({
      records: {
        srv: [{ name: '_federizer._as._tcp.example.com', target: 'localhost', port: 4711, ttl: 30 }],
      },
    })
    closers.push(() => dns.close())
    const resolver = new Resolver()
    resolver.setServers([dns.address])
    const records = await resolver.resolveSrv('_federizer._as._tcp.example.com')
    expect(records).toEqual([{ name: 'localhost', port: 4711, priority: 10, weight: 5 }])
    await expect(resolver.resolveSrv('_federizer._as._tcp.example.net')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    })
  })

  it('serves the new records after setRecords', async () => {
    const dns = await startDnsServer()
    closers.push(() => dns.close())
    const resolver = new Resolver()
    resolver.setServers([dns.address])
    await expect(resolver.resolveSrv('_federizer._rs._tcp.example.org')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    })
    dns.setRecords({ srv: [{ name: '_federizer._rs._tcp.example.org', target: 'localhost', port: 1234 }] })
    expect((await resolver.resolveSrv('_federizer._rs._tcp.example.org'))[0]?.port).toBe(1234)
    expect(dns.queryCount()).toBe(2)
  })

  it('returns the record TTL so caches can honour it', async () => {
    const dns = await startDnsServer({
      records: { a: [{ name: 'mx.example.com', address: '127.0.0.1', ttl: 42 }] },
    })
    closers.push(() => dns.close())
    const resolver = new Resolver()
    resolver.setServers([dns.address])
    expect(await resolver.resolve4('mx.example.com', { ttl: true })).toEqual([
      { address: '127.0.0.1', ttl: 42 },
    ])
  })
})

describe('redirect service', () => {
  it('answers every path with 302 to the target base URL plus the path and query', async () => {
    const redirect = await startRedirectService('http://localhost:9/fz/')
    closers.push(() => redirect.close())
    const res = await fetch(`${redirect.url}/.well-known/federizer?x=1`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('http://localhost:9/fz/.well-known/federizer?x=1')
    redirect.setTarget('http://localhost:10')
    const again = await fetch(`${redirect.url}/jwks`, { redirect: 'manual' })
    expect(again.headers.get('location')).toBe('http://localhost:10/jwks')
  })

  it('inserts the AS metadata segment before the base path (RFC 8414 §3.1), never appends it', async () => {
    const redirect = await startRedirectService('http://localhost:9/fz/')
    closers.push(() => redirect.close())
    const res = await fetch(`${redirect.url}/.well-known/oauth-authorization-server`, { redirect: 'manual' })
    expect(res.headers.get('location')).toBe('http://localhost:9/.well-known/oauth-authorization-server/fz')
  })
})
