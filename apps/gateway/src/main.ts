/**
 * Runs one gateway as its own OS process (tests that SIGKILL it, devnet's `gatewayProcess`):
 *   node --import tsx apps/gateway/src/main.ts /path/to/config.yaml [--poll-interval-ms N]
 * or with FEDERIZER_CONFIG=/path/to/config.yaml. The file is the configuration file of
 * docs/operations.md, read by the one loader (`loadConfigFile`); the process listens on `listen.gateway`
 * (and `listen.smtp`, the SMTP bridge's listener, when set).
 * The only file that touches `process`.
 */
import { ConfigError, loadConfigFile } from '@federizer/node'
import pino from 'pino'
import { createGateway } from './app.ts'
import { startInboundSmtp } from './smtp/inbound-server.ts'

async function main() {
  const [file = process.env.FEDERIZER_CONFIG, ...rest] = process.argv.slice(2)
  if (!file) {
    process.stderr.write('usage: gateway <config file> [--poll-interval-ms N] (or set FEDERIZER_CONFIG)\n')
    process.exit(2)
  }
  const poll = rest[0] === '--poll-interval-ms' ? Number(rest[1]) : undefined
  const loaded = await loadConfigFile(file)
  const { domain: config, listen } = loaded
  const gateway = await createGateway(config, {
    logger: pino({ name: `gateway ${config.domain}`, level: process.env.LOG_LEVEL ?? loaded.logLevel }),
    ...(poll !== undefined && Number.isFinite(poll) ? { pollIntervalMs: poll } : {}),
  })
  const bound = await gateway.listen(listen.gateway.port, listen.gateway.host)
  gateway.ctx.logger.info({ port: bound, domain: config.domain }, 'gateway listening')
  const smtp = loaded.smtp ? await startInboundSmtp(gateway.ctx, loaded.smtp) : undefined
  // Tests wait for this line on stdout.
  process.stdout.write(`${JSON.stringify({ listening: bound, ...(smtp ? { smtp: smtp.port } : {}) })}\n`)
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await smtp?.close()
    await gateway.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((e) => {
  const text = e instanceof ConfigError ? e.message : e instanceof Error ? e.stack : String(e)
  process.stderr.write(`gateway failed to start: ${text}\n`)
  process.exit(1)
})
