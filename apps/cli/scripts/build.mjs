#!/usr/bin/env node
// Builds the `federizer` command to JavaScript (apps/cli/dist): our workspaces are bundled from their
// TypeScript sources, npm dependencies stay external (loaded from node_modules as usual). Every command
// is its own chunk, loaded on demand, so `federizer --help` does not load the servers.
// `import.meta.url` keeps pointing at each source file, so paths relative to the sources (the OpenAPI
// document, the webmail's dist, the gateway's main.ts) resolve as when run from source.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const started = Date.now()
await build({
  entryPoints: [path.join(cli, 'src', 'main.ts')],
  outdir: path.join(cli, 'dist'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
  plugins: [
    {
      name: 'federizer',
      setup(b) {
        // npm packages stay external; our own workspaces (@federizer/*) are bundled.
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@federizer/') || args.path.startsWith('node:')
            ? undefined
            : { external: true },
        )
        b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
          const source = await readFile(args.path, 'utf8')
          return {
            contents: source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
            loader: args.path.endsWith('x') ? 'tsx' : 'ts',
          }
        })
      },
    },
  ],
})
console.log(`built apps/cli/dist in ${Date.now() - started} ms`)
