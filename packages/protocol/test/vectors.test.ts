import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { joseKinds } from './vector-kinds/jose.ts'
import { messageKinds } from './vector-kinds/message.ts'

/**
 * Runs EVERY file of test-vectors/: each `{ kind, description, vectors: [{ name, input, expected }] }` is
 * dispatched on `kind`; a kind without a runner fails, so no vector file can be silently skipped.
 */
const dir = new URL('../test-vectors/', import.meta.url)
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()

const overlap = Object.keys(messageKinds).filter((k) => k in joseKinds)
const runners = { ...joseKinds, ...messageKinds }

describe('test vectors', () => {
  it('has vector files and no kind with two runners', () => {
    expect(files.length).toBeGreaterThan(0)
    expect(overlap).toEqual([])
  })

  for (const file of files) {
    const parsed = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as {
      kind?: unknown
      description?: unknown
      vectors?: Array<{ name: string; input: unknown; expected: unknown }>
    }
    describe(file, () => {
      it('is a well-formed vector file whose kind has a runner', () => {
        expect(typeof parsed.kind).toBe('string')
        expect(typeof parsed.description).toBe('string')
        expect(Array.isArray(parsed.vectors) && parsed.vectors.length > 0).toBe(true)
        expect(runners[parsed.kind as string], `no runner for kind "${String(parsed.kind)}"`).toBeTypeOf(
          'function',
        )
      })
      for (const vector of parsed.vectors ?? []) {
        it(vector.name, async () => {
          const run = runners[parsed.kind as string]
          if (!run) throw new Error(`no runner for kind "${String(parsed.kind)}" (${file})`)
          expect(vector).toHaveProperty('input')
          expect(vector).toHaveProperty('expected')
          await run(vector)
        })
      }
    })
  }
})
