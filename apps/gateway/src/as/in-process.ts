import type { InProcessTokenEndpoint } from '@federizer/domain'
import type { GatewayContext } from '../context.ts'
import { readForm } from './form.ts'
import { answerTokenRequest } from './token-answer.ts'

/** The limiter key of in-process callers: the domain's own MTA and api in this process. */
const IN_PROCESS_ADDRESS = 'in-process'

/**
 * The token endpoint for the domain's own MTA in this process (`MtaTokenClient.useInProcess`): the same
 * `answerTokenRequest` as POST /token — client authentication (private_key_jwt), DPoP proof, limits and
 * grant policy — given the form and the DPoP header directly instead of over HTTP.
 * @see RFC 8693 §2, RFC 7523 §2.2, RFC 9449 §4.3
 */
export function inProcessTokenEndpoint(ctx: GatewayContext): InProcessTokenEndpoint {
  return ({ form, dpop }) =>
    answerTokenRequest(ctx, {
      form: () => readForm(formRecord(form)),
      authorization: undefined,
      dpop,
      address: IN_PROCESS_ADDRESS,
    })
}

/** The form as express's urlencoded parser gives it: a repeated name as an array (refused by readForm). */
function formRecord(form: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = Object.create(null)
  for (const [name, value] of form) {
    const before = record[name]
    record[name] = before === undefined ? value : [...[before].flat(), value]
  }
  return record
}
