#!/usr/bin/env node
// The `federizer` command: runs the TypeScript entry point through tsx (workspace packages ship as source).
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
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
