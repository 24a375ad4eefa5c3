/**
 * The attacker (a whole domain) against every route of the victim's gateway: AS metadata, /authorize,
 * /token, /revoke, /logout, deliveries, fetch and the well-known document. Each case: the status, a
 * clear body, nothing stored or queued at the victim, and good mail still flows (issue 12, attack suite).
 */
import { ehThumbprint, jwkThumbprint, originalHeaders, type PlaceholderMessage } from '@federizer/protocol'
import { decodeJwt } from 'jose'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ATTACKER,
  type AttackNet,
  attackerMessage,
  BOB,
  deliver,
  expectGoodMail,
  expectNothingStored,
  expectRefused,
  expectRefusedPage,
  newKey,
  openAttackNetwork,
  proofFor,
  request,
  type Snapshot,
  settle,
  snapshot,
  VICTIM,
} from './harness.ts'

let net: AttackNet
let before: Snapshot
let gw: string

beforeAll(async () => {
  // The attacker's outgoing mail is held (undo window) so each case takes its genuine placeholder and
  // tampers with it; example.com's good mail is released by the harness.
  net = await openAttackNetwork({ undoSendSeconds: 3600, limits: { maxPlaceholderBytes: 64 * 1024 } })
  gw = net.node(VICTIM).gatewayUrl
}, 90_000)
afterAll(async () => {
  await net?.close()
})
beforeEach(async () => {
  before = await snapshot(net.network, VICTIM)
})
afterEach(async (c) => {
  if (c.task.result?.state === 'fail') return
  await expectNothingStored(net.network, VICTIM, before)
})

const form = { 'content-type': 'application/x-www-form-urlencoded' }
const json = { 'content-type': 'application/json' }
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v))
const body = (placeholder: unknown, recipients = [BOB]) => JSON.stringify({ placeholder, recipients })

describe('AS metadata, JWKS and the well-known document', () => {
  it('are served as published, and writes to them are refused without side effects', async () => {
    const meta = await request(`${gw}/.well-known/oauth-authorization-server`)
    expect(meta.status).toBe(200)
    expect(meta.json?.issuer).toBe(gw)
    const wk = await request(`${gw}/.well-known/federizer`)
    expect(wk.status).toBe(200)
    expect(wk.json?.domain).toBe(VICTIM)
    const post = await request(`${gw}/.well-known/federizer`, { method: 'POST', headers: json, body: '{}' })
    expect(post.status).toBe(404)
    const jwks = await request(`${gw}/jwks`)
    expect(jwks.status).toBe(200)
    expect(jwks.text).not.toMatch(/"d"\s*:/) // never a private key
  })
})

describe('/authorize', () => {
  it('no parameters → 400 sign-in error page', async () => {
    expectRefusedPage(await request(`${gw}/authorize`), 400)
  })
  it("an unknown client and the attacker's redirect_uri → 400 page, never a redirect to it", async () => {
    const q = new URLSearchParams({
      client_id: `webmail.${ATTACKER}`,
      redirect_uri: `${net.node(ATTACKER).apiUrl}/callback`,
      response_type: 'code',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
      scope: 'mail',
    })
    const reply = await request(`${gw}/authorize?${q}`)
    expectRefusedPage(reply, 400)
  })
  it('a junk sign-in form → 400 page, no session or code', async () => {
    expectRefusedPage(
      await request(`${gw}/authorize`, { method: 'POST', headers: form, body: 'email=bob%40example.net' }),
      400,
    )
  })
})

