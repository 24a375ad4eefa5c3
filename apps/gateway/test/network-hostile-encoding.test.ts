import type { Network } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openNetwork, PASSWORD } from './federation-helpers.ts'

/**
 * Issue 12, hostile input: a body with an unknown Content-Encoding, or a form / JSON in a charset other
 * than UTF-8, answered 500 at the token endpoint, /revoke and the sign-in form. Every route now answers
 * 415 with a sentence naming what to send instead. Real gateway on loopback.
 */
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
let base: string

beforeAll(async () => {
  net = await openNetwork({
    domains: [{ domain: 'example.com', users: [{ email: 'alice@example.com', password: PASSWORD }] }],
  })
  network = net.network
  base = network.node('example.com').gatewayUrl
}, 60_000)
afterAll(async () => {
  await net?.close()
})

const FORM_ROUTES = ['/token', '/revoke', '/authorize']
const JSON_ROUTES = ['/federizer/deliveries', '/federizer/fetch']

async function post(path: string, headers: Record<string, string>, body: string | Uint8Array) {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body })
  const text = await res.text()
  return { status: res.status, text }
}

describe('request encodings', () => {
  it.each(FORM_ROUTES)('%s: an unknown Content-Encoding is 415 with a clear message', async (path) => {
    const r = await post(
      path,
      { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'x-hostile' },
      'grant_type=refresh_token',
    )
    expect(r.status).toBe(415)
    expect(r.text).toContain('Content-Encoding')
  })

  it.each(FORM_ROUTES)('%s: a form in ISO-8859-1 is 415 naming UTF-8', async (path) => {
    const r = await post(
      path,
      { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
      Buffer.from('grant_type=refresh_token&x=\xe9', 'latin1'),
    )
    expect(r.status).toBe(415)
    expect(r.text).toContain('UTF-8')
  })

  it.each(JSON_ROUTES)('%s: a gzip body is 415 (send it uncompressed)', async (path) => {
    const r = await post(path, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, '{}')
    expect(r.status).toBe(415)
    const body = JSON.parse(r.text)
    expect(body.error).toBe('unsupported_media_type')
    expect(body.error_description).toContain('Content-Encoding "gzip" is not accepted')
  })

  it.each(JSON_ROUTES)('%s: JSON declared in another charset is 415', async (path) => {
    const r = await post(path, { 'content-type': 'application/json; charset=utf-16' }, '{}')
    expect(r.status).toBe(415)
    expect(r.text).toContain('UTF-8')
  })
})
