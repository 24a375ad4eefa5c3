import type { Network } from '@federizer/devnet'
import {
  createDpopKey,
  createDpopProof,
  exchangeToken,
  lastAssertion,
  listResources,
  type PlaceholderMessage,
} from '@federizer/protocol'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Contract, loadContract } from './contract.ts'
import { heldDelivery, type RowKey } from './federation-bad-input-helpers.ts'
import { db, openNetwork, threeDomains } from './federation-helpers.ts'

let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let contract: Contract
let validateRequest: (schema: string, body: unknown) => void

beforeAll(async () => {
  net = await openNetwork({ domains: threeDomains(), undoSendSeconds: 3600 })
  network = net.network
  contract = await loadContract()
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false })
  addFormats(ajv)
  ajv.addSchema({ ...contract.doc, $id: 'https://federizer.invalid/fed.json' })
  validateRequest = (schema, body) => {
    const validate = ajv.getSchema(`https://federizer.invalid/fed.json#/components/schemas/${schema}`)
    if (!validate) throw new Error(`no schema ${schema}`)
    if (!validate(body)) throw new Error(`${schema}: ${ajv.errorsText(validate.errors)}`)
  }
}, 60_000)
afterAll(async () => {
  await net?.close()
})

const url = (domain: string, path: string) => `${network.node(domain).gatewayUrl}${path}`
const now = () => Math.floor(Date.now() / 1000)

async function post(
  domain: string,
  path: string,
  body: unknown,
  token: string,
  key: RowKey,
  contentType = 'application/json',
) {
  const target = url(domain, path)
  const proof = await createDpopProof({ key, htm: 'POST', htu: target, accessToken: token, now: now() })
  return fetch(target, {
    method: 'POST',
    headers: { authorization: `DPoP ${token}`, dpop: proof, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

describe('the federation endpoints match openapi/federizer.yaml', () => {
  it('GET /.well-known/federizer, /healthz, /readyz, /openapi.yaml, /docs', async () => {
    const doc = (await contract.expectResponse(await fetch(url('example.net', '/.well-known/federizer')), {
      path: '/.well-known/federizer',
      method: 'get',
    })) as { resource_url: string; mta_client_id: string }
    expect(doc.resource_url).toBe(network.node('example.net').gatewayUrl)
    expect(doc.mta_client_id).toBe('mta.example.net')
    await contract.expectResponse(await fetch(url('example.net', '/healthz')), {
      path: '/healthz',
      method: 'get',
    })
    await contract.expectResponse(await fetch(url('example.net', '/readyz')), {
      path: '/readyz',
      method: 'get',
    })
    const yaml = await contract.expectResponse(await fetch(url('example.net', '/openapi.yaml')), {
      path: '/openapi.yaml',
      method: 'get',
    })
    expect(String(yaml)).toContain('/federizer/deliveries:')
    const page = await fetch(url('example.net', '/docs'))
    const html = String(await contract.expectResponse(page, { path: '/docs', method: 'get' }))
    expect(html).toContain('/federizer/fetch')
    expect(html).not.toMatch(/<script|<link|src="http/i)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
  })

  it('POST /federizer/deliveries: 202, repeat 200, and every documented refusal', {
    timeout: 30_000,
  }, async () => {
    const { placeholder, key } = await heldDelivery(network)
    const token = lastAssertion(placeholder)!
    const body = { placeholder, recipients: ['bob@example.net'] }
    validateRequest('DeliveryRequest', body)
    const op = { path: '/federizer/deliveries', method: 'post' }
    expect(
      (
        (await contract.expectResponse(await post('example.net', op.path, body, token, key), op)) as {
          results: unknown[]
        }
      ).results,
    ).toHaveLength(1)
    const repeat = await post('example.net', op.path, body, token, key)
    expect(repeat.status).toBe(200)
    await contract.expectResponse(repeat, op)
    const checks: Array<[number, Response]> = [
      [400, await post('example.net', op.path, '{"placeholder":', token, key)],
      [401, await post('example.net', op.path, body, token, await createDpopKey())],
      [413, await post('example.net', op.path, 'x'.repeat(1024 * 1024), token, key)],
      [415, await post('example.net', op.path, 'x', token, key, 'text/plain')],
      [
        422,
        await post('example.net', op.path, { placeholder, recipients: ['nobody@example.net'] }, token, key),
      ],
    ]
    for (const [status, res] of checks) {
      expect(res.status).toBe(status)
      const problem = (await contract.expectResponse(res, op)) as { error: string; error_description: string }
      expect(problem.error_description.length).toBeGreaterThan(10)
    }
  })

  it('POST /federizer/fetch: 200 bytes, 403, 404 and 401', { timeout: 30_000 }, async () => {
    const { placeholder, key } = await heldDelivery(network)
    const delivered = await post(
      'example.net',
      '/federizer/deliveries',
      { placeholder, recipients: ['bob@example.net'] },
      lastAssertion(placeholder)!,
      key,
    )
    expect(delivered.status).toBe(202)
    const ctx = network.node('example.net').gateway!.ctx
    const row = await db(network, 'example.net')
      .selectFrom('messages')
      .select('placeholder')
      .where('account', '=', 'bob@example.net')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow()
    const copy = JSON.parse(row.placeholder) as PlaceholderMessage
    const messageId =
      copy.envelope.at(-1) && 'headers' in copy.envelope.at(-1)!
        ? (copy.envelope.at(-1) as { headers: [string, string][] }).headers.find(
            ([n]) => n === 'Message-ID',
          )![1]
        : ''
    const dpop = await createDpopKey()
    const { token } = await exchangeToken({
      tokenEndpoint: ctx.federation.urls.tokenEndpoint,
      issuer: ctx.config.gatewayUrl,
      clientId: ctx.config.mtaClientId,
      clientKey: ctx.federation.keys.mtaClientKey,
      dpopKey: dpop,
      subjectToken: lastAssertion(copy)!,
      subjectTokenType: 'jwt',
      requestedTokenType: 'access_token',
      audience: network.node('example.com').gatewayUrl,
      messageId,
      fetch,
      now: now(),
    })
    const op = { path: '/federizer/fetch', method: 'post' }
    const contentId = listResources(copy)[0]!.contentId
    const request = { envelope: copy.envelope, content_id: contentId }
    validateRequest('FetchRequest', request)
    const ok = await post('example.com', op.path, request, token, dpop)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('repr-digest')).toMatch(/^sha-256=:/)
    await contract.expectResponse(ok, op)
    const denied = await post('example.com', op.path, { ...request, content_id: 'A'.repeat(43) }, token, dpop)
    expect(denied.status).toBe(403)
    await contract.expectResponse(denied, op)
    const unauthorized = await post('example.com', op.path, request, token, await createDpopKey())
    expect(unauthorized.status).toBe(401)
    await contract.expectResponse(unauthorized, op)
    // A message this domain never sent.
    const other = await post('example.org', op.path, request, token, dpop)
    expect([401, 404]).toContain(other.status)
    await contract.expectResponse(other, op)
  })
})
