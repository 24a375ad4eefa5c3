// @vitest-environment jsdom
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tooLargeMessage, UploadError, uploadResource } from './upload.ts'

// A real HTTP server on loopback standing in for the api's POST /resources contract.
let server: Server
let base = ''
const received: Array<{ filename?: string; type?: string; auth?: string; bytes: number }> = []

function handle(req: IncomingMessage, res: ServerResponse) {
  res.setHeader('Access-Control-Allow-Origin', '*')
  res.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, x-filename')
  if (req.method === 'OPTIONS') return res.end()
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    if (req.url === '/slow') return // never answers: only abort ends it
    if (req.headers.authorization !== 'Bearer good') {
      res.statusCode = 401
      return res.end(JSON.stringify({ error: 'invalid_token' }))
    }
    if (body.length > 1000) {
      res.statusCode = 413
      return res.end(JSON.stringify({ message: 'limit is 1000 bytes' }))
    }
    if (req.url === '/garbage') return res.end('<html>')
    received.push({
      filename: req.headers['x-filename'] as string,
      type: req.headers['content-type'],
      auth: req.headers.authorization,
      bytes: body.length,
    })
    res.setHeader('content-type', 'application/json')
    res.end(
      JSON.stringify({ contentId: createHash('sha256').update(body).digest('base64url'), size: body.length }),
    )
  })
}

beforeAll(async () => {
  server = createServer(handle)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
})

const file = (text: string) => new Blob([text], { type: 'text/plain' })

describe('attachment upload over XHR', () => {
  it('sends raw bytes with filename and type and returns the Content-ID', async () => {
    const progress: number[] = []
    const result = await uploadResource({
      url: `${base}/resources`,
      accessToken: 'good',
      body: file('hello'),
      filename: 'Zürich notes.txt',
      contentType: 'text/plain',
      onProgress: (loaded) => progress.push(loaded),
    })
    expect(result).toEqual({ contentId: createHash('sha256').update('hello').digest('base64url'), size: 5 })
    expect(received.at(-1)).toMatchObject({
      filename: encodeURIComponent('Zürich notes.txt'),
      type: 'text/plain',
      bytes: 5,
    })
    expect(progress.at(-1)).toBe(5)
  })

  it.each([
    ['unauthorized', 'bad', '/resources', 'x', 401],
    ['too_large', 'good', '/resources', 'x'.repeat(2000), 413],
    ['bad_response', 'good', '/garbage', 'x', 200],
  ] as const)('maps failures to a typed error: %s', async (code, token, path, text, status) => {
    const error = await uploadResource({
      url: `${base}${path}`,
      accessToken: token,
      body: file(text),
      filename: 'f',
      contentType: 'text/plain',
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UploadError)
    expect((error as UploadError).code).toBe(code)
    expect((error as UploadError).status).toBe(status)
  })

  it('cancels on abort', async () => {
    const controller = new AbortController()
    const pending = uploadResource({
      url: `${base}/slow`,
      accessToken: 'good',
      body: file('x'),
      filename: 'f',
      contentType: 'text/plain',
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(), 20)
    const error = await pending.catch((e: unknown) => e)
    expect((error as UploadError).code).toBe('aborted')
  })

  it('reports a network failure when nothing listens', async () => {
    const error = await uploadResource({
      url: 'http://127.0.0.1:9/resources',
      accessToken: 'good',
      body: file('x'),
      filename: 'f',
      contentType: 'text/plain',
    }).catch((e: unknown) => e)
    expect((error as UploadError).code).toBe('network')
  })
})

describe('sizes a person reads (issue 16 bug 11)', () => {
  it('says how big the file is and what the limit is, not byte counts', () => {
    const body = JSON.stringify({
      error: 'too_large',
      message: 'the file is 1153433600 bytes; the limit is 1073741824 bytes',
    })
    expect(tooLargeMessage(1153433600, body)).toBe(
      'This file is 1.1 GB; the largest file you can attach is 1.0 GB.',
    )
    expect(tooLargeMessage(2048, '<html>')).toBe('This file is 2.0 KB.')
  })
})
