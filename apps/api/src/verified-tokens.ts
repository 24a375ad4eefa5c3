import { type KeyResolver, verifyAccessToken, WindowedKey } from '@federizer/protocol'

type Verified = Awaited<ReturnType<typeof verifyAccessToken>>
type ResolvedKey = Awaited<ReturnType<KeyResolver>>

interface Entry {
  verified: Verified
  /** The key that verified the signature, and its signing window then. */
  key: unknown
  window: string
}

/** Tokens kept verified at most (a webmail session presents one access token for ~15 minutes). */
const MAX_ENTRIES = 5000

function keyOf(resolved: ResolvedKey): { key: unknown; window: string } {
  return resolved instanceof WindowedKey
    ? { key: resolved.key, window: `${resolved.signsFrom}-${resolved.signsUntil ?? ''}` }
    : { key: resolved, window: '' }
}

/**
 * The webmail's access tokens the api has verified (signature, typ, iss, aud, iat, claims): the same
 * token on the next request skips the ECDSA verify, ~0.1 ms of the ~0.5 ms a small authenticated call
 * costs (docs/benchmarks.md). A kept token is taken as verified only while it has not expired and its key
 * still resolves to the same key with the same signing window, asked of the resolver on every use — so a
 * key taken out of the JWKS, or retired back to before the token, stops it at once, as a full verify
 * would. Everything that depends on the database (revocation, the account) is checked per request by the
 * caller. Bounded: the oldest kept token goes first.
 * @see RFC 9068 §4, RFC 8725 §3.1
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly resolveKey: KeyResolver) {}

  async verify(token: string, options: { now: number; issuer: string; audience: string }): Promise<Verified> {
    const kept = this.entries.get(token)
    if (kept) {
      if (options.now < kept.verified.claims.exp && (await this.stillSameKey(kept))) return kept.verified
      this.entries.delete(token)
    }
    let used: { key: unknown; window: string } | undefined
    const verified = await verifyAccessToken(token, {
      ...options,
      resolveKey: async (header) => {
        const resolved = await this.resolveKey(header)
        used = keyOf(resolved)
        return resolved
      },
    })
    if (used) {
      this.entries.set(token, { verified, ...used })
      if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string)
    }
    return verified
  }

  private async stillSameKey(entry: Entry): Promise<boolean> {
    try {
      const now = keyOf(await this.resolveKey(entry.verified.header))
      return now.key === entry.key && now.window === entry.window
    } catch {
      return false
    }
  }
}
