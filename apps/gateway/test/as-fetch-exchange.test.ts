import { createDpopKey, verifyFetchToken } from '@federizer/protocol'
import { describe, expect, it } from 'vitest'
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
import { AT, JWT, rawExchange, recordDelivery, sealedMessage } from './as-exchange-helpers.ts'

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
