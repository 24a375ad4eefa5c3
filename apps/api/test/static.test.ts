import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startApi } from './harness.ts'

let h: Harness
let dist: string

beforeAll(async () => {
  dist = await mkdtemp(path.join(tmpdir(), 'fz-web-'))
  await mkdir(path.join(dist, 'assets'))
  await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>Federizer</title>')
  await writeFile(path.join(dist, 'assets', 'app.js'), 'console.log(1)')
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
