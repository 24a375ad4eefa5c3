#!/usr/bin/env node
// The `federizer` command. Runs the built JavaScript (apps/cli/dist, `npm run build -w @federizer/cli`);
// without a build, or with FEDERIZER_FROM_SOURCE=1 (the demo, development), runs the TypeScript sources
// through tsx instead.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const built = path.join(here, '..', 'dist', 'main.mjs')
if (process.env.FEDERIZER_FROM_SOURCE !== '1' && existsSync(built)) {
  await import(pathToFileURL(built).href)
} else {
  const require = createRequire(import.meta.url)
  const tsx = path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs')
  const child = spawn(
    process.execPath,
    [tsx, path.join(here, '..', 'src', 'main.ts'), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  )
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}
