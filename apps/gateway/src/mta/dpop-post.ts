import { createDpopProof } from '@federizer/protocol'
import type { JWK } from 'jose'

export interface DpopPostInput {
  fetch: typeof fetch
  url: string
  /** The DPoP-bound token presented as `Authorization: DPoP <token>`. */
  token: string
  key: { privateJwk: JWK; publicJwk: JWK }
  body: string
  contentType?: string
  accept?: string
  now: () => number
  signal?: AbortSignal
}

/**
 * POSTs with `Authorization: DPoP <token>` and a fresh proof bound to the token (`ath`); when the
 * server answers `use_dpop_nonce` with a `DPoP-Nonce`, retries once with that nonce.
 * Redirects are not followed: a delivery or fetch endpoint is already the final URL from discovery.
 * @see RFC 9449 §7.1, §8
 */
export async function dpopPost(input: DpopPostInput): Promise<Response> {
  const send = async (nonce?: string) => {
    const proof = await createDpopProof({
      key: input.key,
      htm: 'POST',
      htu: input.url,
      accessToken: input.token,
      now: input.now(),
      ...(nonce ? { nonce } : {}),
    })
    return input.fetch(input.url, {
      method: 'POST',
      redirect: 'manual',
      signal: input.signal,
      headers: {
        authorization: `DPoP ${input.token}`,
        dpop: proof,
        'content-type': input.contentType ?? 'application/json',
        accept: input.accept ?? 'application/json',
      },
      body: input.body,
    })
  }
  const first = await send()
  const nonce = first.headers.get('dpop-nonce')
  if (first.status === 401 && nonce) {
    await first.body?.cancel()
    return send(nonce)
  }
  return first
}

/** Reads a problem body `{ error, error_description }` (or any text) from a failed response, bounded. */
export async function readProblem(res: Response): Promise<{ error: string; description: string }> {
  const text = (await res.text().catch(() => '')).slice(0, 4096)
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown }
    if (typeof body.error === 'string') {
      return {
        error: body.error,
        description: typeof body.error_description === 'string' ? body.error_description : body.error,
      }
    }
  } catch {
    // not JSON: fall through
  }
  return {
    error: `http_${res.status}`,
    description: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
  }
}

/** Whether an HTTP failure is worth retrying (server errors, 408, 429) rather than final. */
export const isTransientStatus = (status: number) => status >= 500 || status === 408 || status === 429
