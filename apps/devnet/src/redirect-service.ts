import { createServer, type Server } from 'node:http'

export interface RedirectService {
  port: number
  /** `http://localhost:<port>`: the base URL a client builds from the SRV record. */
  url: string
  /** Points the service at another base URL (a node restarted elsewhere). */
  setTarget(target: string): void
  close(): Promise<void>
}

const AS_METADATA = '/.well-known/oauth-authorization-server'

/**
 * The seed's redirect service (Note 1): an SRV record cannot carry a path, so the host it names answers
 * every request with `302 Found` to the real base URL plus the requested path and query — except the
 * AS metadata, whose well-known segment goes before the base URL's path (RFC 8414 §3.1).
 * @see RFC 9110 §15.4.3 (302 Found)
 */
export async function startRedirectService(
  target: string,
  options: { port?: number } = {},
): Promise<RedirectService> {
  let base = target.replace(/\/$/, '')
  const server: Server = createServer((req, res) => {
    res.statusCode = 302
    const url = req.url ?? '/'
    const { origin, pathname } = new URL(base)
    const metadata = url === AS_METADATA
    res.setHeader('location', metadata ? `${origin}${AS_METADATA}${pathname.replace(/\/$/, '')}` : base + url)
    res.setHeader('cache-control', 'no-store')
    res.end()
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : 0)
    })
  })
  return {
    port,
    url: `http://localhost:${port}`,
    setTarget(next) {
      base = next.replace(/\/$/, '')
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
