import type { IncomingMessage, ServerResponse } from 'node:http'
import { requestLog } from '@federizer/node'
import type { GatewayContext } from '../context.ts'
import { answerFailure, sendJson } from './answer.ts'
import { handleDelivery } from './delivery.ts'
import { handleFetch } from './fetch.ts'

/**
 * `POST /federizer/deliveries` and `POST /federizer/fetch` without express: every delivered message
 * makes one of each hop's requests (and one fetch per fetched resource), and express's app, router and
 * `res.json` cost ~150 µs of CPU a request here (docs/benchmarks.md). Both handlers read the raw request
 * already (their bodies are size-capped before parsing, no body parser is mounted), so the lean route
 * runs the same handler and answers every failure through the same `answerFailure` as the express
 * route; a request with a query string or another method goes on to express, which answers it as it
 * always has. Returns the handler, which returns false for a request it leaves to express.
 * @see docs/protocol.md §6 (Delivery, Fetch)
 */
export function leanFederationRoutes(
  ctx: GatewayContext,
  basePath: string,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const log = requestLog(ctx.logger)
  const deliveries = `${basePath}/federizer/deliveries`
  const fetch = `${basePath}/federizer/fetch`
  return (req, res) => {
    if (req.method !== 'POST') return false
    const route = req.url === deliveries ? deliver : req.url === fetch ? handleFetch : undefined
    if (route === undefined) return false
    log(req, res, () => {
      route(ctx, req, res).catch((e: unknown) => answerFailure(ctx, e, req.url ?? '', res))
    })
    return true
  }
}

/** `POST /federizer/deliveries`: the delivery's answer as JSON, never cached (both routes). */
export async function deliver(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { status, body } = await handleDelivery(ctx, req)
  sendJson(res, status, body, { 'cache-control': 'no-store' })
}
