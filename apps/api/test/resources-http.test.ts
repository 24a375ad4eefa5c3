import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorCode, type Harness, startApi, upload } from './harness.ts'

let h: Harness
const alice = 'alice@example.com'
const bob = 'bob@example.com'
const cid = (s: string | Buffer) => createHash('sha256').update(s).digest('base64url')

beforeAll(async () => {
  h = await startApi()
})
afterAll(async () => h?.close())

async function resourceFiles(): Promise<string[]> {
  try {
    return (await readdir(path.join(h.dataDir, 'resources'), { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => d.name)
  } catch {
    return []
  }
}

async function uploadRows(): Promise<number> {
  const r = await h.api.ctx.db
    .selectFrom('uploads')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst()
  return Number(r?.n ?? 0)
}

describe('POST /resources', () => {
  it('streams an upload into the store and returns its Content-ID', async () => {
    const t = await h.token(alice)
    const res = await upload(h, t, 'the report', { 'x-filename': encodeURIComponent('Q4 report.pdf') })
    expect(res.status).toBe(201)
    expect(await res.json()).toEqual({
      contentId: cid('the report'),
      size: 10,
      mediaType: 'application/pdf',
      filename: 'Q4 report.pdf',
    })
    expect(await resourceFiles()).toContain(cid('the report'))
  })

  it('401 without a token, 400 for a bad media type, 413 for a declared oversize body, nothing kept', async () => {
    const before = await resourceFiles()
    const rowsBefore = await uploadRows()
    const noAuth = await fetch(`${h.baseUrl}/resources`, { method: 'POST', body: 'x' })
    expect(noAuth.status).toBe(401)
    expect(noAuth.headers.get('www-authenticate')).toMatch(/^Bearer/)
    const t = await h.token(alice)
    const badType = await upload(h, t, 'x', { 'content-type': 'not a type' })
    expect(badType.status).toBe(400)
    const big = await upload(h, t, Buffer.alloc(h.config.limits.maxResourceBytes + 1))
    expect(big.status).toBe(413)
    expect(await big.json()).toMatchObject({ error: 'too_large' })
    expect(await resourceFiles()).toEqual(before)
    expect(await uploadRows()).toBe(rowsBefore)
  })

  it('413 while streaming a chunked body past the limit; nothing kept', async () => {
    const before = await resourceFiles()
    const t = await h.token(alice)
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${h.baseUrl}/resources`,
        { method: 'POST', headers: { authorization: `Bearer ${t}`, 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      const chunk = Buffer.alloc(256 * 1024, 1)
      let sent = 0
      const pump = () => {
        while (sent <= h.config.limits.maxResourceBytes) {
          sent += chunk.length
          if (!req.write(chunk)) return req.once('drain', pump)
        }
        req.end()
      }
      pump()
    })
    expect(status).toBe(413)
    expect(await resourceFiles()).toEqual(before)
  })

  it('an aborted upload leaves no file and no row', async () => {
    const before = await resourceFiles()
    const rowsBefore = await uploadRows()
    const t = await h.token(alice)
    const temps = async () =>
      (await readdir(path.join(h.dataDir, 'resources')).catch(() => [] as string[])).filter((f) =>
        f.startsWith('.tmp-'),
      )
    const req = request(`${h.baseUrl}/resources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-length': '100000' },
    })
    req.on('error', () => {})
    req.write(Buffer.alloc(50_000, 7))
    // The server is writing a temp file for it…
    let sawTemp = false
    for (let i = 0; i < 200 && !sawTemp; i++) {
      sawTemp = (await temps()).length > 0
      if (!sawTemp) await new Promise((r) => setTimeout(r, 10))
    }
    expect(sawTemp).toBe(true)
    // …then the client goes away mid-body.
    req.destroy()
    for (let i = 0; i < 200 && (await temps()).length > 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(await temps()).toEqual([])
    expect(await resourceFiles()).toEqual(before)
    expect(await uploadRows()).toBe(rowsBefore)
  })
})

describe('GET /resources/:contentId', () => {
  it('serves the owner with ETag, immutable caching, Range 206 and 416', async () => {
    const t = await h.token(alice)
    const body = '0123456789abcdef'
    const { contentId } = (await (await upload(h, t, body)).json()) as { contentId: string }
    const url = `${h.baseUrl}/resources/${contentId}`
    const full = await fetch(url, { headers: { authorization: `Bearer ${t}` } })
    expect(full.status).toBe(200)
    expect(full.headers.get('etag')).toBe(`"${contentId}"`)
    expect(full.headers.get('cache-control')).toBe('private, max-age=31536000, immutable')
    expect(full.headers.get('content-type')).toBe('application/pdf')
    expect(full.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await full.text()).toBe(body)
    const part = await fetch(url, { headers: { authorization: `Bearer ${t}`, range: 'bytes=2-5' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 2-5/16')
    expect(await part.text()).toBe('2345')
    const suffix = await fetch(url, { headers: { authorization: `Bearer ${t}`, range: 'bytes=-3' } })
    expect(await suffix.text()).toBe('def')
    const bad = await fetch(url, { headers: { authorization: `Bearer ${t}`, range: 'bytes=99-' } })
    expect(bad.status).toBe(416)
    expect(bad.headers.get('content-range')).toBe('bytes */16')
    const head = await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${t}` } })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('16')
    const cached = await fetch(url, {
      headers: { authorization: `Bearer ${t}`, 'if-none-match': `"${contentId}"` },
    })
    expect(cached.status).toBe(304)
  })

  it("404 for Bob on Alice's resource, for unknown and malformed ids alike; 401 without auth", async () => {
    const ta = await h.token(alice)
    const { contentId } = (await (await upload(h, ta, 'alice secret')).json()) as { contentId: string }
    const tb = await h.token(bob)
    const asBob = await fetch(`${h.baseUrl}/resources/${contentId}`, {
      headers: { authorization: `Bearer ${tb}` },
    })
    expect(asBob.status).toBe(404)
    const unknown = await fetch(`${h.baseUrl}/resources/${cid('nothing')}`, {
      headers: { authorization: `Bearer ${tb}` },
    })
    expect(unknown.status).toBe(404)
    expect(await asBob.json()).toEqual({
      error: 'not_found',
      message: `resource ${contentId} is not in your mailbox`,
    })
    const malformed = await fetch(`${h.baseUrl}/resources/..%2F..%2Fmail.sqlite`, {
      headers: { authorization: `Bearer ${ta}` },
    })
    expect(malformed.status).toBe(404)
    expect((await fetch(`${h.baseUrl}/resources/${contentId}`)).status).toBe(401)
    // Bob cannot obtain a ticket for it either.
    expect(await errorCode((await h.client(bob)).resource.downloadUrl.mutate({ contentId }))).toBe(
      'NOT_FOUND',
    )
  })

  it('a signed ticket URL downloads without a header, only for that resource and until it expires', async () => {
    const ta = await h.token(alice)
    const { contentId } = (await (await upload(h, ta, 'ticketed')).json()) as { contentId: string }
    const other = (await (await upload(h, ta, 'other')).json()) as { contentId: string }
    const a = await h.client(alice)
    const { url, expiresAt } = await a.resource.downloadUrl.mutate({
      contentId,
      filename: 'note.txt',
      mediaType: 'text/plain',
    })
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000)
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''note.txt")
    expect(res.headers.get('content-type')).toBe('text/plain')
    expect(await res.text()).toBe('ticketed')
    const ticket = new URL(url).searchParams.get('ticket')!
    const swapped = await fetch(
      `${h.baseUrl}/resources/${other.contentId}?ticket=${encodeURIComponent(ticket)}`,
    )
    expect(swapped.status).toBe(401)
    const tampered = await fetch(`${url.slice(0, -3)}AAA`)
    expect(tampered.status).toBe(401)
  })
})

describe('maintenance', () => {
  it('collects an abandoned upload after its grace period and keeps one a draft names', async () => {
    const { runMaintenance } = await import('../src/maintenance.ts')
    const t = await h.token(alice)
    const abandoned = (await (await upload(h, t, 'abandoned bytes')).json()) as { contentId: string }
    const used = (await (await upload(h, t, 'attached bytes')).json()) as { contentId: string; size: number }
    const a = await h.client(alice)
    await a.draft.save.mutate({ attachments: [{ ...used, mediaType: 'application/pdf', filename: 'a.pdf' }] })
    const realNow = h.api.ctx.now
    const files = await import('node:fs/promises')
    // Age the files past the grace period, then run a pass two days later.
    const old = new Date(Date.now() - 3 * 24 * 3600 * 1000)
    for (const id of [abandoned.contentId, used.contentId])
      await files.utimes(h.api.ctx.resources.path(id), old, old)
    h.api.ctx.now = () => realNow() + 2 * 24 * 3600
    try {
      await runMaintenance(h.api.ctx)
    } finally {
      h.api.ctx.now = realNow
    }
    expect(await h.api.ctx.resources.has(abandoned.contentId)).toBe(false)
    expect(await h.api.ctx.resources.has(used.contentId)).toBe(true)
    const res = await fetch(`${h.baseUrl}/resources/${abandoned.contentId}`, {
      headers: { authorization: `Bearer ${t}` },
    })
    expect(res.status).toBe(404)
  })
})
