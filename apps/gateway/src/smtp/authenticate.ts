import { Resolver } from 'node:dns/promises'
import type { Readable } from 'node:stream'
import type { DomainConfig } from '@federizer/node'
import { authenticate } from 'mailauth'

/** What the reader shows beside the chain view for mail that came over SMTP (clearly legacy). */
export interface LegacyAuth {
  /** Always `smtp`: the message was not signed by a Federizer chain. */
  transport: 'smtp'
  /** The connecting client: EHLO name, reverse name and address; `tls` when it used STARTTLS (RFC 3207). */
  client: { helo: string; hostname?: string; ip: string; tls: boolean }
  envelopeFrom: string
  spf: { result: string; domain?: string }
  dkim: Array<{ result: string; comment?: string; domain?: string; selector?: string; aligned?: boolean }>
  dmarc: { result: string; domain?: string; policy?: string }
  /** ARC (RFC 8617): the chain of the intermediaries that forwarded it; `domain` sealed the last hop. */
  arc: { result: string; instance?: number; domain?: string }
  /** One line a person reads, e.g. "Received over SMTP from mx.example.org [127.0.0.1]; SPF pass; …". */
  summary: string
}

/** A resolver for mailauth (the signature of `dns.promises.resolve`), on the domain's DNS servers. */
export function mailauthResolver(config: Pick<DomainConfig, 'dnsServers'>) {
  const resolver = new Resolver({ timeout: 2000, tries: 2 })
  if (config.dnsServers?.length) resolver.setServers(config.dnsServers)
  return (name: string, rrtype: string) => resolver.resolve(name, rrtype) as Promise<never>
}

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i

type Status = {
  status?: { result?: string; comment?: string; aligned?: string | false }
  signingDomain?: string
  selector?: string
}

/**
 * A body that no longer matches its signature is PERMFAIL "body hash did not verify" (RFC 6376 §6.1.3),
 * `fail` in Authentication-Results terms (RFC 8601 §2.7.1); mailauth reports it as `neutral`.
 */
function dkimResult(d: Status): string {
  const result = String(d.status?.result ?? 'none')
  return result === 'neutral' && d.status?.comment === 'body hash did not verify' ? 'fail' : result
}

/**
 * SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489) and ARC (RFC 8617) for one received message, by
 * `mailauth`. A DNS lookup that fails makes that result `temperror`; it never refuses mail by itself.
 */
export async function authenticateLegacy(
  message: Readable,
  o: {
    ip: string
    helo: string
    hostname?: string
    sender: string
    tls: boolean
    mta: string
    resolver: ReturnType<typeof mailauthResolver>
  },
): Promise<LegacyAuth> {
  const r = await authenticate(message, {
    ip: o.ip,
    helo: o.helo,
    sender: o.sender,
    mta: o.mta,
    resolver: o.resolver,
    disableBimi: true,
  })
  const spf = r.spf
    ? { result: String(r.spf.status?.result ?? 'none'), ...(r.spf.domain ? { domain: r.spf.domain } : {}) }
    : { result: 'none' }
  const dkim = ((r.dkim?.results ?? []) as Status[]).map((d) => ({
    result: dkimResult(d),
    ...(d.status?.comment ? { comment: d.status.comment } : {}),
    ...(d.signingDomain ? { domain: d.signingDomain } : {}),
    ...(d.selector ? { selector: d.selector } : {}),
    aligned: Boolean(d.status?.aligned),
  }))
  const dm = r.dmarc as false | { status?: { result?: string }; domain?: string; policy?: string }
  const dmarc = dm
    ? {
        result: String(dm.status?.result ?? 'none'),
        ...(dm.domain ? { domain: dm.domain } : {}),
        ...(dm.policy ? { policy: dm.policy } : {}),
      }
    : { result: 'none' }
  const arcResult = (r.arc || undefined) as
    | (Status & { i?: number | false; signature?: { signingDomain?: string } })
    | undefined
  const arc = {
    result: String(arcResult?.status?.result ?? 'none'),
    ...(arcResult?.i ? { instance: arcResult.i } : {}),
    ...(arcResult?.signature?.signingDomain ? { domain: arcResult.signature.signingDomain } : {}),
  }
  const dkimText = dkim.length
    ? dkim.map((d) => `DKIM ${d.result}${d.domain ? ` d=${d.domain}` : ''}`).join('; ')
    : 'DKIM none (not signed)'
  // The client's names are its own words: shown only when they are well-formed host names.
  const name = [o.hostname, o.helo].find((n) => n && HOSTNAME.test(n)) ?? 'an unnamed client'
  const summary = [
    `Received over SMTP from ${name} [${o.ip}]`,
    `SPF ${spf.result}`,
    dkimText,
    `DMARC ${dmarc.result}`,
    ...(arc.result !== 'none' ? [`ARC ${arc.result}${arc.domain ? ` d=${arc.domain}` : ''}`] : []),
  ].join('; ')
  return {
    transport: 'smtp',
    client: { helo: o.helo, ip: o.ip, tls: o.tls, ...(o.hostname ? { hostname: o.hostname } : {}) },
    envelopeFrom: o.sender,
    spf,
    dkim,
    dmarc,
    arc,
    summary,
  }
}
