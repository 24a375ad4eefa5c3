import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startApi } from './harness.ts'

let h: Harness
let dist: string

beforeAll(async () => {
  dist = await mkdtemp(path.join(tmpdir(), 'fz-web-'))
  await mkdir(path.join(dist, 'assets'))
  await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>Federizer</title>')
  await writeFile(path.join(dist, 'assets', 'app.js'), 'console.log(1)')
  await writeFile(
    path.join(dist, 'assets', 'big-1a2b3c.js'),
    `export const words = ${JSON.stringify('mail '.repeat(5000))}`,
  )
  await writeFile(path.join(dist, 'icon-192.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]))
  h = await startApi({ api: { webDist: dist } })
})
afterAll(async () => {
  await h?.close()
  await rm(dist, { recursive: true, force: true })
})

describe('webmail files', () => {
  it('serves built files, and the app shell for client-side routes (SPA fallback)', async () => {
    const js = await fetch(`${h.baseUrl}/assets/app.js`)
    expect(js.status).toBe(200)
    expect(await js.text()).toBe('console.log(1)')
    for (const route of ['/', '/callback?code=x&state=y', '/mailbox/inbox']) {
      const res = await fetch(`${h.baseUrl}${route}`)
      expect(res.status).toBe(200)
      expect(await res.text()).toContain('<title>Federizer</title>')
    }
  })

  it('does not shadow the api: /config.json is JSON and unknown tRPC paths are tRPC errors', async () => {
    expect((await fetch(`${h.baseUrl}/config.json`)).headers.get('content-type')).toMatch(/json/)
    const res = await fetch(`${h.baseUrl}/trpc/nope.nothing`)
    expect(res.status).toBe(404)
    expect(await res.text()).not.toContain('<title>')
  })
})

describe('delivery of the webmail itself (issue 16)', () => {
  it('serves the page with a strict CSP (no inline script) and frame-ancestors none, on every route', async () => {
    for (const route of ['/', '/mailbox/inbox', '/assets/app.js']) {
      const res = await fetch(`${h.baseUrl}${route}`)
      const csp = res.headers.get('content-security-policy') ?? ''
      const directives = csp.split(';').map((d) => d.trim())
      expect(directives).toContain("script-src 'self'")
      expect(directives.filter((d) => d.startsWith('script-src'))).toHaveLength(1)
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("object-src 'none'")
      expect(res.headers.get('x-frame-options')).toBe('DENY')
    }
  })

  it('caches hashed assets for a year (immutable) and revalidates the page', async () => {
    const asset = await fetch(`${h.baseUrl}/assets/big-1a2b3c.js`)
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    const plain = await fetch(`${h.baseUrl}/assets/app.js`, { headers: { 'accept-encoding': 'identity' } })
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    for (const route of ['/', '/index.html', '/mailbox/inbox', '/icon-192.png']) {
      expect((await fetch(`${h.baseUrl}${route}`)).headers.get('cache-control')).toBe('no-cache')
    }
    expect((await fetch(`${h.baseUrl}/assets/gone-123.js`)).status).toBe(404)
  })

  it('sends text files brotli or gzip compressed when accepted, byte-identical once decoded', async () => {
    const original = await readFile(path.join(dist, 'assets', 'big-1a2b3c.js'))
    for (const [accept, encoding, decode] of [
      ['br, gzip', 'br', brotliDecompressSync],
      ['gzip', 'gzip', gunzipSync],
    ] as const) {
      const res = await request(`${h.baseUrl}/assets/big-1a2b3c.js`, accept)
      expect(res.headers['content-encoding']).toBe(encoding)
      expect(res.headers.vary).toMatch(/accept-encoding/i)
      expect(res.headers['content-type']).toMatch(/javascript/)
      expect(res.body.length).toBeLessThan(original.length / 10)
      expect(decode(res.body).equals(original)).toBe(true)
      const again = await request(`${h.baseUrl}/assets/big-1a2b3c.js`, accept, res.headers.etag as string)
      expect(again.status).toBe(304)
    }
    const shell = await request(`${h.baseUrl}/mailbox/inbox`, 'br')
    expect(shell.headers['content-encoding']).toBe('br')
    expect(brotliDecompressSync(shell.body).toString()).toContain('<title>Federizer</title>')
    const identity = await request(`${h.baseUrl}/assets/big-1a2b3c.js`, 'identity')
    expect(identity.headers['content-encoding']).toBeUndefined()
    expect(identity.body.equals(original)).toBe(true)
  })
})

/** A raw GET (fetch would decode the body and hide Content-Encoding). */
function request(url: string, acceptEncoding: string, etag?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      const headers: Record<string, string> = { 'accept-encoding': acceptEncoding }
      if (etag) headers['if-none-match'] = etag
      http
        .get(url, { headers }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          )
        })
        .on('error', reject)
    },
  )
}
