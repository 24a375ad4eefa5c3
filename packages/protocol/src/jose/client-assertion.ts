import { ProtocolError } from '../errors.ts'
import { randomJti } from './claims.ts'
import type { ReplayStore } from './dpop.ts'
import { type KeyResolver, type SigningKey, signJwt, verifyJwt } from './jwt.ts'

/** `typ` of a client assertion (draft-ietf-oauth-rfc7523bis); absent or `JWT` is accepted on input. */
export const CLIENT_ASSERTION_TYP = 'client-authentication+jwt'

/** RFC 7523 §2.2: the client_assertion_type of private_key_jwt. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** A client assertion may be valid for at most five minutes ahead. */
export const CLIENT_ASSERTION_MAX_LIFETIME_SECONDS = 300

export interface CreateClientAssertionInput {
  clientId: string
  /** The AS issuer: the only audience an AS accepts (RFC 7523 §3, docs/protocol.md §4). */
  audience: string
  key: SigningKey
  /** Seconds since the epoch. */
  now: number
  /** Defaults to 60 s. */
  lifetimeSeconds?: number
  jti?: string
}

/**
 * Creates a private_key_jwt client assertion: iss = sub = client_id, aud, iat, exp, jti.
 * @see RFC 7523 §3, §2.2; OpenID Connect Core §9
 */
export async function createClientAssertion(input: CreateClientAssertionInput): Promise<string> {
  const lifetime = input.lifetimeSeconds ?? 60
  if (lifetime <= 0 || lifetime > CLIENT_ASSERTION_MAX_LIFETIME_SECONDS) {
    throw new ProtocolError('invalid_jwt', 'client assertion lifetime must be between 1 and 300 seconds')
  }
  const now = Math.floor(input.now)
  return signJwt(
    {
      iss: input.clientId,
      sub: input.clientId,
      aud: input.audience,
      iat: now,
      exp: now + lifetime,
      jti: input.jti ?? randomJti(),
    },
    input.key,
    CLIENT_ASSERTION_TYP,
  )
}

export interface VerifyClientAssertionOptions {
  clientId: string
  /** Accepted audiences: the AS issuer only (RFC 7523 §3 as profiled in docs/protocol.md §4). */
  audience: string[]
  resolveKey: KeyResolver
  now: number
  replay: ReplayStore
  clockTolerance?: number
}

/**
 * Verifies a private_key_jwt assertion: iss = sub = client_id, aud contains one of `audience`,
 * signature, exp required and at most 5 min ahead, iat not in the future, jti used once.
 * @see RFC 7523 §3, RFC 7521 §5.2
 */
export async function verifyClientAssertion(
  jws: string,
  options: VerifyClientAssertionOptions,
): Promise<{ clientId: string; jti: string; exp: number }> {
  const { payload } = await verifyJwt(jws, {
    typ: [CLIENT_ASSERTION_TYP, 'JWT'],
    allowAbsentTyp: true,
    resolveKey: options.resolveKey,
    now: options.now,
    issuer: options.clientId,
    audience: options.audience,
    clockTolerance: options.clockTolerance,
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
  })
  if (payload.sub !== options.clientId) {
    throw new ProtocolError(
      'invalid_jwt',
      'client assertion: sub must equal the client_id (RFC 7523 §3 item 2)',
    )
  }
  const exp = payload.exp as number
  const tolerance = options.clockTolerance ?? 60
  if (exp > options.now + CLIENT_ASSERTION_MAX_LIFETIME_SECONDS + tolerance) {
    throw new ProtocolError('invalid_jwt', 'client assertion: exp is more than 5 minutes ahead')
  }
  const jti = payload.jti
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) {
    throw new ProtocolError('invalid_jwt', 'client assertion: jti must be a non-empty string')
  }
  if (await options.replay.seen(`client_assertion:${options.clientId}:${jti}`, exp + tolerance)) {
    throw new ProtocolError('replayed', 'this client assertion (jti) was already used')
  }
  return { clientId: options.clientId, jti, exp }
}
