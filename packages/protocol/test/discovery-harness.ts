import { Resolver } from 'node:dns/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import dns2 from 'dns2'

const { Packet } = dns2

export interface Srv {
  target: string
  port: number
  priority?: number
  weight?: number
  ttl?: number
}

/** A real UDP DNS server (dns2) on 127.0.0.1 answering SRV queries from a mutable table. */
export async function startSrvServer() {
  const records = new Map<string, Srv[]>()
  let queries = 0
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      queries++
      const response = Packet.createResponseFromRequest(request)
      const question = request.questions[0]
      const list = question ? records.get(question.name.toLowerCase()) : undefined
      if (!question || list === undefined) response.header.rcode = 3
      else {
        for (const r of list) {
          response.answers.push({
            name: question.name,
            type: Packet.TYPE.SRV,
            class: Packet.CLASS.IN,
            ttl: r.ttl ?? 60,
            priority: r.priority ?? 10,
            weight: r.weight ?? 5,
            port: r.port,
            target: r.target,
          } as never)
        }
      }
      send(response)
    },
  })
  const bound = (await server.listen({ udp: { port: 0, address: '127.0.0.1' } })) as {
    udp?: { port: number }
  }
  const port = bound.udp!.port
  const resolver = new Resolver({ timeout: 1000, tries: 1 })
  resolver.setServers([`127.0.0.1:${port}`])
  // dns2's own UDP client reports each record's TTL (node:dns resolveSrv does not).
  const udpClient = dns2.UDPClient({ dns: '127.0.0.1', port, timeout: 1000, retryOverTCP: false })
  return {
    records,
    queries: () => queries,
    resolveSrv: (name: string) => resolver.resolveSrv(name),
    /** A resolver that reports TTLs, built on dns2's client; NXDOMAIN becomes an error like node's ENOTFOUND. */
    async resolveSrvWithTtl(name: string) {
      const answer = await udpClient(name, 'SRV')
      if (answer.header.rcode !== 0) throw new Error(`querySrv ENOTFOUND ${name}`)
      return (answer.answers as unknown as Array<Record<string, number | string>>).map((a) => ({
        name: String(a.target),
        port: Number(a.port),
        priority: Number(a.priority),
        weight: Number(a.weight),
        ttl: Number(a.ttl),
      }))
    },
    close: () => server.close(),
  }
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A real HTTP server on 127.0.0.1 whose routes (by path) tests replace at will; counts hits per path. */
export async function startHttp() {
  const routes = new Map<string, Handler>()
  const hits = new Map<string, number>()
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    const handler = routes.get(path)
    if (handler === undefined) {
      res.writeHead(404).end()
      return
    }
    handler(req, res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    routes,
    hits: (path: string) => hits.get(path) ?? 0,
    resetHits: () => hits.clear(),
    json(path: string, body: unknown, headers: Record<string, string> = {}) {
      routes.set(path, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
      })
    },
    redirect(path: string, location: string, status = 302) {
      routes.set(path, (_req, res) => {
        res.writeHead(status, { location }).end()
      })
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  }
}
