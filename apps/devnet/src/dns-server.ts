import dns2 from 'dns2'

const { Packet } = dns2

/** An SRV record (RFC 2782) served by the dev DNS server. `name` is the full owner name, e.g. `_federizer._as._tcp.example.com`. */
export interface SrvRecord {
  name: string
  target: string
  port: number
  priority?: number
  weight?: number
  /** Seconds; default 60. */
  ttl?: number
}

/** An A record, for host names the dev network invents (Node's fetch still resolves through the OS). */
export interface ARecord {
  name: string
  address: string
  ttl?: number
}

export interface DnsRecords {
  srv?: SrvRecord[]
  a?: ARecord[]
}

export interface DnsServer {
  /** The UDP port on 127.0.0.1. Point a resolver at `127.0.0.1:<port>`. */
  port: number
  /** `127.0.0.1:<port>`, ready for `DomainConfig.dnsServers` or `Resolver#setServers`. */
  address: string
  /** Replaces the whole record set; later queries see the new records at once (caches keep theirs until the TTL). */
  setRecords(records: DnsRecords): void
  records(): DnsRecords
  /** Number of queries answered so far (lets tests observe caching). */
  queryCount(): number
  close(): Promise<void>
}

const lower = (name: string) => name.replace(/\.$/, '').toLowerCase()

/**
 * Starts a real DNS server (UDP, dns2) on 127.0.0.1 that answers SRV and A queries from an in-memory
 * record set, with the TTL of each record, and NXDOMAIN for names it does not know.
 * @see RFC 2782 (SRV), RFC 1035 §4.1.1 (RCODE 3, name error)
 */
export async function startDnsServer(
  options: { records?: DnsRecords; port?: number } = {},
): Promise<DnsServer> {
  let records: DnsRecords = options.records ?? {}
  let queries = 0
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      queries++
      const response = Packet.createResponseFromRequest(request)
      const [question] = request.questions
      if (!question) {
        response.header.rcode = 1 // FORMERR
        send(response)
        return
      }
      const name = lower(question.name)
      let known = false
      for (const r of records.srv ?? []) {
        if (lower(r.name) !== name) continue
        known = true
        if (question.type !== Packet.TYPE.SRV) continue
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
      for (const r of records.a ?? []) {
        if (lower(r.name) !== name) continue
        known = true
        if (question.type !== Packet.TYPE.A) continue
        response.answers.push({
          name: question.name,
          type: Packet.TYPE.A,
          class: Packet.CLASS.IN,
          ttl: r.ttl ?? 60,
          address: r.address,
        } as never)
      }
      if (!known) response.header.rcode = 3 // NXDOMAIN
      send(response)
    },
  })
  server.on('requestError', () => {
    // A malformed datagram: dns2 already dropped it; nothing to answer.
  })
  const addresses = (await server.listen({
    udp: { port: options.port ?? 0, address: '127.0.0.1' },
  })) as {
    udp?: { port: number }
  }
  const port = addresses.udp?.port
  if (!port) throw new Error('the dev DNS server did not bind a UDP port')
  return {
    port,
    address: `127.0.0.1:${port}`,
    setRecords(next) {
      records = next
    },
    records: () => records,
    queryCount: () => queries,
    async close() {
      await server.close()
    },
  }
}
