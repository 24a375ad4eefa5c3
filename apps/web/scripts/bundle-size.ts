// Measures the webmail's JavaScript as a browser loads it (gzip -9 of each chunk), from the vite manifest
// of a built dist/. "initial" = the entry and its static imports (the sign-in page); "signedIn" adds the
// mail app chunk loaded right after sign-in. Run: npx tsx scripts/bundle-size.ts [distDir]
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

interface ManifestChunk {
  file: string
  isEntry?: boolean
  imports?: string[]
  dynamicImports?: string[]
  name?: string
  src?: string
}

export interface BundleSize {
  initialGzipBytes: number
  signedInGzipBytes: number
  files: Record<string, number>
}

/** Sums gzipped sizes over the static import closure of the entry (and of the mail app chunk). */
export async function measureBundle(distDir: string): Promise<BundleSize> {
  const manifest = JSON.parse(await readFile(path.join(distDir, '.vite/manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >
  const files: Record<string, number> = {}
  const gz = async (file: string) => {
    files[file] ??= gzipSync(await readFile(path.join(distDir, file)), { level: 9 }).length
    return files[file] as number
  }
  const closure = (keys: string[]) => {
    const seen = new Set<string>()
    const walk = (key: string) => {
      if (seen.has(key)) return
      seen.add(key)
      for (const dep of manifest[key]?.imports ?? []) walk(dep)
    }
    keys.forEach(walk)
    return seen
  }
  const entry = Object.keys(manifest).find((k) => manifest[k]?.isEntry)
  if (!entry) throw new Error('no entry chunk in the manifest')
  const mailApp = Object.keys(manifest).find((k) => k.endsWith('src/app/mail-app.tsx'))
  let initial = 0
  for (const key of closure([entry])) initial += await gz((manifest[key] as ManifestChunk).file)
  let signedIn = 0
  for (const key of closure(mailApp ? [entry, mailApp] : [entry]))
    signedIn += await gz((manifest[key] as ManifestChunk).file)
  return { initialGzipBytes: initial, signedInGzipBytes: signedIn, files }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = process.argv[2] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist')
  console.log(JSON.stringify(await measureBundle(dist), null, 2))
}
