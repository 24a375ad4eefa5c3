import type { Server } from 'node:http'

/** The part of an express app a listener needs. */
export interface Listenable {
  listen(port: number, host: string, callback: (err?: Error) => void): Server
}

export interface Listener {
  /** Listens on `port` (0 = any free port) on `host` (default 127.0.0.1); resolves to the bound port. */
  listen(port: number, host?: string): Promise<number>
  /**
   * Stops accepting connections, closes idle keep-alive ones, lets requests in flight finish for up to
   * `graceMs`, then closes whatever is left. Safe to call when not listening.
   */
  close(graceMs?: number): Promise<void>
}

/** One way to listen and shut down for every server (gateway and api). */
export function createListener(app: Listenable): Listener {
  let server: Server | undefined
  return {
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const s = app.listen(port, host, (err?: Error) => {
          if (err) return reject(err)
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
