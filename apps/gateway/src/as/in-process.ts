import type { InProcessTokenEndpoint } from '@federizer/domain'
import type { GatewayContext } from '../context.ts'
import { readForm } from './form.ts'
import { answerTokenRequest } from './token-answer.ts'

/** The limiter key of in-process callers: the domain's own MTA and api in this process. */
const IN_PROCESS_ADDRESS = 'in-process'

/**
 * The token endpoint for the domain's own MTA and api in this process (`MtaTokenClient.useInProcess`):
 * the same `answerTokenRequest` as POST /token (limits, the subject token's checks, grant policy, the
 * token issued), given the form and the ephemeral key's thumbprint directly. Client authentication
 * (private_key_jwt) and the DPoP proof are what a request over a network needs: they prove that the
 * sender holds the MTA's key and the ephemeral key, and bind the request to one endpoint and one moment
 * against relay and replay. A function call in the process that holds both keys has nothing to prove or
 * replay, and signing and verifying them was the largest part of an exchange (docs/benchmarks.md).
 * @see RFC 8693 §2, RFC 7523 §2.2, RFC 9449 §4.3, §6 (cnf.jkt)
 */
export function inProcessTokenEndpoint(ctx: GatewayContext): InProcessTokenEndpoint {
  return ({ form, jkt }) =>
    answerTokenRequest(ctx, {
      form: () => readForm(formRecord(form)),
      authorization: undefined,
      dpop: { inProcessJkt: jkt },
      address: IN_PROCESS_ADDRESS,
      inProcess: true,
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
