import { createHash } from 'node:crypto'
import { decodeProtectedHeader, type JWK, type JWTPayload } from 'jose'
import { z } from 'zod'
import { ProtocolError } from '../errors.ts'
import { claimStringSchema, digestStringSchema, numericDateSchema, parseClaims, randomJti } from './claims.ts'
import { ALLOWED_ALGS, type AllowedAlg } from './jwt.ts'
import { generatePrivateJwk } from './keygen.ts'
import { algForJwk, hasPrivateMembers, jwkThumbprint, toPublicJwk } from './keys.ts'
import { checkClaims, signCompact, thumbprintSync, verifyCompactSignature } from './node-jws.ts'

/** RFC 9449 §4.2: the `typ` of a DPoP proof. */
export const DPOP_TYP = 'dpop+jwt'

/** Default acceptance window for a proof's `iat`, in seconds either side of now. */
export const DEFAULT_DPOP_IAT_WINDOW_SECONDS = 60

/** An ephemeral DPoP key pair (one per transaction, as the seed says). */
export interface DpopKey {
  privateJwk: JWK
  publicJwk: JWK
  /** RFC 7638 thumbprint of publicJwk: the `cnf.jkt` a bound token carries. */
  jkt: string
}

/** The RFC 7638 thumbprint of a DPoP key's public half: the `cnf.jkt` of a token bound to it. */
export function dpopKeyThumbprint(key: { publicJwk: JWK }): string {
  return thumbprintSync(key.publicJwk)
}

/**
 * Remembers proof `jti`s. `seen` returns true when the key was already recorded (a replay);
 * otherwise it records the key until `expiresAt` (epoch seconds) and returns false.
 */
export interface ReplayStore {
  seen(key: string, expiresAt: number): Promise<boolean>
}

/** Generates an ephemeral DPoP key (ES256 default). @see RFC 9449 §4.1 */
export async function createDpopKey(alg: AllowedAlg = 'ES256'): Promise<DpopKey> {
  if (!ALLOWED_ALGS.includes(alg))
    throw new ProtocolError('alg_not_allowed', `DPoP alg "${String(alg)}" is not allowed`)
  // Synchronously: a key pair per transaction is on the hot path of every delivery.
  const exported = generatePrivateJwk(alg)
  const privateJwk: JWK = { ...exported, alg }
  const publicJwk: JWK = { ...toPublicJwk(exported), alg }
  return { privateJwk, publicJwk, jkt: thumbprintSync(publicJwk) }
}

/**
 * Normalises a URL for `htu` comparison: scheme and host lower-case, default port dropped,
 * query and fragment removed.
 * @see RFC 9449 §4.3 (check 9), RFC 3986 §6.2.2–6.2.3
 */
export function normalizeHtu(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new ProtocolError('invalid_dpop', `htu "${String(url).slice(0, 200)}" is not an absolute URL`, {
      cause,
    })
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ProtocolError('invalid_dpop', `htu must be an http(s) URL, not ${parsed.protocol}`)
  }
  // WHATWG URL already lower-cases scheme and host, drops default ports and normalises dot-segments.
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
}

/** `ath`: base64url(SHA-256(ASCII access token)). @see RFC 9449 §4.2 */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}

export interface CreateDpopProofInput {
  key: { privateJwk: JWK; publicJwk: JWK }
  /** HTTP method of the request, e.g. 'POST'. */
  htm: string
  /** Target URI of the request; query and fragment are removed. */
  htu: string
  /** The access token the request presents; adds `ath`. */
  accessToken?: string
  /** The server-provided nonce (from a `DPoP-Nonce` header). */
  nonce?: string
  /** Seconds since the epoch. */
  now: number
  jti?: string
}

/**
 * Creates a DPoP proof JWT: header {typ: dpop+jwt, alg, jwk}, claims {jti, htm, htu, iat, ath?, nonce?}.
 * @see RFC 9449 §4.2
 */
export async function createDpopProof(input: CreateDpopProofInput): Promise<string> {
  const alg = algForJwk(input.key.publicJwk)
  const payload: JWTPayload = {
    jti: input.jti ?? randomJti(),
    htm: input.htm,
    htu: normalizeHtu(input.htu),
    iat: Math.floor(input.now),
  }
  if (input.accessToken !== undefined) payload.ath = accessTokenHash(input.accessToken)
  if (input.nonce !== undefined) payload.nonce = input.nonce
  const jwk = toPublicJwk(input.key.publicJwk)
  delete jwk.kid
  delete jwk.use
  return signCompact({ typ: DPOP_TYP, alg, jwk }, payload, input.key.privateJwk)
}

const dpopClaimsSchema = z.object({
  jti: claimStringSchema,
  htm: z.string().min(1).max(32),
  htu: z.string().min(1).max(4096),
  iat: numericDateSchema,
  ath: digestStringSchema.optional(),
  nonce: z.string().min(1).max(1024).optional(),
})
export type DpopProofClaims = z.infer<typeof dpopClaimsSchema>

