import {
  createDpopKey,
  exchangeToken,
  type HopAssertionClaims,
  keyResolverFromJwks,
  randomJti,
  signHopAssertion,
  signJwt,
  verifyFetchToken,
  verifyHopAssertion,
} from '@federizer/protocol'
import { setAutoForward, setForwardPolicy } from '@federizer/store'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { issueAccessToken } from '../src/as/tokens.ts'
import {
  AT,
  forwardingOf,
  GRANT,
  JWT,
  pushAssertion,
  rawExchange,
  recordDelivery,
  sealedMessage,
  withoutBcc,
} from './as-exchange-helpers.ts'
import {
  addUser,
  insecure,
  srvRecordsFor,
  startDnsServer,
  startDomain,
  type TestDomain,
} from './as-helpers.ts'

let dns: Awaited<ReturnType<typeof startDnsServer>>
let com: TestDomain
let net: TestDomain
let org: TestDomain

beforeAll(async () => {
  dns = await startDnsServer()
  ;[com, net, org] = await Promise.all([
    startDomain('example.com', { dns }),
    startDomain('example.net', { dns, alg: 'EdDSA' }),
    startDomain('example.org', { dns, alg: 'RS256' }),
  ])
  dns.setRecords(srvRecordsFor([com, net, org]))
  await addUser(com, 'alice', { name: 'Alice' })
  await addUser(net, 'bob')
  await addUser(net, 'carl')
  await addUser(org, 'bobby')
  await addUser(org, 'olga')
})
afterAll(async () => {
  await Promise.all([com, net, org].map((d) => d?.close()))
  await dns?.close()
})

const now = () => Math.floor(Date.now() / 1000)
const accessTokenFor = async (d: TestDomain, account: string) =>
  (await issueAccessToken(d.gateway.ctx, { account, clientId: d.config.webClientId, scope: 'mail' })).token

/** oauth4webapi as the strict MTA client: private_key_jwt + DPoP + the generic token-exchange grant. */
async function strictExchange(d: TestDomain, parameters: Record<string, string>) {
  const as = await oauth.processDiscoveryResponse(
    new URL(d.url),
    await oauth.discoveryRequest(new URL(d.url), { algorithm: 'oauth2', ...insecure }),
  )
  const client: oauth.Client = { client_id: d.config.mtaClientId }
  const auth = oauth.PrivateKeyJwt({
    key: d.gateway.ctx.as.keys.mtaClientKey.privateKey as oauth.PrivateKey['key'],
    kid: d.gateway.ctx.as.keys.mtaClientKey.kid,
  })
  const keyPair = await oauth.generateKeyPair('ES256')
  const dpop = oauth.DPoP(client, keyPair)
  const response = await oauth.genericTokenEndpointRequest(as, client, auth, GRANT, parameters, {
    DPoP: dpop,
    ...insecure,
  })
  const result = await oauth.processGenericTokenEndpointResponse(as, client, response, {
    recognizedTokenTypes: { n_a: () => undefined },
  })
  return { result, keyPair }
}

const resolverFor = (d: TestDomain) => keyResolverFromJwks(d.gateway.ctx.as.keys.publicJwks())

/** Alice's message to Bob as example.com's MTA would deliver it (assertion from mode 1 on top). */
async function aliceToBob() {
  const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
  const res = await rawExchange(com, {
    subject_token: await accessTokenFor(com, 'alice@example.com'),
    subject_token_type: AT,
    requested_token_type: JWT,
    headers: JSON.stringify(sealed.headers),
  })
  expect(res.status).toBe(200)
  const delivered = pushAssertion(withoutBcc(sealed.message), String(res.body.access_token))
  return { sealed, assertion: String(res.body.access_token), delivered }
}

