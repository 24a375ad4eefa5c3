// OAuth steps of the replica test, each sent to ONE chosen replica (not through haproxy), so a test can
// start something on replica 1 and finish it on replica 2. URLs keep the domain's public origin in their
// claims (htu, redirect_uri, aud); only the connection goes to the replica.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { DomainConfig } from '@federizer/node'
import {
  buildDraft,
  CLIENT_ASSERTION_TYPE,
  createClientAssertion,
  createDpopKey,
  createDpopProof,
  ehHeaders,
  sealForSend,
} from '@federizer/protocol'
import { loadOrCreateDomainKeys } from '@federizer/store'
import { accessTokenFromKeyFolder } from '../src/test-material.ts'

export interface Answer {
  status: number
  headers: Headers
  body: Record<string, string>
}

/** `url` (on the domain's public origin) sent to the replica at `replicaUrl` instead. */
export function onReplica(replicaUrl: string, url: string): string {
  const u = new URL(url)
  const r = new URL(replicaUrl)
  u.protocol = r.protocol
  u.host = r.host
  return u.toString()
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text()
  let body: Record<string, string> = {}
  try {
    body = text ? (JSON.parse(text) as Record<string, string>) : {}
  } catch {
    body = { text }
  }
  return { status: response.status, headers: response.headers, body }
}

/** POST /token of the replica at `replicaUrl`, form-encoded. */
export async function tokenRequest(
  replicaUrl: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${replicaUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  })
  return answer(response)
}

/** A browser's cookie jar shared by every replica (they are one origin behind the load balancer). */
export function browser() {
  const jar = new Map<string, string>()
  const send = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers)
    const cookies = [...jar.entries()].map(([k, v]) => `${k}=${v}`).join('; ')
    if (cookies) headers.set('cookie', cookies)
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [name, ...value] = (line.split(';')[0] ?? '').split('=')
      if (name) jar.set(name.trim(), value.join('='))
    }
    return response
  }
  return { fetch: send, jar }
}

/** An authorization request (RFC 6749 §4.1.1 with PKCE S256, RFC 7636 §4.2) on the replica at `replicaUrl`. */
export function authorizationRequest(config: DomainConfig, replicaUrl: string) {
  const verifier = randomBytes(32).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  const url = new URL(`${replicaUrl}/authorize`)
  for (const [k, v] of Object.entries({
    client_id: config.webClientId,
    redirect_uri: `${config.apiUrl}/callback`,
    response_type: 'code',
    scope: 'mail',
    state: randomUUID(),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(k, v)
  return { url: url.toString(), verifier }
}

/** Signs in through the login page of the replica at `replicaUrl`; returns the code and its verifier. */
export async function signIn(
  config: DomainConfig,
  replicaUrl: string,
  user: { email: string; password: string },
  jar = browser(),
) {
  const { url, verifier } = authorizationRequest(config, replicaUrl)
  const page = await jar.fetch(url)
  if (page.status !== 200) throw new Error(`the login page answered ${page.status}`)
  const html = await page.text()
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1] ?? ''
  const fields: Record<string, string> = {}
  for (const [tag] of html.matchAll(/<input[^>]*>/g)) {
    const name = /\sname="([^"]*)"/.exec(tag)?.[1]
    if (name !== undefined) fields[name] = /\svalue="([^"]*)"/.exec(tag)?.[1] ?? ''
  }
  fields.email = user.email
  fields.password = user.password
  const posted = await jar.fetch(onReplica(replicaUrl, new URL(action, config.gatewayUrl).toString()), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  })
  const location = posted.headers.get('location')
  const code = location ? new URL(location).searchParams.get('code') : null
  if (posted.status !== 303 || !code) throw new Error(`sign-in answered ${posted.status} without a code`)
  return { code, verifier, jar }
}

/** The authorization_code grant (RFC 6749 §4.1.3) at the replica at `replicaUrl`. */
export const redeemCode = (config: DomainConfig, replicaUrl: string, code: string, verifier: string) =>
  tokenRequest(replicaUrl, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: `${config.apiUrl}/callback`,
    code_verifier: verifier,
    client_id: config.webClientId,
  })

export const refresh = (config: DomainConfig, replicaUrl: string, refreshToken: string) =>
  tokenRequest(replicaUrl, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: config.webClientId,
  })

/**
 * The domain MTA's send exchange (docs/protocol.md §5, mode 1) for a fresh message from `from`: a new
 * client assertion each time (its jti is single-use too), with the given DPoP proof. Returns the proof
 * made for the domain's public token endpoint when none is given.
 */
export async function sendExchange(config: DomainConfig, replicaUrl: string, from: string, dpop?: string) {
  const keys = await loadOrCreateDomainKeys(config)
  const now = Math.floor(Date.now() / 1000)
  const draft = buildDraft({
    from: { address: from },
    to: [{ address: 'bob@example.net' }],
    subject: 'Proof replay',
    messageId: `<${randomUUID()}@${from.split('@')[1]}>`,
    text: {
      contentId: 'aSQnmlBT6RndpDnwTSStJUVh1h9XL9_y2QXX42NhKuI',
      size: 42,
      mediaType: 'text/plain; charset=UTF-8',
    },
  })
  const { message, eh } = sealForSend(draft, { date: new Date() })
  const block = message.envelope[0]
  if (!block || !('headers' in block)) throw new Error('no original block')
  const proof =
    dpop ??
    (await createDpopProof({
      key: await createDpopKey(),
      htm: 'POST',
      htu: `${config.gatewayUrl}/token`,
      now,
    }))
  const res = await tokenRequest(
    replicaUrl,
    {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: await accessTokenFromKeyFolder(config, from),
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      headers: JSON.stringify(ehHeaders(block.headers, eh.ehl)),
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await createClientAssertion({
        clientId: config.mtaClientId,
        audience: config.gatewayUrl,
        key: keys.mtaClientKey,
        now,
      }),
    },
    { dpop: proof },
  )
  return { ...res, proof }
}
