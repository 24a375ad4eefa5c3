import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { joseKinds } from './vector-kinds/jose.ts'

/**
 * Runs this area's vector files on their own, so the jose vectors are pinned even where the shared
 * vectors.test.ts (which dispatches every file by kind) is not present.
 */
const dir = join(import.meta.dirname, '..', 'test-vectors')
const files = readdirSync(dir).filter((f) =>
  /^(pkce|thumbprints|dpop|tokens|client-assertion).*\.json$/.test(f),
)

describe('jose test vectors', () => {
  it('finds every vector file of this area', () => {
    expect(files.sort()).toEqual(
      expect.arrayContaining([
        'client-assertion.json',
        'dpop-proofs.json',
        'pkce.json',
        'thumbprints.json',
        'tokens.json',
      ]),
    )
  })
  for (const file of files) {
    const { kind, vectors } = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    describe(`${file} (${kind})`, () => {
      for (const vector of vectors) {
        it(vector.name, async () => {
          const run = joseKinds[kind]
          expect(run, `no runner for kind ${kind}`).toBeDefined()
          await run!(vector)
        })
      }
    })
  }
})
