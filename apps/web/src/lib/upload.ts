// Attachment upload: XMLHttpRequest (not fetch) because it reports upload progress and aborts cleanly.
import { formatSize } from './format.ts'

// The api takes the raw bytes at POST /resources and answers with their Content-ID (SHA-256 digest).

export interface UploadResult {
  contentId: string
  size: number
}

export type UploadErrorCode =
  | 'aborted'
  | 'network'
  | 'too_large'
  | 'unauthorized'
  | 'rejected'
  | 'bad_response'

export class UploadError extends Error {
  constructor(
    readonly code: UploadErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'UploadError'
  }
}

export interface UploadOptions {
  url: string
  accessToken: string
  body: Blob
  filename: string
  contentType: string
  onProgress?: (loaded: number, total: number) => void
  signal?: AbortSignal
  /** Injected for tests running under jsdom; the browser's by default. */
  xhrFactory?: () => XMLHttpRequest
}

/** Reads `{ error, message }` style bodies into one human sentence. */
function describe(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error_description?: unknown; error?: unknown }
    const text = parsed.message ?? parsed.error_description ?? parsed.error
    if (typeof text === 'string' && text) return text
  } catch {
    // not JSON
  }
  return `HTTP ${status}`
}

/**
 * "This file is 1.1 GB; the largest file you can attach is 1 GB." — sizes a person reads, the limit
 * taken from the server's answer when it names one in bytes.
 */
export function tooLargeMessage(size: number, body: string): string {
  const limit = /limit is (\d+) bytes/.exec(describe(413, body))?.[1]
  const max = limit ? `; the largest file you can attach is ${formatSize(Number(limit))}` : ''
  return `This file is ${formatSize(size)}${max}.`
}

/** Uploads one file; resolves with its Content-ID, rejects with a typed UploadError. */
export function uploadResource(options: UploadOptions): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = options.xhrFactory ? options.xhrFactory() : new XMLHttpRequest()
    const fail = (code: UploadErrorCode, message: string, status?: number) =>
      reject(new UploadError(code, message, status))
    if (options.signal?.aborted) {
      fail('aborted', 'Upload cancelled')
      return
    }
    const handleAbort = () => xhr.abort()
    options.signal?.addEventListener('abort', handleAbort, { once: true })
    xhr.open('POST', options.url)
    xhr.setRequestHeader('Authorization', `Bearer ${options.accessToken}`)
    xhr.setRequestHeader('Content-Type', options.contentType || 'application/octet-stream')
    // Header values must be ISO-8859-1: percent-encode the name (the api decodes it).
    xhr.setRequestHeader('X-Filename', encodeURIComponent(options.filename))
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) options.onProgress?.(event.loaded, event.total)
    }
    xhr.onabort = () => fail('aborted', 'Upload cancelled')
    xhr.onerror = () => fail('network', 'The upload was interrupted: check your connection and try again.')
    xhr.onload = () => {
      options.signal?.removeEventListener('abort', handleAbort)
      const status = xhr.status
      if (status === 401 || status === 403)
        return fail('unauthorized', 'Your session expired: sign in again.', status)
      if (status === 413)
        return fail('too_large', tooLargeMessage(options.body.size, xhr.responseText), status)
      if (status < 200 || status >= 300) return fail('rejected', describe(status, xhr.responseText), status)
      try {
        const body = JSON.parse(xhr.responseText) as Partial<UploadResult>
        if (typeof body.contentId !== 'string' || typeof body.size !== 'number') throw new Error('shape')
        options.onProgress?.(body.size, body.size)
        resolve({ contentId: body.contentId, size: body.size })
      } catch {
        fail('bad_response', 'The server answered the upload with an unexpected response.', status)
      }
    }
    xhr.send(options.body)
  })
}