describe('/token', () => {
  it('an empty form → 400 invalid_request', async () => {
    expectRefused(
      await request(`${gw}/token`, { method: 'POST', headers: form, body: '' }),
      400,
      'invalid_request',
    )
  })
  it('JSON instead of a form → 400 invalid_request', async () => {
    expectRefused(
      await request(`${gw}/token`, { method: 'POST', headers: json, body: '{"grant_type":"x"}' }),
      400,
      'invalid_request',
    )
  })
  it('a 2 MB form → 413', async () => {
    const reply = await request(`${gw}/token`, {
      method: 'POST',
      headers: form,
      body: `a=${'x'.repeat(2_000_000)}`,
    })
    expectRefused(reply, 413)
  })
  it('a grant with no client → 401 invalid_client', async () => {
    expectRefused(
      await request(`${gw}/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' }),
      401,
      'invalid_client',
    )
  })
  it("a client assertion for the victim's MTA signed with the attacker's MTA key → 401 invalid_client", async () => {
    const { SignJWT } = await import('jose')
    const key = net.attacker.mtaClientKey()
    const now = Math.floor(Date.now() / 1000)
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setIssuer(`mta.${VICTIM}`)
      .setSubject(`mta.${VICTIM}`)
      .setAudience(gw)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(`forged-${now}`)
      .sign(key.privateKey)
    const reply = await request(`${gw}/token`, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: `mta.${VICTIM}`,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }).toString(),
    })
    expectRefused(reply, 401, 'invalid_client')
  })
})

describe('/revoke and /logout', () => {
  it('/revoke with a junk token and no client → 401 invalid_client', async () => {
    expectRefused(
      await request(`${gw}/revoke`, { method: 'POST', headers: form, body: 'token=abc' }),
      401,
      'invalid_client',
    )
  })
  it('/logout without a session signs nobody in or out', async () => {
    const reply = await request(`${gw}/logout`)
    expect(reply.status).toBe(200)
    expect(reply.text).not.toMatch(/\n\s+at /)
  })
})

describe('deliveries', () => {
  const url = () => `${gw}/federizer/deliveries`
  it('no Content-Type → 415', async () => {
    expectRefused(await request(url(), { method: 'POST', body: 'x' }), 415, 'unsupported_media_type')
  })
  it('broken JSON → 400 invalid_request', async () => {
    const reply = await request(url(), {
      method: 'POST',
      headers: { ...json, authorization: 'DPoP x', dpop: 'x' },
      body: '{',
    })
    expectRefused(reply, 400, 'invalid_request')
  })
  it('30,000 nested arrays (under the size limit) → 400, not a crash', async () => {
    const reply = await request(url(), {
      method: 'POST',
      headers: { ...json, authorization: 'DPoP x', dpop: 'x' },
      body: `${'['.repeat(30_000)}${']'.repeat(30_000)}`,
    })
    expectRefused(reply, 400)
  })
  it("a genuine assertion presented with another key's proof → 401 invalid_dpop_proof", async () => {
    const m = await attackerMessage(net.network)
    const reply = await deliver(net.network, {
      body: body(m.placeholder),
      token: m.token,
      key: await newKey(),
    })
    expectRefused(reply, 401, 'invalid_dpop_proof')
  })
  it('a replayed proof → 401 invalid_dpop_proof, and nothing is stored twice', async () => {
    const m = await attackerMessage(net.network)
    const proof = await proofFor(m.key, 'POST', url(), m.token)
    const first = await deliver(net.network, { body: body(m.placeholder), token: m.token, key: m.key, proof })
    expect(first.status).toBe(202)
    await settle(net.network, VICTIM) // the accepted copy's fetch (its temp file) ends before the snapshot
    const accepted = await snapshot(net.network, VICTIM)
    const replay = await deliver(net.network, {
      body: body(m.placeholder),
      token: m.token,
      key: m.key,
      proof,
    })
    expectRefused(replay, 401, 'invalid_dpop_proof')
    await expectNothingStored(net.network, VICTIM, accepted)
    before = await snapshot(net.network, VICTIM)
  })
  it('a tampered Subject under a genuine assertion → 400 invalid_chain', async () => {
    const m = await attackerMessage(net.network)
    const tampered = clone(m.placeholder)
    const subject = originalHeaders(tampered).find(([n]) => n.toLowerCase() === 'subject')
    if (subject) subject[1] = 'Your account is locked'
    const reply = await deliver(net.network, { body: body(tampered), token: m.token, key: m.key })
    expectRefused(reply, 400, 'invalid_chain')
  })
  it('an assertion by the attacker AS claiming a sender of example.com → 401 invalid_token', async () => {
    const m = await attackerMessage(net.network)
    const genuine = decodeJwt(m.token) as { eh: { ehl: string[] } }
    const forged = clone(m.placeholder) as PlaceholderMessage
    const from = originalHeaders(forged).find(([n]) => n.toLowerCase() === 'from')
    if (from) from[1] = 'Alice <alice@example.com>'
    const now = Math.floor(Date.now() / 1000)
    const token = await net.attacker.signHop({
      iss: net.attacker.issuer,
      sub: 'alice@example.com',
      azp: net.attacker.mtaClientId,
      cnf: { jkt: await jwkThumbprint(m.key.publicJwk) },
      eh: { eht: ehThumbprint(originalHeaders(forged), genuine.eh.ehl), ehl: genuine.eh.ehl },
      iat: now,
      exp: now + 3600,
      jti: `forged-from-${now}`,
    })
    forged.envelope[0] = { 'jwt-assertion': token } // the newest block first
    const reply = await deliver(net.network, { body: body(forged), token, key: m.key })
    expect([400, 401]).toContain(reply.status)
    expectRefused(reply, reply.status, /invalid_token|invalid_chain/)
  })
  it('a placeholder over the size limit → 413', async () => {
    const m = await attackerMessage(net.network)
    const big = clone(m.placeholder) as PlaceholderMessage & { padding?: string }
    big.padding = 'x'.repeat(100 * 1024)
    const reply = await deliver(net.network, { body: body(big), token: m.token, key: m.key })
    expectRefused(reply, 413)
  })
})

describe('fetch', () => {
  const url = () => `${gw}/federizer/fetch`
  it('no Content-Type → 415', async () => {
    expectRefused(await request(url(), { method: 'POST', body: 'x' }), 415, 'unsupported_media_type')
  })
  it('an empty object → 400 invalid_request', async () => {
    const reply = await request(url(), {
      method: 'POST',
      headers: { ...json, authorization: 'DPoP x', dpop: 'x' },
      body: '{}',
    })
    expectRefused(reply, 400, 'invalid_request')
  })
})

describe('afterwards', () => {
  it('the victim still serves good mail', { timeout: 60_000 }, async () => {
    await expectGoodMail(net.network)
    await settle(net.network, VICTIM)
    before = await snapshot(net.network, VICTIM)
  })
})
