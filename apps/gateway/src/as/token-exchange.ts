import {
  domainOf,
  ehThumbprint,
  jwtAssertionDigest,
  parseAddress,
  parseAddressList,
  randomJti,
  signFetchToken,
  signHopAssertion,
  verifyAccessToken,
} from '@federizer/protocol'
import { findUser, forwardAllowed, getAutoForward, isJwtRevoked } from '@federizer/store'
import type { GatewayContext } from '../context.ts'
import { MAIL_SCOPE, type MtaClient, type RegisteredClient } from './clients.ts'
import { checkTokenDpop, type TokenDpop } from './dpop.ts'
import { OAuthError, toOAuthError } from './errors.ts'
import { FORWARD_HEADERS, parseSignedHeaders, SEND_HEADERS, type SignedHeaders } from './exchange-headers.ts'
import { verifyForeignAssertion } from './foreign-assertion.ts'
import type { FormParams } from './form.ts'
import { findDeliveredMessage } from './inbound.ts'
import { checkAutoReply, isAutoReply } from './reply-mode.ts'
import type { TokenResponse } from './token-code.ts'

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
const TOKEN_TYPE_ACCESS = 'urn:ietf:params:oauth:token-type:access_token'
const TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt'

/**
 * The Cross-Domain Authorization Grant (RFC 8693 token exchange, private_key_jwt + DPoP), three modes:
 * 1. access_token → hop assertion (send), 2. foreign assertion → hop assertion (forward, or — with
 * Auto-Submitted in the headers — the user's vacation auto-reply to its sender), 3. last-hop assertion → DPoP-bound fetch token.
 * @see RFC 8693 §2.1–§2.3, RFC 9449 §5, docs/protocol.md §4 (token endpoint)
 */
export async function tokenExchangeGrant(
  ctx: GatewayContext,
  client: RegisteredClient,
  params: FormParams,
  dpop: TokenDpop,
): Promise<TokenResponse> {
  if (client.kind !== 'mta') {
    throw new OAuthError(
      'unauthorized_client',
      `client "${client.clientId}" may not use token exchange: only the domain's MTA may`,
    )
  }
  const subjectToken = params.require('subject_token')
  const subjectType = params.require('subject_token_type')
  const requested = params.get('requested_token_type') ?? TOKEN_TYPE_JWT
  if (params.has('actor_token') || params.has('actor_token_type')) {
    throw new OAuthError('invalid_request', 'delegation (actor_token) is not supported')
  }
  if (subjectType === TOKEN_TYPE_ACCESS && requested === TOKEN_TYPE_JWT)
    return sendMode(ctx, client, params, dpop, subjectToken)
  if (subjectType === TOKEN_TYPE_JWT && requested === TOKEN_TYPE_JWT)
    return isAutoReply(params.get('headers'))
      ? issueHopAssertion(ctx, client, await checkAutoReply(ctx, params, dpop, subjectToken))
      : forwardMode(ctx, client, params, dpop, subjectToken)
  if (subjectType === TOKEN_TYPE_JWT && requested === TOKEN_TYPE_ACCESS)
    return fetchMode(ctx, client, params, dpop, subjectToken)
  if (![TOKEN_TYPE_ACCESS, TOKEN_TYPE_JWT].includes(subjectType)) {
    throw new OAuthError(
      'unsupported_token_type',
      `subject_token_type "${subjectType.slice(0, 100)}" is not supported`,
    )
  }
  throw new OAuthError('invalid_request', `cannot exchange ${subjectType} for ${requested.slice(0, 100)}`)
}

function unexpected(params: FormParams, names: string[], mode: string) {
  for (const name of names) {
    if (params.has(name))
      throw new OAuthError('invalid_request', `"${name}" is not a parameter of the ${mode} exchange`)
  }
}

