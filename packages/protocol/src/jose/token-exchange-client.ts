import type { JWK } from 'jose'
import { z } from 'zod'
import { ProtocolError, type ProtocolErrorCode } from '../errors.ts'
import { CLIENT_ASSERTION_TYPE, createClientAssertion } from './client-assertion.ts'
import { createDpopProof } from './dpop.ts'
import type { SigningKey } from './jwt.ts'

/** RFC 8693 §2.1 grant type. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange'

/** RFC 8693 §3 token type identifiers used by Federizer. */
export const TOKEN_TYPE_URIS = {
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const
export type ExchangeTokenType = keyof typeof TOKEN_TYPE_URIS

/** A header to sign: [name, value]; structurally the message model's `Header`. */
export type SignedHeaderPair = readonly [string, string | readonly [string, string]]

export interface ExchangeTokenInput {
  tokenEndpoint: string
  /** The AS's issuer: the client assertion's one `aud` (RFC 7523 §3 as profiled in docs/protocol.md §4). */
  issuer: string
  clientId: string
  /** The MTA's private_key_jwt key. */
  clientKey: SigningKey
  /** The ephemeral DPoP key of this transaction. */
  dpopKey: { privateJwk: JWK; publicJwk: JWK }
  subjectToken: string
  subjectTokenType: ExchangeTokenType
  requestedTokenType: ExchangeTokenType
  /** Modes 1 and 2: the envelope headers to sign (sent as a JSON array of [name, value]). */
  headers?: readonly SignedHeaderPair[]
  /** Mode 3: the origin mailbox's resource URL. */
  audience?: string
  /** Mode 3: the Message-ID of the delivered message. */
  messageId?: string
  fetch: typeof fetch
  /** Seconds since the epoch (or a clock). */
  now: number | (() => number)
  /** A DPoP nonce previously received from this AS. */
  nonce?: string
}

export interface ExchangeTokenResult {
  token: string
  /** `N_A` for an assertion, `DPoP` for a bound access token (RFC 8693 §2.2.1, RFC 9449 §5). */
  tokenType: string
  issuedTokenType: string
  expiresIn: number | undefined
  /** The last DPoP-Nonce the AS sent, to reuse on the next request. */
  dpopNonce: string | undefined
}

/**
 * The token endpoint refused the request: `error` and `errorDescription` are the AS's own
 * (RFC 6749 §5.2), `status` its HTTP status.
 */
export class TokenExchangeError extends ProtocolError {
  constructor(
    readonly error: string,
    readonly errorDescription: string | undefined,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(
      codeFor(error),
      `token endpoint answered ${status} ${error}${errorDescription ? `: ${errorDescription}` : ''}`,
      options,
    )
  }
}

function codeFor(error: string): ProtocolErrorCode {
  if (error === 'use_dpop_nonce') return 'use_dpop_nonce'
  if (error === 'invalid_dpop_proof') return 'invalid_dpop'
  return 'token_exchange_failed'
}

const successSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().min(1),
  issued_token_type: z.string().min(1),
  expires_in: z.number().int().nonnegative().optional(),
})

const errorSchema = z.object({
  error: z.string().min(1).max(200),
  error_description: z.string().max(2000).optional(),
})

/** Builds the RFC 8693 §2.1 form body (without client authentication). */
export function tokenExchangeForm(
  input: Pick<
    ExchangeTokenInput,
    'subjectToken' | 'subjectTokenType' | 'requestedTokenType' | 'headers' | 'audience' | 'messageId'
  >,
): URLSearchParams {
  const form = new URLSearchParams()
  form.set('grant_type', TOKEN_EXCHANGE_GRANT_TYPE)
  form.set('subject_token', input.subjectToken)
  form.set('subject_token_type', TOKEN_TYPE_URIS[input.subjectTokenType])
  form.set('requested_token_type', TOKEN_TYPE_URIS[input.requestedTokenType])
  if (input.headers !== undefined) form.set('headers', JSON.stringify(input.headers))
  if (input.audience !== undefined) form.set('audience', input.audience)
  if (input.messageId !== undefined) form.set('message_id', input.messageId)
  return form
}

/**
 * Performs a Federizer token exchange: RFC 8693 form, private_key_jwt (RFC 7523) client auth and a
 * DPoP proof (RFC 9449 §5); retries once with the server's nonce on `use_dpop_nonce` (RFC 9449 §8).
 * Throws TokenExchangeError carrying the AS's error / error_description.
 * @see RFC 8693 §2.1–2.3
 */
export async function exchangeToken(input: ExchangeTokenInput): Promise<ExchangeTokenResult> {
  const clock = typeof input.now === 'function' ? input.now : () => input.now as number
  let nonce = input.nonce
  for (let attempt = 0; ; attempt++) {
    const now = clock()
    const form = tokenExchangeForm(input)
    form.set('client_id', input.clientId)
    form.set('client_assertion_type', CLIENT_ASSERTION_TYPE)
    form.set(
      'client_assertion',
      await createClientAssertion({
        clientId: input.clientId,
        audience: input.issuer,
        key: input.clientKey,
        now,
      }),
    )
    const proof = await createDpopProof({
      key: input.dpopKey,
      htm: 'POST',
      htu: input.tokenEndpoint,
      nonce,
      now,
    })
    let response: Response
    try {
      response = await input.fetch(input.tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          dpop: proof,
        },
        body: form.toString(),
        redirect: 'error',
      })
    } catch (cause) {
      throw new TokenExchangeError('network_error', `cannot reach ${input.tokenEndpoint}`, 0, { cause })
    }
    const serverNonce = response.headers.get('dpop-nonce') ?? undefined
    const answer = tokenAnswer(response.status, await readJson(response), serverNonce ?? nonce)
    if (!(answer instanceof TokenExchangeError)) return answer
    if (
      answer.error === 'use_dpop_nonce' &&
      attempt === 0 &&
      serverNonce !== undefined &&
      serverNonce !== nonce
    ) {
      nonce = serverNonce
      continue
    }
    throw answer
  }
}

/**
 * Reads a token endpoint's answer (status and parsed JSON body): the issued token (RFC 8693 §2.2.1), or
 * the AS's error (RFC 6749 §5.2) as a TokenExchangeError, returned for the caller to throw.
 */
export function tokenAnswer(
  status: number,
  body: unknown,
  dpopNonce: string | undefined,
): ExchangeTokenResult | TokenExchangeError {
  if (status >= 200 && status <= 299) {
    const parsed = successSchema.safeParse(body)
    if (!parsed.success)
      return new TokenExchangeError(
        'invalid_response',
        'the token response lacks RFC 8693 §2.2.1 members',
        status,
      )
    return {
      token: parsed.data.access_token,
      tokenType: parsed.data.token_type,
      issuedTokenType: parsed.data.issued_token_type,
      expiresIn: parsed.data.expires_in,
      dpopNonce,
    }
  }
  const err = errorSchema.safeParse(body)
  if (!err.success)
    return new TokenExchangeError(
      'invalid_response',
      'the token endpoint failed without an OAuth error body',
      status,
    )
  return new TokenExchangeError(err.data.error, err.data.error_description, status)
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text()
  if (text.length > 1_000_000) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
