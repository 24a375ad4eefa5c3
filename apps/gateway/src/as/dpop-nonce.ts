import { createHmac, randomBytes } from 'node:crypto'

/**
 * Server-provided DPoP nonces (RFC 9449 §8): an HMAC of the current time slice, so nothing is stored;
 * the current and the previous slice are accepted. The secret is per process: replicas behind one name
 * each answer `use_dpop_nonce` once for a proof carrying another replica's nonce, and the client's retry
 * succeeds (the exchange client retries once).
 */
export class DpopNonces {
  /** When false (the default) proofs without a nonce are accepted and no nonce is sent. */
  required: boolean
  private readonly secret = randomBytes(32)
  constructor(
    required = false,
    private readonly sliceSeconds = 300,
  ) {
    this.required = required
  }

  private forSlice(slice: number): string {
    return createHmac('sha256', this.secret).update(String(slice)).digest('base64url').slice(0, 32)
  }

  /** The nonce to hand out now (in the `DPoP-Nonce` header). */
  current(now: number): string {
    return this.forSlice(Math.floor(now / this.sliceSeconds))
  }

  /** Whether `nonce` is this slice's or the previous slice's. */
  accepts(nonce: string | undefined, now: number): boolean {
    if (nonce === undefined) return false
    const slice = Math.floor(now / this.sliceSeconds)
    return nonce === this.forSlice(slice) || nonce === this.forSlice(slice - 1)
  }
}
