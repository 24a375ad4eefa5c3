/**
 * Issue 12, low item: error descriptions never hand internal discovery details to unauthenticated peers.
 * A hop that failed in discovery or a lookup (a target refused as private, a peer document over its cap,
 * an unexpected error naming a host) is described by its code only; failures of the presented bytes keep
 * their reason (the peer must be able to act on them).
 */
import { ProtocolError } from '@federizer/protocol'
import { describe, expect, it } from 'vitest'
import { chainFailure } from '../../src/federation/chain.ts'
import { fromProtocolError } from '../../src/federation/errors.ts'

const failing = (code: string, reason: string) =>
  chainFailure({
    ok: false,
    hops: [{ index: 0, kind: 'origin', status: 'fail', code, reason }],
  })

describe('no internal discovery details in error descriptions', () => {
  it('summarises discovery failures of a hop by their code', () => {
    for (const [code, reason] of [
      ['private_address', 'refusing discovery target jwks.attacker.example: 10.0.0.7 is private'],
      ['too_large', 'https://10.0.0.7:8080/jwks is larger than 65536 bytes'],
      ['hop_rejected', 'connect ECONNREFUSED 192.168.1.20:443'],
    ] as const) {
      const e = failing(code, reason)
      expect(e.message).not.toMatch(/10\.0\.0\.7|192\.168|jwks\.attacker|ECONNREFUSED|https?:/)
      expect(e.message).toContain(`(${code})`)
      expect(e.status).toBe(400)
      expect((e as Error & { cause?: unknown }).cause).toBe(reason) // kept for the log
    }
  })
  it('keeps the reason of a failure of the presented bytes', () => {
    expect(failing('eht_mismatch', 'the eht does not match the block').message).toMatch(/eht does not match/)
    expect(failing('expired', 'the token has expired').message).toMatch(/has expired/)
  })
  it('maps a refused private target or an oversized peer document to a generic invalid_token', () => {
    const priv = fromProtocolError(
      new ProtocolError('private_address', 'refusing discovery target x.example: 10.1.2.3 is private'),
      'the mailbox of x.example',
    )
    expect(priv.status).toBe(401)
    expect(priv.message).not.toMatch(/10\.1\.2\.3/)
    const big = fromProtocolError(
      new ProtocolError('too_large', 'https://10.1.2.3/.well-known/federizer is larger than 65536 bytes'),
      'the mailbox of x.example',
    )
    expect(big.code).toBe('invalid_token')
    expect(big.message).not.toMatch(/10\.1\.2\.3/)
    // A body over the limit is still 413.
    expect(
      fromProtocolError(new ProtocolError('too_large', 'the chain has more than 16 hops'), 'x').status,
    ).toBe(413)
  })
})
