/**
 * The operator CLI: `node --import tsx apps/gateway/src/admin-cli.ts <config.json> user add alice@example.com`
 * (password on stdin), `… keys rotate --alg EdDSA`. See ADMIN_USAGE. Only this entry point touches `process`.
 */
import { readFileSync } from 'node:fs'
import type { DomainConfig } from '@federizer/node'
import { ADMIN_USAGE, AdminUsageError, runAdminCommand } from './as/admin-commands.ts'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

async function main(): Promise<number> {
  const [file, ...argv] = process.argv.slice(2)
  if (!file || argv.length === 0) {
    process.stderr.write(`${ADMIN_USAGE}\n`)
    return 2
  }
  const config = JSON.parse(readFileSync(file, 'utf8')) as DomainConfig
  try {
    await runAdminCommand(config, argv, {
      readPassword: readStdin,
      print: (line) => process.stdout.write(`${line}\n`),
    })
    return 0
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
    return e instanceof AdminUsageError ? 2 : 1
  }
}

main().then((code) => process.exit(code))
