import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** Builds the webmail once (the api serves apps/web/dist) and checks that Chromium is there. */
export default async function setup() {
  if (!existsSync('/usr/bin/chromium')) {
    throw new Error('Browser tests need Debian’s Chromium: apt-get update && apt-get install -y chromium')
  }
  await mkdir(path.resolve(webRoot, '../../artifacts/e2e'), { recursive: true })
  // vitest sets NODE_ENV=test, which would make vite bundle React's development build.
  const previous = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({
      root: webRoot,
      mode: 'production',
      logLevel: 'warn',
      configFile: path.join(webRoot, 'vite.config.ts'),
    })
  } finally {
    process.env.NODE_ENV = previous
  }
}
