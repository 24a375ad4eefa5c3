// The AS's forward and fetch checks against rows written by the real delivery endpoint (not by the test):
// proves that what the federation stores (Message-ID, assertion digest, recipient, From) is what the AS reads.
import { createHash } from 'node:crypto'
import {
  createDpopKey,
  ehHeaders,
  jwkThumbprint,
  originalHeaders,
  randomJti,
  sealForSend,
  signHopAssertion,
} from '@federizer/protocol'
import { setAutoForward, setVacation } from '@federizer/store'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueAccessToken } from '../src/as/tokens.ts'
import { dpopPost, readAtMost } from '../src/mta/dpop-post.ts'
import { autoReplyDraft } from '../src/mta/vacation.ts'
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
import { addUser, srvRecordsFor, startDnsServer, startDomain, type TestDomain } from './as-helpers.ts'
import { type Contract, loadContract } from './contract.ts'

let dns: Awaited<ReturnType<typeof startDnsServer>>
let com: TestDomain
let net: TestDomain
let contract: Contract
const matchesContract = (r: Awaited<ReturnType<typeof rawExchange>>) =>
  contract.check(
    { status: r.status, headers: r.headers, text: JSON.stringify(r.body) },
    { path: '/token', method: 'post' },
  )

beforeAll(async () => {
  contract = await loadContract()
  dns = await startDnsServer()
  ;[com, net] = await Promise.all([startDomain('example.com', { dns }), startDomain('example.net', { dns })])
  dns.setRecords(srvRecordsFor([com, net]))
  await addUser(com, 'alice')
  await addUser(net, 'bob')
  await addUser(net, 'carol')
  await setAutoForward(net.gateway.ctx.db, 'carol@example.net', ['bobby@example.org'])
})
afterAll(async () => {
  await com?.close()
  await net?.close()
  await dns?.close()
})

/** Alice sends to `to` at example.net: the send exchange at example.com, then the real delivery POST. */
async function deliver(to: string) {
  const sealed = sealedMessage('alice@example.com', [to])
  const access = await issueAccessToken(com.gateway.ctx, {
    account: 'alice@example.com',
    clientId: com.config.webClientId,
    scope: 'mail',
  })
  const sent = await rawExchange(com, {
    subject_token: access.token,
    subject_token_type: AT,
    requested_token_type: JWT,
    headers: JSON.stringify(sealed.headers),
  })
  expect(sent.status).toBe(200)
  const assertion = String(sent.body.access_token)
  const delivered = pushAssertion(withoutBcc(sealed.message), assertion)
  const response = await dpopPost({
    fetch,
    url: `${net.url}/federizer/deliveries`,
    token: assertion,
    key: sent.key,
    body: JSON.stringify({ placeholder: delivered, recipients: [to] }),
    now: () => Math.floor(Date.now() / 1000),
  })
  expect(response.status, await readAtMost(response, 4096)).toBeLessThan(300)
  const row = await net.gateway.ctx.db
    .selectFrom('messages')
    .select('placeholder')
    .where('account', '=', to)
    .where('message_id_header', '=', sealed.messageId)
    .executeTakeFirstOrThrow()
  return { sealed, assertion, stored: JSON.parse(row.placeholder) }
}

