/**
 * Runs one gateway as its own OS process (operators, and tests that SIGKILL it):
 *   node --import tsx apps/gateway/src/main.ts /path/to/domain-config.json
 * or with FEDERIZER_CONFIG=/path/to/domain-config.json. The JSON is a DomainConfig; the process listens
 * on the port of `gatewayUrl` (or `listenPort` when given) on `listenHost` (default 127.0.0.1).
 * The only file that touches `process`.
 */
import { readFileSync } from 'node:fs'
import type { DomainConfig } from '@federizer/store'
import { createGateway } from './app.ts'

type ProcessConfig = DomainConfig & { listenPort?: number; listenHost?: string; pollIntervalMs?: number }

async function main() {
  const file = process.argv[2] ?? process.env.FEDERIZER_CONFIG
  if (!file) {
    process.stderr.write('usage: gateway <config.json> (or set FEDERIZER_CONFIG)\n')
    process.exit(2)
  }
  const config = JSON.parse(readFileSync(file, 'utf8')) as ProcessConfig
  const url = new URL(config.gatewayUrl)
  const port = config.listenPort ?? Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  const gateway = await createGateway(config, {
    ...(config.pollIntervalMs !== undefined ? { pollIntervalMs: config.pollIntervalMs } : {}),
  })
  const bound = await gateway.listen(port, config.listenHost ?? '127.0.0.1')
  gateway.ctx.logger.info({ port: bound, domain: config.domain }, 'gateway listening')
  // Tests wait for this line on stdout.
  process.stdout.write(`${JSON.stringify({ listening: bound })}\n`)
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await gateway.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((e) => {
  process.stderr.write(`gateway failed to start: ${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(1)
})
