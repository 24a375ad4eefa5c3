import {
  type HopAssertionClaims,
  randomJti,
  signHopAssertion,
  signJwt,
  verifyHopAssertion,
} from '@federizer/protocol'
import { setAutoForward, setForwardPolicy } from '@federizer/store'
import { decodeProtectedHeader } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  accessTokenFor,
  aliceToBob,
  com,
  net,
  now,
  org,
  resolverFor,
  strictExchange,
} from './as-exchange-domains.ts'
import {
  AT,
  forwardingOf,
  JWT,
  pushAssertion,
  rawExchange,
  recordDelivery,
  sealedMessage,
  withoutBcc,
} from './as-exchange-helpers.ts'
import type { TestDomain } from './as-helpers.ts'

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