async function issueHopAssertion(
  ctx: GatewayContext,
  client: MtaClient,
  input: { sub: string; jkt: string; headers: SignedHeaders },
): Promise<TokenResponse> {
  const iat = ctx.now()
  const exp = iat + ctx.as.lifetimes.hopAssertion
  const assertion = await signHopAssertion(
    {
      iss: ctx.as.issuer,
      sub: input.sub,
      azp: client.clientId,
      cnf: { jkt: input.jkt },
      eh: { eht: ehThumbprint(input.headers.pairs, input.headers.ehl), ehl: input.headers.ehl },
      iat,
      exp,
      jti: randomJti(),
    },
    await ctx.as.signingKey(),
  )
  // RFC 8693 §2.2.1: not an access token, so token_type N_A; still DPoP-bound through cnf.jkt.
  return {
    access_token: assertion,
    issued_token_type: TOKEN_TYPE_JWT,
    token_type: 'N_A',
    expires_in: exp - iat,
  }
}

/** Mode 1: the user's access token → a hop assertion over the original block; From must be the user. */
async function sendMode(
  ctx: GatewayContext,
  client: MtaClient,
  params: FormParams,
  dpop: TokenDpop,
  subjectToken: string,
) {
  unexpected(params, ['audience', 'resource', 'message_id'], 'send')
  const headers = parseSignedHeaders(params.get('headers'), SEND_HEADERS)
  const jkt = await checkTokenDpop(ctx, dpop)
  let email: string
  let jti: string
  try {
    const { claims } = await verifyAccessToken(subjectToken, {
      resolveKey: ctx.as.ownKeys,
      now: ctx.now(),
      issuer: ctx.as.issuer,
      audience: ctx.config.apiUrl,
    })
    if (!claims.scope.split(' ').includes(MAIL_SCOPE)) {
      throw new OAuthError('invalid_grant', `subject_token: the access token lacks the "${MAIL_SCOPE}" scope`)
    }
    email = claims.email.toLowerCase()
    jti = claims.jti
  } catch (e) {
    throw toOAuthError(e, 'subject_token')
  }
  if (await isJwtRevoked(ctx.db, jti))
    throw new OAuthError('invalid_grant', 'subject_token: the access token has been revoked')
  const user = await findUser(ctx.db, email)
  if (!user || user.disabled)
    throw new OAuthError('invalid_grant', `subject_token: the account ${email} is disabled or gone`)
  let from: string
  try {
    from = parseAddress(headers.get('From')).address.toLowerCase()
  } catch {
    throw new OAuthError('invalid_request', 'header "From" is not a mail address')
  }
  if (from !== email) {
    throw new OAuthError(
      'invalid_grant',
      `From <${from}> is not the signed-in user <${email}>: mail is signed only for its author`,
    )
  }
  return issueHopAssertion(ctx, client, { sub: email, jkt, headers })
}

/** Mode 2: a foreign hop assertion → a new one for an auto-forward allowed by the user's policy. */
async function forwardMode(
  ctx: GatewayContext,
  client: MtaClient,
  params: FormParams,
  dpop: TokenDpop,
  subjectToken: string,
) {
  unexpected(params, ['audience', 'resource', 'message_id'], 'forward')
  const headers = parseSignedHeaders(params.get('headers'), FORWARD_HEADERS)
  // The subject token is an assertion this mailbox RECEIVED, bound to the sending MTA's key, which the
  // receiver never holds, even when the sender is this very domain (same-domain forward): the proof is
  // the receiving MTA's own fresh key, and what authorises is that the message was delivered here.
  const jkt = await checkTokenDpop(ctx, dpop)
  const assertionDigest = jwtAssertionDigest(subjectToken)
  if (headers.get('JWT-Assertion-Digest') !== `<${assertionDigest}>`) {
    throw new OAuthError('invalid_grant', 'JWT-Assertion-Digest does not match the digest of subject_token')
  }
  await verifyForeignAssertion(ctx, subjectToken)
  let forwardedFrom: string
  let forwardedTo: string[]
  try {
    forwardedFrom = parseAddress(headers.get('Forwarded-From')).address.toLowerCase()
    forwardedTo = parseAddressList(headers.get('Forwarded-To')).map((a) => a.address.toLowerCase())
  } catch {
    throw new OAuthError('invalid_request', 'Forwarded-From and Forwarded-To must be mail addresses')
  }
  if (forwardedTo.length === 0) throw new OAuthError('invalid_request', 'Forwarded-To names no address')
  if (domainOf(forwardedFrom) !== ctx.config.domain) {
    throw new OAuthError(
      'invalid_grant',
      `Forwarded-From <${forwardedFrom}> is not an account of ${ctx.config.domain}`,
    )
  }
  const user = await findUser(ctx.db, forwardedFrom)
  if (!user || user.disabled)
    throw new OAuthError('invalid_grant', `Forwarded-From <${forwardedFrom}> is not an active account here`)
  const autoForward = ((await getAutoForward(ctx.db, forwardedFrom)) ?? []).map((a) => a.toLowerCase())
  const notConfigured = forwardedTo.filter((a) => !autoForward.includes(a))
  if (notConfigured.length > 0) {
    throw new OAuthError(
      'invalid_grant',
      `${forwardedFrom} has no auto-forward to ${notConfigured.join(', ')}`,
    )
  }
  const denied = [...new Set(forwardedTo.map(domainOf))].filter((d) => !forwardAllowed(user, d))
  if (denied.length > 0) {
    throw new OAuthError(
      'invalid_grant',
      `the forwarding policy of ${forwardedFrom} does not allow forwarding to ${denied.join(', ')}`,
    )
  }
  const delivered = await findDeliveredMessage(ctx.db, {
    messageId: headers.get('Message-ID'),
    assertionDigest,
    recipient: forwardedFrom,
  })
  if (!delivered) {
    throw new OAuthError(
      'invalid_grant',
      `no message ${headers.get('Message-ID')} was delivered to ${forwardedFrom} with this assertion`,
    )
  }
  return issueHopAssertion(ctx, client, { sub: forwardedFrom, jkt, headers })
}

