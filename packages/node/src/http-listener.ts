import { createServer, type RequestListener, type Server } from 'node:http'

export interface Listener {
  /** Listens on `port` (0 = any free port) on `host` (default 127.0.0.1); resolves to the bound port. */
  listen(port: number, host?: string): Promise<number>
  /**
   * Stops accepting connections, closes idle keep-alive ones, lets requests in flight finish for up to
   * `graceMs`, then closes whatever is left. Safe to call when not listening.
   */
  close(graceMs?: number): Promise<void>
}

/** One way to listen and shut down for every server (gateway and api): `handle` is an express app or any request listener. */
export function createListener(handle: RequestListener): Listener {
  let server: Server | undefined
  return {
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const s = createServer(handle)
        s.once('error', reject)
        s.listen(port, host, () => {
          s.off('error', reject)
          const address = s.address()
          resolve(typeof address === 'object' && address ? address.port : port)
        })
        s.keepAliveTimeout = 5000
        server = s
      })
    },
    async close(graceMs = 2000) {
      const s = server
      server = undefined
      if (!s?.listening) return
      const done = new Promise<void>((resolve) => s.close(() => resolve()))
      s.closeIdleConnections()
      const force = setTimeout(() => s.closeAllConnections(), graceMs)
      await done
      clearTimeout(force)
    },
  }
}
