import { createHmac } from 'node:crypto'
import { type Db, sharedSecret } from '@federizer/store'

/**
 * Server-provided DPoP nonces (RFC 9449 §8): an HMAC of the current time slice under a key kept in the
 * store (`node_secrets`, made once by whichever replica asks first), so nothing per nonce is stored and
 * every replica of the domain accepts a nonce any other handed out. The current and the previous slice
 * are accepted.
 */
export class DpopNonces {
  /** When false (the default) proofs without a nonce are accepted and no nonce is sent. */
  required: boolean
  private secret: Promise<Buffer> | undefined
  constructor(
    private readonly db: Db,
    required = false,
    private readonly sliceSeconds = 300,
  ) {
    this.required = required
  }

  private async forSlice(slice: number, now: number): Promise<string> {
    if (!this.secret) {
      // A failed read (database unavailable) is not remembered: the next request tries again.
      this.secret = sharedSecret(this.db, 'dpop-nonce', now)
      this.secret.catch(() => {
        this.secret = undefined
      })
    }
    return createHmac('sha256', await this.secret)
      .update(String(slice))
      .digest('base64url')
      .slice(0, 32)
  }

  /** The nonce to hand out now (in the `DPoP-Nonce` header). */
  current(now: number): Promise<string> {
    return this.forSlice(Math.floor(now / this.sliceSeconds), now)
  }

  /** Whether `nonce` is this slice's or the previous slice's. */
  async accepts(nonce: string | undefined, now: number): Promise<boolean> {
    if (nonce === undefined) return false
    const slice = Math.floor(now / this.sliceSeconds)
    return nonce === (await this.forSlice(slice, now)) || nonce === (await this.forSlice(slice - 1, now))
  }
}
