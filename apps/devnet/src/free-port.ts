import { createServer } from 'node:net'

/** Ports this process has handed out (never twice, though the first server may not listen yet). */
const handedOut = new Set<number>()

/** Below Linux's default ephemeral range (32768–60999), which outgoing connections take their ports from. */
const LOW = 20_000
const HIGH = 32_767

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(undefined))
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      const bound = typeof address === 'object' && address ? address.port : undefined
      server.close(() => resolve(bound))
    })
  })
}

/**
 * Finds a free TCP port on 127.0.0.1 and releases it, so a URL can be written into a config before the
 * server that will own it starts. A random port below the ephemeral range: a port the kernel picked
 * for `listen(0)` lies inside it, where any outgoing connection of a parallel test (an HTTP client's
 * source port) could take it before the server binds, which failed CI runs with EADDRINUSE. Falls back
 * to the kernel's choice. (A race with another process picking the same port remains: dev only.)
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = LOW + Math.floor(Math.random() * (HIGH - LOW))
    if (handedOut.has(candidate)) continue
    const port = await tryListen(candidate)
    if (port !== undefined) {
      handedOut.add(port)
      return port
    }
  }
  const port = await tryListen(0)
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1')
  handedOut.add(port)
  return port
}
