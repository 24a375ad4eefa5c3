import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { measureBundle } from '../scripts/bundle-size.ts'

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist')

describe('JavaScript budget of the built webmail (issue 6: initial JS under 200 KB gzipped)', () => {
  it('stays under 200 KB gzipped up to the signed-in mailbox; compose and settings load on demand', async () => {
    const size = await measureBundle(dist)
    console.log(
      `initial JS ${(size.initialGzipBytes / 1024).toFixed(1)} KB gz, signed-in ${(size.signedInGzipBytes / 1024).toFixed(1)} KB gz`,
    )
    expect(size.signedInGzipBytes).toBeLessThan(200 * 1024)
    expect(size.initialGzipBytes).toBeLessThanOrEqual(size.signedInGzipBytes)
    const lazy = Object.keys(size.files).filter((f) => /compose-panel|settings-dialog/.test(f))
    expect(lazy).toEqual([])
  })
})
