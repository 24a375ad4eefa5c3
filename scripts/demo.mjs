#!/usr/bin/env node
// The README's start command: installs what is missing, builds the webmail when its sources changed,
// then runs the three-domain demo in the foreground (Ctrl-C stops it; the mail stays in ./data).
import { execSync, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' })

if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
  console.log('== installing dependencies (npm ci)')
  execSync('npm ci --no-audit --no-fund', {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, npm_config_build_from_source: 'true' },
  })
}

const newest = (dir) => {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}
const web = path.join(root, 'apps', 'web')
const built = path.join(web, 'dist', 'index.html')
if (!existsSync(built) || newest(path.join(web, 'src')) > statSync(built).mtimeMs) {
  console.log('== building the webmail')
  run('npm run build -w @federizer/web')
}

const child = spawn(
  process.execPath,
  [path.join(root, 'apps', 'cli', 'bin', 'federizer.mjs'), 'demo', ...process.argv.slice(2)],
  // The demo runs from source (FEDERIZER_FROM_SOURCE): an edit shows at the next start, no build needed.
  { cwd: root, stdio: 'inherit', env: { ...process.env, FEDERIZER_FROM_SOURCE: '1' } },
)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 0))
