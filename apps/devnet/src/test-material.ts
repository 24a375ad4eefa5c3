import type { DomainConfig } from '@federizer/node'
import { randomJti, signAccessToken } from '@federizer/protocol'
import { loadOrCreateDomainKeys } from '@federizer/store'

/**
 * A webmail access token (RFC 9068) for `email`, signed with the AS key of the domain's data folder, as the
 * AS itself would: for tests whose gateway runs in another process (or several replicas).
 */
export async function accessTokenFromKeyFolder(config: DomainConfig, email: string): Promise<string> {
  const keys = await loadOrCreateDomainKeys(config)
  const account = email.toLowerCase()
  const iat = Math.floor(Date.now() / 1000)
  return signAccessToken(
    {
      iss: config.gatewayUrl,
      sub: account,
      email: account,
      aud: config.apiUrl,
      client_id: config.webClientId,
      scope: 'mail',
      iat,
      exp: iat + 600,
      jti: randomJti(),
    },
    keys.activeSigningKey(iat),
  )
}

/** Deterministic pseudo-random bytes (xorshift32): an attachment whose every byte a test checks at the end. */
export function testBytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}
