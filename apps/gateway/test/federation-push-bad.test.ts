import { createHash } from 'node:crypto'
import type { Network } from '@federizer/devnet'
import { listResources } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { heldDelivery, NOTHING, postDelivery, storedFor } from './federation-bad-input-helpers.ts'
import { openNetwork, threeDomains } from './federation-helpers.ts'

// Pushed resources that are not what the signed body names are refused with a 4xx that says which and
// why, and nothing is stored (docs/protocol.md §6, "Pushed resources"). example.org takes no pushes.
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network
beforeAll(async () => {
  // Sent mail stays held for an hour, so each test decides what reaches the receiver.
  net = await openNetwork({
    domains: threeDomains({ 'example.org': { gatewayOptions: { pushMaxBytes: 0 } } }),
    undoSendSeconds: 3600,
  })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url')

async function push(
  domain: string,
  recipient: string,
  resources: (contentId: string, size: number) => unknown,
) {
  const held = await heldDelivery(network, [recipient])
  const text = listResources(held.placeholder)[0]!
  const body = JSON.stringify({
    placeholder: held.placeholder,
    recipients: [recipient],
    resources: resources(text.contentId, text.size),
  })
  const res = await postDelivery(network, domain, { placeholder: held.placeholder, key: held.key, body })
  return { res, stored: await storedFor(network, domain, held.sent.messageIdHeader) }
}

describe('pushed resources that do not match', () => {
  it('bytes whose SHA-256 is not the Content-ID → 422 resource_mismatch, nothing stored', async () => {
    const { res, stored } = await push('example.net', 'bob@example.net', (contentId, size) => [
      { content_id: contentId, data: b64('x'.repeat(size)) },
    ])
    expect(res.status).toBe(422)
    expect(res.body.error).toBe('resource_mismatch')
    expect(res.body.error_description).toMatch(/SHA-256 of pushed resource .* is not its Content-ID/)
    expect(stored).toEqual(NOTHING)
  })

  it('a resource the signed body does not reference → 422, nothing stored', async () => {
    const bytes = Buffer.from('not in this message')
    const contentId = createHash('sha256').update(bytes).digest('base64url')
    const { res, stored } = await push('example.net', 'bob@example.net', () => [
      { content_id: contentId, data: b64(bytes) },
    ])
    expect(res.status).toBe(422)
    expect(res.body.error_description).toMatch(/not referenced by the signed body/)
    expect(stored).toEqual(NOTHING)
  })

  it('a size other than the body declares → 422, nothing stored', async () => {
    const short = await push('example.net', 'bob@example.net', (contentId) => [
      { content_id: contentId, data: b64('abc') },
    ])
    expect(short.res.status).toBe(422)
    expect(short.res.body.error_description).toMatch(/has 3 bytes; the signed body says/)
    expect(short.stored).toEqual(NOTHING)
  })

  it('more than push_max_bytes → 413, malformed entries → 400; nothing stored', async () => {
    const big = await push('example.net', 'bob@example.net', (contentId) => [
      { content_id: contentId, data: b64(Buffer.alloc(70_000)) },
    ])
    expect(big.res.status).toBe(413)
    expect(big.stored).toEqual(NOTHING)
    const bad = await push('example.net', 'bob@example.net', (contentId) => [
      { content_id: contentId, data: '!!' },
    ])
    expect(bad.res.status).toBe(400)
    expect(bad.res.body.error_description).toMatch(/base64url/)
    expect(bad.stored).toEqual(NOTHING)
  })

  it('a node that takes no pushes refuses them with 400 and says so', async () => {
    const { res, stored } = await push('example.org', 'bobby@example.org', () => [])
    expect(res.status).toBe(400)
    expect(res.body.error_description).toMatch(/takes no pushed resources/)
    expect(stored).toEqual(NOTHING)
  })
})
