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

/** An MX record (RFC 5321 §5.1); `exchange: ''` with priority 0 is the null MX of RFC 7505. */
export interface MxRecord {
  name: string
  exchange: string
  priority?: number
  ttl?: number
}

/** A TXT record (SPF, DKIM keys, DMARC policies); `data` longer than 255 bytes is split into strings. */
export interface TxtRecord {
  name: string
  data: string
  ttl?: number
}

/** An AAAA record. */
export interface AaaaRecord {
  name: string
  address: string
  ttl?: number
}

export interface DnsRecords {
  srv?: SrvRecord[]
  a?: ARecord[]
  aaaa?: AaaaRecord[]
  mx?: MxRecord[]
  txt?: TxtRecord[]
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

type Answer = { type: number; ttl: number } & Record<string, unknown>

/** 255-byte character strings of one TXT record (RFC 1035 §3.3.14). */
function txtStrings(data: string): string[] {
  const out: string[] = []
  for (let i = 0; i < data.length; i += 255) out.push(data.slice(i, i + 255))
  return out.length ? out : ['']
}

/**
 * The answers for one question, and whether the name exists at all: a name that owns no record but has
 * descendants that do (an empty non-terminal, like `example.com` above `_federizer._rs._tcp.example.com`)
 * exists and gets NOERROR with no answer, not NXDOMAIN (RFC 8020 §2).
 */
function answersFor(records: DnsRecords, name: string, type: number): { exists: boolean; records: Answer[] } {
  const out: Answer[] = []
  let exists = false
  const visit = <R extends { name: string; ttl?: number }>(
    list: R[] | undefined,
    t: number,
    data: (r: R) => object,
  ) => {
    for (const r of list ?? []) {
      const owner = lower(r.name)
      if (owner.endsWith(`.${name}`)) exists = true
      if (owner !== name) continue
      exists = true
      if (type === t) out.push({ type: t, ttl: r.ttl ?? 60, ...data(r) })
    }
  }
  visit(records.srv, Packet.TYPE.SRV, (r) => ({
    priority: r.priority ?? 10,
    weight: r.weight ?? 5,
    port: r.port,
    target: r.target,
  }))
  visit(records.a, Packet.TYPE.A, (r) => ({ address: r.address }))
  visit(records.aaaa, Packet.TYPE.AAAA, (r) => ({ address: r.address }))
  visit(records.mx, Packet.TYPE.MX, (r) => ({ exchange: r.exchange, priority: r.priority ?? 10 }))
  visit(records.txt, Packet.TYPE.TXT, (r) => ({ data: txtStrings(r.data) }))
  return { exists, records: out }
}

/**
 * Starts a real DNS server (UDP, dns2) on 127.0.0.1 that answers SRV, A, AAAA, MX and TXT queries from an
 * in-memory record set, with the TTL of each record, and NXDOMAIN for names it does not know.
 * @see RFC 2782 (SRV), RFC 1035 §4.1.1 (RCODE 3, name error), RFC 7505 (null MX)
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
      const answers = answersFor(records, name, question.type)
      for (const a of answers.records)
        response.answers.push({ name: question.name, class: Packet.CLASS.IN, ...a } as never)
      const known = answers.exists
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