export interface VerifyDpopProofOptions {
  htm: string
  htu: string
  /** Seconds since the epoch. */
  now: number
  replay: ReplayStore
  /** When the request presents an access token: `ath` must be its hash. */
  accessToken?: string
  /** When the token is bound (`cnf.jkt`): the proof key must have this thumbprint. */
  expectedJkt?: string
  /** The nonce this server currently expects; a missing or different one is `use_dpop_nonce`. */
  nonce?: string
  iatWindowSeconds?: number
}

export interface VerifiedDpopProof {
  jkt: string
  publicJwk: JWK
  claims: DpopProofClaims
}

const invalid = (message: string, cause?: unknown) =>
  new ProtocolError('invalid_dpop', message, cause === undefined ? undefined : { cause })

/**
 * Checks a DPoP proof as RFC 9449 §4.3 lists: typ, alg allow-list, public `jwk` header, signature by
 * that key, htm, htu, iat window, nonce, ath, key binding; finally records `jti` (keyed by jkt) in the
 * replay store. Errors: `invalid_dpop`, `use_dpop_nonce`, `replayed`.
 * @see RFC 9449 §4.3, §7.1, §8
 */
export async function verifyDpopProof(
  proof: string,
  options: VerifyDpopProofOptions,
): Promise<VerifiedDpopProof> {
  if (
    typeof proof !== 'string' ||
    proof.length > 8192 ||
    !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(proof)
  ) {
    throw invalid('the DPoP proof is not a compact JWS')
  }
  let header: Record<string, unknown>
  try {
    header = decodeProtectedHeader(proof) as Record<string, unknown>
  } catch (cause) {
    throw invalid('the DPoP proof header is not valid base64url JSON', cause)
  }
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== DPOP_TYP) {
    throw invalid(`the DPoP proof typ must be "dpop+jwt", not "${String(header.typ)}"`)
  }
  if (!ALLOWED_ALGS.includes(header.alg as AllowedAlg)) {
    throw invalid(`DPoP proof alg "${String(header.alg)}" is not allowed (ES256, EdDSA, RS256 only)`)
  }
  const alg = header.alg as AllowedAlg
  if (header.crit !== undefined) throw invalid('DPoP "crit" header parameters are not supported')
  const jwk = header.jwk
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    throw invalid('the DPoP proof has no "jwk" header')
  if (hasPrivateMembers(jwk as JWK)) throw invalid('the DPoP "jwk" header contains a private key')
  let publicJwk: JWK
  try {
    publicJwk = toPublicJwk(jwk as JWK)
  } catch (cause) {
    throw invalid(`the DPoP "jwk" header is not a supported public key`, cause)
  }
  let payload: JWTPayload
  try {
    verifyCompactSignature(proof, alg, publicJwk)
    payload = checkClaims(proof, { currentDate: new Date(options.now * 1000) })
  } catch (cause) {
    throw invalid('the DPoP proof signature does not verify with its "jwk" header', cause)
  }
  const claims = parseDpopClaims(payload)
  if (claims.htm !== options.htm)
    throw invalid(`DPoP htm "${claims.htm}" does not match the request method ${options.htm}`)
  let claimedHtu: string
  try {
    claimedHtu = normalizeHtu(claims.htu)
  } catch (cause) {
    throw invalid(`DPoP htu "${claims.htu.slice(0, 200)}" is not an http(s) URL`, cause)
  }
  if (claimedHtu !== normalizeHtu(options.htu)) {
    throw invalid(`DPoP htu "${claims.htu.slice(0, 200)}" does not match the request URL`)
  }
  const window = options.iatWindowSeconds ?? DEFAULT_DPOP_IAT_WINDOW_SECONDS
  if (Math.abs(claims.iat - options.now) > window) {
    throw invalid(`DPoP proof iat ${claims.iat} is outside the accepted window of ±${window} s`)
  }
  if (options.nonce !== undefined && claims.nonce !== options.nonce) {
    throw new ProtocolError(
      'use_dpop_nonce',
      claims.nonce === undefined
        ? 'the DPoP proof must carry the server nonce'
        : 'the DPoP proof nonce is stale',
    )
  }
  if (options.accessToken !== undefined) {
    if (claims.ath === undefined) throw invalid('the DPoP proof has no "ath" for the presented access token')
    if (claims.ath !== accessTokenHash(options.accessToken))
      throw invalid('DPoP "ath" does not match the access token')
  }
  const jkt = await jwkThumbprint(publicJwk)
  if (options.expectedJkt !== undefined && jkt !== options.expectedJkt) {
    throw invalid('the DPoP proof key is not the key the token is bound to (cnf.jkt)')
  }
  // Recorded last, so a proof rejected for another reason does not burn its jti.
  if (await options.replay.seen(`dpop:${jkt}:${claims.jti}`, claims.iat + window)) {
    throw new ProtocolError('replayed', 'this DPoP proof (jti) was already used')
  }
  return { jkt, publicJwk, claims }
}

function parseDpopClaims(payload: JWTPayload): DpopProofClaims {
  try {
    return parseClaims(dpopClaimsSchema, payload, 'DPoP proof')
  } catch (e) {
    throw invalid((e as Error).message, e)
  }
}
