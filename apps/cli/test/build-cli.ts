import { execFileSync } from 'node:child_process'
import path from 'node:path'

/** Vitest global setup: builds apps/cli/dist (about a second) so the tests run the command users run. */
export default function setup(): void {
  execFileSync(process.execPath, [path.resolve(import.meta.dirname, '..', 'scripts', 'build.mjs')], {
    stdio: 'inherit',
  })
}
