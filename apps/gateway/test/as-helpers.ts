// Test helpers for the AS suites: real gateways on loopback ports, a real DNS server, a cookie-aware fetch.
import fs from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { type DnsServer, freePort, startDnsServer, testStore } from '@federizer/devnet'
import { type DomainConfig, defaultLimits } from '@federizer/node'
import type { AllowedAlg } from '@federizer/protocol'
import { type CreateUserInput, createUser, loadOrCreateDomainKeys } from '@federizer/store'
import * as oauth from 'oauth4webapi'
import pino from 'pino'
import { createGateway, type Gateway } from '../src/index.ts'

export const PASSWORD = 'correct horse battery'
export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 }

export interface TestDomain {
  domain: string
  config: DomainConfig
  gateway: Gateway
  url: string
  close(): Promise<void>
}

/** Starts one domain's gateway (workers off) on a free loopback port with a fresh data folder. */
export async function startDomain(
  domain: string,
  options: { dns?: DnsServer; gatewayPath?: string; now?: () => number; alg?: AllowedAlg } = {},
): Promise<TestDomain> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `fz-as-${domain}-`))
  const port = await freePort()
  const apiPort = await freePort()
  const url = `http://127.0.0.1:${port}${options.gatewayPath ?? ''}`
  // SQLite in dataDir, or a fresh PostgreSQL database under `npm run test:pg` (apps/devnet/src/postgres.ts).
  const store = await testStore(domain)
  const config: DomainConfig = {
    domain,
    dataDir,
    ...(store ? { store } : {}),
    gatewayUrl: url,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    mtaClientId: `https://${domain}/mta`,
    webClientId: `https://${domain}/webmail`,
    dnsServers: options.dns ? [options.dns.address] : undefined,
    allowInsecureTargets: true,
    limits: defaultLimits,
    undoSendSeconds: 0,
    queueTimeScale: 1,
  }
  // The AS key algorithm is chosen when the key file is first created.
  if (options.alg) await loadOrCreateDomainKeys(config, { alg: options.alg })
  const gateway = await createGateway(config, {
    workers: false,
    logger: pino({ level: 'silent' }),
    now: options.now,
  })
  await gateway.listen(port)
  return {
    domain,
    config,
    gateway,
    url,
    async close() {
      try {
        await gateway.close()
      } finally {
        await fs.rm(dataDir, { recursive: true, force: true })
      }
    },
  }
}

/** SRV records for each domain's AS and RS pointing at its gateway's loopback port. */
export function srvRecordsFor(domains: TestDomain[]) {
  return {
    srv: domains.flatMap((d) => {
      const port = Number(new URL(d.url).port)
      return ['as', 'rs'].map((kind) => ({
        name: `_federizer._${kind}._tcp.${d.domain}`,
        target: '127.0.0.1',
        port,
        ttl: 60,
      }))
    }),
  }
}

export { startDnsServer }

export async function addUser(d: TestDomain, local: string, extra: Partial<CreateUserInput> = {}) {
  return createUser(d.gateway.ctx.db, {
    email: `${local}@${d.domain}`,
    password: PASSWORD,
    domain: d.domain,
    scrypt: CHEAP_SCRYPT,
    ...extra,
  })
}

/** A fetch that keeps cookies per host:port (enough for one AS) and never follows redirects. */
export function cookieFetch() {
  const jar = new Map<string, string>()
  const send: typeof fetch = async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const headers = new Headers(init.headers)
    const cookies = [...jar.entries()].map(([k, v]) => `${k}=${v}`).join('; ')
    if (cookies) headers.set('cookie', cookies)
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const [name, ...value] = (pair ?? '').split('=')
      if (!name) continue
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name.trim())
      else jar.set(name.trim(), value.join('='))
    }
    return response
  }
  return { fetch: send, jar }
}

/** Reads the hidden and visible fields of the first form of a page. */
export function parseForm(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1] ?? ''
  const fields: Record<string, string> = {}
  for (const [tag] of html.matchAll(/<input[^>]*>/g)) {
    const name = /\sname="([^"]*)"/.exec(tag)?.[1]
    if (name !== undefined)
      fields[unescapeHtml(name)] = unescapeHtml(/\svalue="([^"]*)"/.exec(tag)?.[1] ?? '')
  }
  return { action: unescapeHtml(action), fields }
}

const unescapeHtml = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))

/** The AS as oauth4webapi sees it, discovered from its metadata (strict RFC 8414 checks). */
export async function discoverAs(d: TestDomain): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(d.url)
  const response = await oauth.discoveryRequest(issuer, {
    algorithm: 'oauth2',
    [oauth.allowInsecureRequests]: true,
  })
  return oauth.processDiscoveryResponse(issuer, response)
}

export const insecure = { [oauth.allowInsecureRequests]: true } as const

/**
 * Signs in through the real login page: GET /authorize, parse the form, POST the credentials with the CSRF
 * token, read the redirect. Returns the callback URL (with code, state, iss) and the verifier.
 */
export async function signInThroughForm(
  d: TestDomain,
  as: oauth.AuthorizationServer,
  options: { email?: string; password?: string; browser?: ReturnType<typeof cookieFetch> } = {},
) {
  const browser = options.browser ?? cookieFetch()
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const url = new URL(as.authorization_endpoint!)
  url.searchParams.set('client_id', d.config.webClientId)
  url.searchParams.set('redirect_uri', `${d.config.apiUrl}/callback`)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('scope', 'mail')
  url.searchParams.set('state', state)
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier))
  url.searchParams.set('code_challenge_method', 'S256')
  const page = await browser.fetch(url)
  if (page.status !== 200) throw new Error(`login page answered ${page.status}`)
  const form = parseForm(await page.text())
  form.fields.email = options.email ?? `alice@${d.domain}`
  form.fields.password = options.password ?? PASSWORD
  const posted = await browser.fetch(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form.fields),
  })
  return { posted, verifier, state, browser }
}

/**
 * A loopback server that runs only `route` (a lean route of the gateway); a request it leaves to express
 * is answered 418 here. Returns its URL and how to close it.
 */
export async function leanServer(
  route: (req: http.IncomingMessage, res: http.ServerResponse) => boolean,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (!route(req, res)) res.writeHead(418).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