describe('exchanges over a message the delivery endpoint accepted', () => {
  it('fetch: the stored delivery authorises a fetch token for the origin mailbox only', async () => {
    const { sealed, assertion } = await deliver('bob@example.net')
    const params = {
      subject_token: assertion,
      subject_token_type: JWT,
      requested_token_type: AT,
      audience: com.url,
      message_id: sealed.messageId,
    }
    const ok = await rawExchange(net, params)
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    expect(decodeJwt(String(ok.body.access_token))).toMatchObject({
      aud: com.url,
      message_id: sealed.messageId,
    })
    const elsewhere = await rawExchange(net, { ...params, audience: net.url })
    expect(elsewhere.body.error).toBe('invalid_target')
    matchesContract(elsewhere)
  })

  it('fetch: an accepted delivery authorises fetches for the queue lifetime, after its assertion expired (issue 12, low)', async () => {
    // A hop assertion signed by example.com's AS two hours ago, expired an hour ago, whose delivery
    // was accepted (recorded as the delivery endpoint records it): the fetch is still allowed.
    const sealed = sealedMessage('alice@example.com', ['bob@example.net'])
    const t = Math.floor(Date.now() / 1000)
    const assertion = await signHopAssertion(
      {
        iss: com.url,
        sub: 'alice@example.com',
        azp: com.config.mtaClientId,
        cnf: { jkt: await jwkThumbprint((await createDpopKey()).publicJwk) },
        eh: sealed.eh,
        iat: t - 7200,
        exp: t - 3600,
        jti: randomJti(),
      },
      com.gateway.ctx.as.keys.activeSigningKey(),
    )
    await recordDelivery(
      net,
      pushAssertion(withoutBcc(sealed.message), assertion),
      'bob@example.net',
      'example.com',
    )
    const params = {
      subject_token: assertion,
      subject_token_type: JWT,
      requested_token_type: AT,
      audience: com.url,
      message_id: sealed.messageId,
    }
    const ok = await rawExchange(net, params)
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    // Past the queue lifetime (5 days) after the delivery, the fetch time is over.
    await net.gateway.ctx.db
      .updateTable('inbound_deliveries')
      .set({ received_at: t - 6 * 86400 })
      .where('message_id_header', '=', sealed.messageId)
      .execute()
    const late = await rawExchange(net, params)
    expect(late.status).toBe(400)
    expect(late.body.error).toBe('invalid_grant')
    expect(late.body.error_description).toMatch(/delivered more than 5 days ago/)
  })

  it('forward: the stored delivery to an auto-forwarding user authorises the forward assertion', async () => {
    const { assertion, stored } = await deliver('carol@example.net')
    const fwd = forwardingOf(stored, 'carol@example.net', ['bobby@example.org'])
    const ok = await rawExchange(net, {
      subject_token: assertion,
      subject_token_type: JWT,
      requested_token_type: JWT,
      headers: JSON.stringify(fwd.headers),
    })
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    matchesContract(ok)
    expect(decodeJwt(String(ok.body.access_token))).toMatchObject({ sub: 'carol@example.net', eh: fwd.eh })
    // The same assertion was not delivered to bob: he cannot forward it.
    const notHis = forwardingOf(stored, 'bob@example.net', ['bobby@example.org'])
    await setAutoForward(net.gateway.ctx.db, 'bob@example.net', ['bobby@example.org'])
    const refused = await rawExchange(net, {
      subject_token: assertion,
      subject_token_type: JWT,
      requested_token_type: JWT,
      headers: JSON.stringify(notHis.headers),
    })
    expect(refused.body.error).toBe('invalid_grant')
    expect(refused.body.error_description).toMatch(/was delivered to bob@example\.net/)
  })

  it('auto-reply: signed for the user the message was delivered to, only to its sender, only on vacation', async () => {
    const { assertion, stored } = await deliver('bob@example.net')
    const reply = (from: string, autoSubmitted = 'auto-replied', to?: string) => {
      const draft = autoReplyDraft(stored, {
        from: { address: from },
        subject: 'Away',
        messageId: `<r${Math.random().toString(36).slice(2)}@example.net>`,
        text: { contentId: createHash('sha256').update('Back').digest('base64url'), size: 4 },
      })
      const block = draft.envelope[0] as { headers: [string, string][] }
      block.headers = block.headers.map(([n, v]) => (n === 'Auto-Submitted' ? [n, autoSubmitted] : [n, v]))
      const { message, eh } = sealForSend(draft, { date: new Date() })
      const pairs = ehHeaders(originalHeaders(message), eh.ehl).map(([n, v]) =>
        n === 'To' && to ? [n, to] : [n, v],
      )
      return rawExchange(net, {
        subject_token: assertion,
        subject_token_type: JWT,
        requested_token_type: JWT,
        headers: JSON.stringify(pairs),
      })
    }
    const off = await reply('bob@example.net')
    expect(off.body.error).toBe('invalid_grant')
    expect(off.body.error_description).toMatch(/has no vacation reply on/)
    const vacation = {
      enabled: true,
      subject: 'Away',
      text: 'Back Monday',
      startsAt: null,
      endsAt: null,
      periodDays: 7,
    }
    await setVacation(net.gateway.ctx.db, 'bob@example.net', vacation)
    await setVacation(net.gateway.ctx.db, 'carol@example.net', vacation)
    const ok = await reply('bob@example.net')
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    matchesContract(ok)
    expect(decodeJwt(String(ok.body.access_token))).toMatchObject({ sub: 'bob@example.net' })
    // As in send, the AS is never given a recipient address: an unblinded To is refused.
    const plain = await reply('bob@example.net', 'auto-replied', 'mallory@example.org')
    expect(plain.body.error).toBe('invalid_request')
    expect(plain.body.error_description).toMatch(/must be sent blinded/)
    const notAuto = await reply('bob@example.net', 'auto-generated')
    expect(notAuto.body.error).toBe('invalid_request')
    expect(notAuto.body.error_description).toMatch(/Auto-Submitted: auto-replied/)
    // Carol is on vacation too, but the message was not delivered to her.
    const notHers = await reply('carol@example.net')
    expect(notHers.body.error).toBe('invalid_grant')
    expect(notHers.body.error_description).toMatch(/was delivered to carol@example\.net/)
  })
})
