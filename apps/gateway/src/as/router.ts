import { DatabaseUnavailableError } from '@federizer/store'
import express from 'express'
import type { GatewayContext } from '../context.ts'
import { authorizeGet, authorizePost } from './authorize.ts'
import { corsForWebmail } from './cors.ts'
import { databaseUnavailable, OAuthError, sendOAuthError } from './errors.ts'
import { FORM_LIMIT_BYTES, FORM_PARAMETER_LIMIT } from './form.ts'
import { logoutEndpoint } from './logout.ts'
import { revocationEndpoint } from './revoke.ts'
import { tokenEndpoint } from './token-endpoint.ts'

const FORM_LIMIT = `${FORM_LIMIT_BYTES / 1024}kb`

/**
 * The Authorization Server's routes, relative to config.gatewayUrl: JWKS, authorize + sign-in,
 * token (code, refresh, token exchange), revocation, logout.
 * @see RFC 8414, RFC 6749, RFC 7009, RFC 8693, RFC 9449
 */
export function createAsRouter(ctx: GatewayContext): express.Router {
  const router = express.Router()
  const urlencoded = express.urlencoded({
    extended: false,
    limit: FORM_LIMIT_BYTES,
    parameterLimit: FORM_PARAMETER_LIMIT,
  })
  // Forms are UTF-8 only (RFC 6749 Appendix B): another declared charset is 415, never decoded as if it were.
  const form: express.RequestHandler = (req, res, next) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      req.resume()
      return sendOAuthError(
        res,
        new OAuthError(
          'invalid_request',
          `charset "${charset.slice(0, 40)}" is not accepted: send the form in UTF-8`,
          {
            status: 415,
          },
        ),
      )
    }
    urlencoded(req, res, next)
  }
  const cors = corsForWebmail(ctx)

  // The metadata is served by the app at its RFC 8414 §3.1 location (metadataHandler); keys are public
  // documents too: any origin may read them (no credentials are involved).
  router.get('/jwks', async (_req, res) => {
    await ctx.as.keys.refresh().catch((err) => ctx.logger.error({ err }, 'cannot re-read the AS key file'))
    res.set('Cache-Control', 'public, max-age=300')
    res.set('Access-Control-Allow-Origin', '*')
    res.type('application/jwk-set+json').send(JSON.stringify(ctx.as.keys.publicJwks()))
  })
  router.get('/authorize', authorizeGet(ctx))
  router.post('/authorize', form, authorizePost(ctx))
  router.options('/token', cors)
  // Servers' token requests are answered before express by token-lean.ts; these routes take the rest.
  router.post('/token', cors, form, tokenEndpoint(ctx))
  router.options('/revoke', cors)
  router.post('/revoke', cors, form, revocationEndpoint(ctx))
  router.get('/logout', logoutEndpoint(ctx))
  router.post('/logout', form, logoutEndpoint(ctx))

  // Body-parser failures (oversized or malformed forms) answer in the OAuth error shape; anything else that
  // escapes a handler is logged and answered as a bare server_error (never express's page with a stack).
  router.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const { status, type, charset } = err as { status?: number; type?: string; charset?: string }
    if (status === 415) {
      // body-parser: an unknown Content-Encoding, or a form charset other than UTF-8.
      const description =
        type === 'charset.unsupported'
          ? `charset "${String(charset).slice(0, 40)}" is not accepted: send the form in UTF-8`
          : 'this Content-Encoding is not accepted: send the form uncompressed'
      return sendOAuthError(res, new OAuthError('invalid_request', description, { status }))
    }
    if (status === 413 || status === 400) {
      const description =
        status === 413 ? `the request body exceeds ${FORM_LIMIT}` : 'the request body is not a valid form'
      return sendOAuthError(res, new OAuthError('invalid_request', description, { status }))
    }
    if (err instanceof DatabaseUnavailableError) return sendOAuthError(res, databaseUnavailable(err))
    ctx.logger.error({ err }, 'authorization server route failed')
    sendOAuthError(
      res,
      new OAuthError('server_error', 'the authorization server failed; the error was logged'),
    )
  })
  return router
}
