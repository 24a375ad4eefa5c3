import { type ChildProcess, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type DomainConfig, toConfigFile } from '@federizer/node'

/** The gateway's process entry point (apps/gateway/src/main.ts), run with tsx. */
export const GATEWAY_MAIN = fileURLToPath(new URL('../../../apps/gateway/src/main.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface GatewayProcess {
  child: ChildProcess
  pid: number
  port: number
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends `signal` (default SIGTERM) and waits for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

/**
 * Starts one domain's gateway as its own OS process (`node --import tsx main.ts <config.json>`, the file written by `toConfigFile`), so a
 * test can SIGKILL it mid-work. Resolves once the process reports the port it listens on.
 */
export async function startGatewayProcess(
  config: DomainConfig,
  options: { port: number; pollIntervalMs?: number; logLevel?: string; startTimeoutMs?: number },
): Promise<GatewayProcess> {
  const file = path.join(config.dataDir, 'gateway-config.json')
  await writeFile(file, JSON.stringify(toConfigFile(config, { gateway: { port: options.port } })), {
    mode: 0o600,
  })
  const poll =
    options.pollIntervalMs !== undefined ? ['--poll-interval-ms', String(options.pollIntervalMs)] : []
  const child = spawn(process.execPath, ['--import', 'tsx', GATEWAY_MAIN, file, ...poll], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: options.logLevel ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`gateway ${config.domain} did not start in time: ${stderr}`))
    }, options.startTimeoutMs ?? 30_000)
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { listening?: number }
        if (typeof msg.listening === 'number') {
          clearTimeout(timer)
          resolve(msg.listening)
        }
      } catch {
        // a log line
      }
    })
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`gateway ${config.domain} exited (${code ?? signal}) before listening: ${stderr}`))
    })
  })
  return {
    child,
    pid: child.pid ?? 0,
    port,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
    },
  }
}