describe('mode 1: access token → hop assertion (send)', () => {
  it('issues a DPoP-bound assertion over the sealed headers to a strict client', async () => {
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const { result } = await strictExchange(com, {
      subject_token: await accessTokenFor(com, 'alice@example.com'),
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    })
    expect(result.token_type).toBe('n_a')
    expect(result.issued_token_type).toBe(JWT)
    const { header, claims } = await verifyHopAssertion(result.access_token, {
      resolveKey: resolverFor(com),
      now: now(),
      issuer: com.url,
    })
    expect(header.typ).toBe('fz-hop+jwt')
    expect(claims).toMatchObject({
      iss: com.url,
      sub: 'alice@example.com',
      azp: com.config.mtaClientId,
      scope: 'internet_mail',
      eh: sealed.eh,
    })
    expect(claims.cnf.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(claims.exp - claims.iat).toBe(6 * 86400)
  })

  it('binds cnf.jkt to the proof key', async () => {
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const key = await createDpopKey()
    const res = await rawExchange(
      com,
      {
        subject_token: await accessTokenFor(com, 'alice@example.com'),
        subject_token_type: AT,
        requested_token_type: JWT,
        headers: JSON.stringify(sealed.headers),
      },
      { dpopKey: key },
    )
    expect(res.body).toMatchObject({ token_type: 'N_A', issued_token_type: JWT })
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect((decodeJwt(String(res.body.access_token)) as HopAssertionClaims).cnf.jkt).toBe(key.jkt)
  })

  it('refuses to sign for anyone but the token user', async () => {
    const sealed = sealedMessage('mallory@example.com', ['bob@example.net'])
    const res = await rawExchange(com, {
      subject_token: await accessTokenFor(com, 'alice@example.com'),
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description:
        'From <mallory@example.com> is not the signed-in user <alice@example.com>: mail is signed only for its author',
    })
  })

  it.each([
    [
      'a missing mandatory header',
      (h: [string, string][]) => h.filter(([n]) => n !== 'Body-Digest'),
      /must include Body-Digest/,
    ],
    [
      'Bcc',
      (h: [string, string][]) => [...h, ['Bcc', 'eve@example.net'] as [string, string]],
      /"Bcc" may not be signed/,
    ],
    [
      'a malformed digest',
      (h: [string, string][]) => h.map(([n, v]) => [n, n === 'Body-Digest' ? 'abc' : v] as [string, string]),
      /digest in angle brackets/,
    ],
  ])('refuses headers with %s', async (_name, mutate, description) => {
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const res = await rawExchange(com, {
      subject_token: await accessTokenFor(com, 'alice@example.com'),
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(mutate(sealed.headers as [string, string][])),
    })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(res.body.error_description).toMatch(description)
  })

  it('only the MTA may exchange: the webmail gets unauthorized_client, an MTA without assertion invalid_client', async () => {
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const params = {
      subject_token: await accessTokenFor(com, 'alice@example.com'),
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    }
    const web = await rawExchange(com, params, { clientId: com.config.webClientId, clientAssertion: false })
    expect(web.status).toBe(400)
    expect(web.body.error).toBe('unauthorized_client')
    const bare = await rawExchange(com, params, { clientAssertion: false })
    expect(bare.status).toBe(401)
    expect(bare.body.error).toBe('invalid_client')
  })

  it('refuses a revoked access token', async () => {
    const token = await accessTokenFor(com, 'alice@example.com')
    const revoke = await fetch(`${com.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: com.config.webClientId }),
    })
    expect(revoke.status).toBe(200)
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const res = await rawExchange(com, {
      subject_token: token,
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    })
    expect(res.body).toMatchObject({
      error: 'invalid_grant',
      error_description: 'subject_token: the access token has been revoked',
    })
  })

  it('refuses a hop assertion presented as an access token (wrong typ)', async () => {
    const { assertion } = await aliceToBob()
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const res = await rawExchange(com, {
      subject_token: assertion,
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    })
    expect(res.body.error).toBe('invalid_grant')
    expect(res.body.error_description).toMatch(/typ "fz-hop\+jwt" is not the expected "at\+jwt"/)
  })
})

describe('DPoP at the token endpoint', () => {
  const sendParams = async () => ({
    subject_token: await accessTokenFor(com, 'alice@example.com'),
    subject_token_type: AT,
    requested_token_type: JWT,
    headers: JSON.stringify(sealedMessage('alice@example.com', ['bob@example.net']).headers),
  })

  it('requires a proof', async () => {
    const res = await rawExchange(com, await sendParams(), { dpop: null })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_dpop_proof')
  })

  it('refuses a replayed proof', async () => {
    const first = await rawExchange(com, await sendParams())
    expect(first.status).toBe(200)
    const again = await rawExchange(com, await sendParams(), { dpop: first.dpop! })
    expect(again.status).toBe(400)
    expect(again.body).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'this DPoP proof (jti) was already used',
    })
  })

  it.each([
    ['another htu', { htu: 'http://127.0.0.1:1/token' }, /htu/],
    ['another htm', { htm: 'GET' }, /htm "GET"/],
  ])('refuses a proof for %s', async (_name, options, description) => {
    const res = await rawExchange(com, await sendParams(), options)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_dpop_proof')
    expect(res.body.error_description).toMatch(description)
  })

  it('server nonces: use_dpop_nonce with a DPoP-Nonce header, then the retry succeeds', async () => {
    com.gateway.ctx.as.dpopNonces.required = true
    try {
      const first = await rawExchange(com, await sendParams())
      expect(first.status).toBe(400)
      expect(first.body.error).toBe('use_dpop_nonce')
      const nonce = first.headers.get('dpop-nonce')
      expect(nonce).toBeTruthy()
      const retry = await rawExchange(com, await sendParams(), { nonce: nonce! })
      expect(retry.status).toBe(200)
      expect(retry.headers.get('dpop-nonce')).toBeTruthy() // a fresh nonce on every answer
      // The protocol's own exchange client retries once by itself.
      const params = await sendParams()
      const issued = await exchangeToken({
        tokenEndpoint: `${com.url}/token`,
        issuer: com.url,
        clientId: com.config.mtaClientId,
        clientKey: com.gateway.ctx.as.keys.mtaClientKey,
        dpopKey: await createDpopKey(),
        subjectToken: params.subject_token,
        subjectTokenType: 'access_token',
        requestedTokenType: 'jwt',
        headers: JSON.parse(params.headers),
        fetch,
        now,
      })
      expect(issued.tokenType).toBe('N_A')
    } finally {
      com.gateway.ctx.as.dpopNonces.required = false
    }
  })
})

describe('mode 2: foreign assertion → hop assertion (forward)', () => {
  beforeEach(async () => {
    await setAutoForward(net.gateway.ctx.db, 'bob@example.net', ['bobby@example.org'])
    await setForwardPolicy(net.gateway.ctx.db, 'bob@example.net', 'allowed')
  })

  async function forwardParams() {
    const { delivered, assertion } = await aliceToBob()
    const received = await recordDelivery(net, delivered, 'bob@example.net', 'example.com')
    const fwd = forwardingOf(received, 'bob@example.net', ['bobby@example.org'])
    return {
      assertion,
      fwd,
      params: {
        subject_token: assertion,
        subject_token_type: JWT,
        requested_token_type: JWT,
        headers: JSON.stringify(fwd.headers),
      },
    }
  }

  it('verifies the foreign assertion through discovery and signs the forwarding block', async () => {
    const { fwd, params } = await forwardParams()
    const { result } = await strictExchange(net, params)
    const { claims } = await verifyHopAssertion(result.access_token, {
      resolveKey: resolverFor(net),
      now: now(),
      issuer: net.url,
    })
    expect(claims).toMatchObject({
      iss: net.url,
      sub: 'bob@example.net',
      azp: net.config.mtaClientId,
      eh: fwd.eh,
    })
  })

  it('verifies an RS256 origin at an EdDSA forwarder', async () => {
    const sealed = sealedMessage('olga@example.org', ['bob@example.net'])
    const sent = await rawExchange(org, {
      subject_token: await accessTokenFor(org, 'olga@example.org'),
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealed.headers),
    })
    expect(decodeProtectedHeader(String(sent.body.access_token)).alg).toBe('RS256')
    const delivered = pushAssertion(withoutBcc(sealed.message), String(sent.body.access_token))
    const received = await recordDelivery(net, delivered, 'bob@example.net', 'example.org')
    const fwd = forwardingOf(received, 'bob@example.net', ['bobby@example.org'])
    const { result } = await strictExchange(net, {
      subject_token: String(sent.body.access_token),
      subject_token_type: JWT,
      requested_token_type: JWT,
      headers: JSON.stringify(fwd.headers),
    })
    expect(decodeProtectedHeader(result.access_token).alg).toBe('EdDSA')
  })

  it('a domains policy allows the listed domain only', async () => {
    await setForwardPolicy(net.gateway.ctx.db, 'bob@example.net', 'domains', ['example.org'])
    expect((await rawExchange(net, (await forwardParams()).params)).status).toBe(200)
    await setForwardPolicy(net.gateway.ctx.db, 'bob@example.net', 'domains', ['example.edu'])
    const res = await rawExchange(net, (await forwardParams()).params)
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: 'the forwarding policy of bob@example.net does not allow forwarding to example.org',
    })
  })

  it('a denied policy refuses the forward and issues nothing', async () => {
    await setForwardPolicy(net.gateway.ctx.db, 'bob@example.net', 'denied')
    const res = await rawExchange(net, (await forwardParams()).params)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_grant')
    expect(res.body.error_description).toMatch(/forwarding policy/)
    expect(res.body).not.toHaveProperty('access_token')
  })

  it('refuses a forward the user did not configure', async () => {
    await setAutoForward(net.gateway.ctx.db, 'bob@example.net', null)
    const res = await rawExchange(net, (await forwardParams()).params)
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: 'bob@example.net has no auto-forward to bobby@example.org',
    })
  })

  it('signs Date and Received of the forwarding block, and refuses a forward without Date', async () => {
    const { fwd, params } = await forwardParams()
    expect(fwd.eh.ehl).toEqual(expect.arrayContaining(['Date', 'Received']))
    const withoutDate = (JSON.parse(params.headers) as [string, string][]).filter(([n]) => n !== 'Date')
    const res = await rawExchange(net, { ...params, headers: JSON.stringify(withoutDate) })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(res.body.error_description).toMatch(/Date/)
  })

  it('refuses a JWT-Assertion-Digest that is not the subject token’s', async () => {
    const { params } = await forwardParams()
    const other = await aliceToBob()
    const res = await rawExchange(net, { ...params, subject_token: other.assertion })
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: 'JWT-Assertion-Digest does not match the digest of subject_token',
    })
  })

  it('refuses an assertion that was never delivered here', async () => {
    const { delivered, assertion } = await aliceToBob()
    const { pushReceipt } = await import('@federizer/protocol')
    const received = pushReceipt(delivered, {
      fromDomain: 'example.com',
      byDomain: 'example.net',
      date: new Date(),
    })
    const fwd = forwardingOf(received, 'bob@example.net', ['bobby@example.org'])
    const res = await rawExchange(net, {
      subject_token: assertion,
      subject_token_type: JWT,
      requested_token_type: JWT,
      headers: JSON.stringify(fwd.headers),
    })
    expect(res.body.error).toBe('invalid_grant')
    expect(res.body.error_description).toMatch(
      /^no message <.*@example\.com> was delivered to bob@example\.net with this assertion$/,
    )
  })

  /** A forged or faulty assertion, wrapped in a message so that the forward request is otherwise valid. */
  async function forwardWith(token: string) {
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const { pushReceipt } = await import('@federizer/protocol')
    const received = pushReceipt(pushAssertion(sealed.message, token), {
      fromDomain: 'example.com',
      byDomain: 'example.net',
      date: new Date(),
    })
    const fwd = forwardingOf(received, 'bob@example.net', ['bobby@example.org'])
    return rawExchange(net, {
      subject_token: token,
      subject_token_type: JWT,
      requested_token_type: JWT,
      headers: JSON.stringify(fwd.headers),
    })
  }

  const claimsFor = (d: TestDomain, overrides: Partial<HopAssertionClaims> = {}) => ({
    iss: d.url,
    sub: 'alice@example.com',
    azp: d.config.mtaClientId,
    cnf: { jkt: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' },
    eh: { eht: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', ehl: ['Message-ID'] },
    iat: now(),
    exp: now() + 3600,
    jti: randomJti(),
    ...overrides,
  })
  const keyOf = (d: TestDomain) => d.gateway.ctx.as.keys.activeSigningKey()

  it('refuses an assertion from the wrong issuer', async () => {
    const res = await forwardWith(await signHopAssertion(claimsFor(org), keyOf(org)))
    expect(res.body.error).toBe('invalid_grant')
    expect(res.body.error_description).toBe(
      `subject_token: iss "${org.url}" is not the authorization server discovered for example.com (${com.url})`,
    )
  })

  it('refuses an assertion whose azp is not the MTA the sender domain publishes', async () => {
    const res = await forwardWith(
      await signHopAssertion(claimsFor(com, { azp: 'https://example.com/rogue' }), keyOf(com)),
    )
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: `subject_token: azp "https://example.com/rogue" is not the MTA client_id example.com publishes (${com.config.mtaClientId})`,
    })
  })

  it('refuses an assertion signed by a key the issuer does not publish', async () => {
    const res = await forwardWith(await signHopAssertion(claimsFor(com), keyOf(org)))
    expect(res.body.error).toBe('invalid_grant')
    expect(res.body.error_description).toMatch(/^subject_token: .*(kid|key)/)
  })

  it('refuses an expired assertion', async () => {
    const res = await forwardWith(
      await signHopAssertion(claimsFor(com, { iat: now() - 7200, exp: now() - 3600 }), keyOf(com)),
    )
    expect(res.body.error).toBe('invalid_grant')
    expect(res.body.error_description).toMatch(/^subject_token: the token has expired/)
  })

  it('refuses a not-yet-valid assertion', async () => {
    const res = await forwardWith(
      await signHopAssertion(claimsFor(com, { iat: now() + 3600, exp: now() + 7200 }), keyOf(com)),
    )
    expect(res.body.error).toBe('invalid_grant')
    expect(res.body.error_description).toMatch(/^subject_token: .*(future|not yet valid)/)
  })

  it('refuses a wrong typ', async () => {
    const res = await forwardWith(
      await signJwt({ ...claimsFor(com), scope: 'internet_mail' }, keyOf(com), 'JWT'),
    )
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: 'subject_token: JWS typ "JWT" is not the expected "fz-hop+jwt"',
    })
  })

  it('refuses alg none', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const unsigned = `${b64({ alg: 'none', typ: 'fz-hop+jwt', kid: 'x' })}.${b64({ ...claimsFor(com), scope: 'internet_mail' })}.sig`
    const res = await forwardWith(unsigned)
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: 'subject_token: JWS alg "none" is not allowed (ES256, EdDSA, RS256 only)',
    })
  })
})

describe('mode 3: last-hop assertion → DPoP-bound fetch token', () => {
  it('issues a fetch token for the origin mailbox to a strict DPoP client', async () => {
    const { delivered, assertion, sealed } = await aliceToBob()
    await recordDelivery(net, delivered, 'bob@example.net', 'example.com')
    const { result } = await strictExchange(net, {
      subject_token: assertion,
      subject_token_type: JWT,
      requested_token_type: AT,
      audience: com.url,
      message_id: sealed.messageId,
    })
    expect(result.token_type).toBe('dpop')
    expect(result.issued_token_type).toBe(AT)
    const { claims } = await verifyFetchToken(result.access_token, {
      resolveKey: resolverFor(net),
      now: now(),
      issuer: net.url,
      audience: com.url,
    })
    expect(claims).toMatchObject({
      iss: net.url,
      azp: net.config.mtaClientId,
      aud: com.url,
      message_id: sealed.messageId,
      scope: 'internet_mail',
    })
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(3600)
  })

  it('refuses an audience that is not the original sender’s mailbox', async () => {
    const { delivered, assertion, sealed } = await aliceToBob()
    await recordDelivery(net, delivered, 'bob@example.net', 'example.com')
    const res = await rawExchange(net, {
      subject_token: assertion,
      subject_token_type: JWT,
      requested_token_type: AT,
      audience: org.url,
      message_id: sealed.messageId,
    })
    expect(res.body).toEqual({
      error: 'invalid_target',
      error_description: `audience must be the origin mailbox ${com.url} (the resource URL of example.com)`,
    })
  })

  it('refuses a message this mailbox does not hold', async () => {
    const { assertion, sealed } = await aliceToBob()
    const res = await rawExchange(net, {
      subject_token: assertion,
      subject_token_type: JWT,
      requested_token_type: AT,
      audience: com.url,
      message_id: sealed.messageId,
    })
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: `this mailbox holds no message ${sealed.messageId} delivered with this assertion`,
    })
  })

  it("a self-issued subject token is exchanged with the receiver's own proof key (same-domain mail)", async () => {
    const key = await createDpopKey()
    const sealed = sealedMessage('bob@example.net', ['alice@example.com'])
    const own = await rawExchange(
      net,
      {
        subject_token: await accessTokenFor(net, 'bob@example.net'),
        subject_token_type: AT,
        requested_token_type: JWT,
        headers: JSON.stringify(sealed.headers),
      },
      { dpopKey: key },
    )
    expect(own.status).toBe(200)
    const res = await rawExchange(net, {
      subject_token: String(own.body.access_token),
      subject_token_type: JWT,
      requested_token_type: AT,
      audience: net.url,
      message_id: sealed.messageId,
    })
    // The sender's key is not asked for (the receiving MTA never holds it): what decides is whether the
    // message was delivered here, and it was not.
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: `this mailbox holds no message ${sealed.messageId} delivered with this assertion`,
    })
  })
})
