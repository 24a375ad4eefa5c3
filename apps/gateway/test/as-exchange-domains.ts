import { keyResolverFromJwks } from '@federizer/protocol'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, expect } from 'vitest'
import { issueAccessToken } from '../src/as/tokens.ts'
import {
  AT,
  GRANT,
  JWT,
  pushAssertion,
  rawExchange,
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

/**
 * The three domains of the token-exchange tests (as-token-exchange, as-forward-exchange and
 * as-fetch-exchange.test.ts): each test file that imports this module starts its own example.com (ES256),
 * example.net (EdDSA) and example.org (RS256) on one test DNS, and closes them after its tests.
 */
export let dns: Awaited<ReturnType<typeof startDnsServer>>
export let com: TestDomain
export let net: TestDomain
export let org: TestDomain

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

export const now = () => Math.floor(Date.now() / 1000)
export const accessTokenFor = async (d: TestDomain, account: string) =>
  (await issueAccessToken(d.gateway.ctx, { account, clientId: d.config.webClientId, scope: 'mail' })).token

/** oauth4webapi as the strict MTA client: private_key_jwt + DPoP + the generic token-exchange grant. */
export async function strictExchange(d: TestDomain, parameters: Record<string, string>) {
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

export const resolverFor = (d: TestDomain) => keyResolverFromJwks(d.gateway.ctx.as.keys.publicJwks())

/** Alice's message to Bob as example.com's MTA would deliver it (assertion from mode 1 on top). */
export async function aliceToBob() {
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
