import { AdminUsageError, runAdminCommand } from '@federizer/gateway'
import type { DomainConfig } from '@federizer/node'
import { CliError } from './cli-error.ts'

/**
 * Operator commands (`user …`, `keys …`) on the domain's data folder, shared with the gateway's admin
 * entry point. The password comes from FEDERIZER_PASSWORD or standard input, never from argv.
 */
export async function adminCommand(config: DomainConfig, argv: string[], out: (line: string) => void) {
  try {
    await runAdminCommand(config, argv, { readPassword, print: out })
  } catch (e) {
    if (e instanceof AdminUsageError) throw new CliError(e.message)
    throw e
  }
}

async function readPassword(): Promise<string> {
  if (process.env.FEDERIZER_PASSWORD) return process.env.FEDERIZER_PASSWORD
  if (process.stdin.isTTY) process.stderr.write('password: ')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}
