import { createServer } from 'node:net'

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 and releases it, so a URL can be written into a
 * config before the server that will own it starts. (A tiny race with other processes is accepted: dev only.)
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}
