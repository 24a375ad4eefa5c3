import { createECDH, createPrivateKey, generateKeyPairSync } from 'node:crypto'
import type { JWK } from 'jose'
import { ProtocolError } from '../errors.ts'
import { ALLOWED_ALGS, type AllowedAlg } from './jwt.ts'

/** RFC 7518 §6.2.1.2–§6.2.2.1: P-256 coordinates and the private scalar are 32 octets each. */
const P256_OCTETS = 32

/**
 * Generates a private JWK (with its public members) for an allow-listed alg, synchronously.
 *
 * Never `generateKeyPairSync(...)` followed by `keyObject.export({ format: 'jwk' })`: on Node 20
 * (seen on 20.20.2) that pair can deadlock the whole thread. The export holds the key's mutex while
 * it allocates; the allocation runs a GC whose weak callback destroys the finished key-pair job,
 * and that destructor takes the same mutex (`ExportJWKEcKey → … → ~KeyGenJob → uv_mutex_lock`).
 * A process making a DPoP key per message met it within ~20,000 keys and hung for good (test/jose-keygen.test.ts reproduces it).
 * So ES256 keys come from `createECDH` (no KeyObject at all, and twice as fast: 29.6 µs against
 * 61.7 µs a key), and EdDSA / RS256 keys are encoded inside the job (DER) and read back into a
 * KeyObject that no job owns.
 * @see RFC 7518 §6.2 (EC keys), RFC 8037 §2 (OKP keys), RFC 7518 §6.3 (RSA keys)
 */
export function generatePrivateJwk(alg: AllowedAlg): JWK {
  if (!ALLOWED_ALGS.includes(alg)) {
    throw new ProtocolError(
      'alg_not_allowed',
      `JWS alg "${String(alg)}" is not allowed (ES256, EdDSA, RS256 only)`,
    )
  }
  if (alg === 'ES256') return p256Jwk()
  const der: Buffer =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519', {
          publicKeyEncoding: { type: 'spki', format: 'der' },
          privateKeyEncoding: { type: 'pkcs8', format: 'der' },
        }).privateKey
      : generateKeyPairSync('rsa', {
          modulusLength: 2048,
          publicKeyEncoding: { type: 'spki', format: 'der' },
          privateKeyEncoding: { type: 'pkcs8', format: 'der' },
        }).privateKey
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }) as JWK
}

/** A P-256 key from an ECDH context: x and y from the uncompressed point, d padded to 32 octets. */
function p256Jwk(): JWK {
  const ecdh = createECDH('prime256v1')
  const point = ecdh.generateKeys() // 0x04 ‖ X ‖ Y (SEC 1 §2.3.3)
  const d = ecdh.getPrivateKey()
  const scalar = d.length === P256_OCTETS ? d : Buffer.concat([Buffer.alloc(P256_OCTETS - d.length), d])
  return {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 1 + P256_OCTETS).toString('base64url'),
    y: point.subarray(1 + P256_OCTETS).toString('base64url'),
    d: scalar.toString('base64url'),
  }
}
