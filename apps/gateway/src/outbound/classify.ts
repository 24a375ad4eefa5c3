/**
 * Names a failed request in words a person can act on (timeout, refused, TLS, DNS, address refused),
 * from the error's code and its causes. The raw error stays in the logs; this is what users see.
 * @see docs/security.md (a peer's response body is never shown to users)
 */
export function classifyFailure(e: unknown): string {
  const codes: string[] = []
  let names = ''
  for (let cur: unknown = e, depth = 0; cur !== undefined && cur !== null && depth < 6; depth++) {
    const err = cur as { code?: unknown; name?: unknown; cause?: unknown }
    if (typeof err.code === 'string') codes.push(err.code)
    if (typeof err.name === 'string') names += ` ${err.name}`
    cur = err.cause
  }
  const has = (re: RegExp) => codes.some((c) => re.test(c))
  if (has(/^peer_address_refused$/)) return 'its address is not allowed (private or non-https)'
  if (has(/TIMEOUT|ETIMEDOUT/) || /TimeoutError|AbortError/.test(names)) return 'timed out'
  if (has(/^ECONNREFUSED$/)) return 'connection refused'
  if (has(/^(ENOTFOUND|EAI_AGAIN|ENODATA|ESERVFAIL)$/)) return 'its name could not be resolved'
  if (has(/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/)) return 'TLS failure'
  if (has(/^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/)) return 'the connection was cut'
  return 'network error'
}
