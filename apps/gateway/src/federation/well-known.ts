import { federizerDocumentSchema } from '@federizer/protocol'
import type { RequestHandler } from 'express'
import type { GatewayContext } from '../context.ts'

/**
 * `GET /.well-known/federizer`: this mailbox's resource URL, endpoints, AS issuer and MTA client_id
 * (the DNS-bound client identity of the seed's Note 2), validated against the protocol's schema.
 * @see docs/protocol.md §5 (Discovery)
 */
export function wellKnownFederizer(ctx: GatewayContext): RequestHandler {
  const document = federizerDocumentSchema.parse(ctx.federation.document)
  const body = JSON.stringify(document)
  return (_req, res) => {
    res.set('content-type', 'application/json').set('cache-control', 'public, max-age=300').send(body)
  }
}
