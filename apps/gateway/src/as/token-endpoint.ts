import type { Request, Response } from 'express'
import type { GatewayContext } from '../context.ts'
import { clientAddressKey } from './client-address.ts'
import { readBody } from './form.ts'
import { answerTokenRequest } from './token-answer.ts'

/**
 * POST /token: the express adapter of `answerTokenRequest` (token-answer.ts).
 * @see RFC 6749 §3.2, §5; RFC 8693 §2; RFC 9449 §8
 */
export function tokenEndpoint(ctx: GatewayContext) {
  return async (req: Request, res: Response) => {
    const answer = await answerTokenRequest(ctx, {
      form: () => readBody(req),
      authorization: req.headers.authorization,
      dpop: req.headers.dpop,
      address: clientAddressKey(req),
    })
    res.status(answer.status).set(answer.headers).json(answer.body)
  }
}