/** Mode 3: the last hop's assertion → a DPoP-bound fetch token for the origin mailbox. */
async function fetchMode(
  ctx: GatewayContext,
  client: MtaClient,
  params: FormParams,
  dpop: TokenDpop,
  subjectToken: string,
): Promise<TokenResponse> {
  unexpected(params, ['headers', 'resource'], 'fetch')
  const audience = params.require('audience')
  const messageId = params.require('message_id')
  // As in the forward mode: the received assertion's key is the sender's, never this MTA's.
  const jkt = await checkTokenDpop(ctx, dpop)
  // The assertion was checked fresh when the delivery was accepted; what authorises the fetch now is that
  // delivery, for the queue lifetime after it (a late delivery keeps its days to fetch).
  await verifyForeignAssertion(ctx, subjectToken, { checkExpiry: false })
  const delivered = await findDeliveredMessage(ctx.db, {
    messageId,
    assertionDigest: jwtAssertionDigest(subjectToken),
  })
  if (!delivered) {
    throw new OAuthError(
      'invalid_grant',
      `this mailbox holds no message ${messageId.slice(0, 200)} delivered with this assertion`,
    )
  }
  const lifetime = ctx.domain.schedule.lifetimeSeconds
  if (ctx.now() > delivered.receivedAt + lifetime) {
    throw new OAuthError(
      'invalid_grant',
      `message ${messageId.slice(0, 200)} was delivered more than ${Math.round(lifetime / 86400)} days ago: its fetch time is over`,
    )
  }
  let originDomain: string
  try {
    originDomain = domainOf(delivered.originalFrom)
  } catch {
    throw new OAuthError('invalid_grant', 'the stored message has no usable From address')
  }
  let resourceUrl: string
  try {
    resourceUrl = (await ctx.as.discovery.domainPeer(originDomain)).resourceUrl
  } catch (e) {
    throw new OAuthError(
      'invalid_target',
      `cannot discover the mailbox of ${originDomain}: ${(e as Error).message}`,
    )
  }
  if (audience !== resourceUrl) {
    throw new OAuthError(
      'invalid_target',
      `audience must be the origin mailbox ${resourceUrl} (the resource URL of ${originDomain})`,
    )
  }
  const iat = ctx.now()
  const exp = iat + ctx.as.lifetimes.fetchToken
  const token = await signFetchToken(
    {
      iss: ctx.as.issuer,
      azp: client.clientId,
      aud: audience,
      message_id: messageId,
      cnf: { jkt },
      iat,
      exp,
      jti: randomJti(),
    },
    await ctx.as.signingKey(),
  )
  return {
    access_token: token,
    issued_token_type: TOKEN_TYPE_ACCESS,
    token_type: 'DPoP',
    expires_in: exp - iat,
  }
}
