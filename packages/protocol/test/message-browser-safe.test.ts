import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

/** `@federizer/protocol/message` runs in the browser: its module graph may only reach these. */
const ALLOWED = [/^\.\/[a-z-]+\.ts$/, /^\.\.\/errors\.ts$/, /^zod$/, /^yaml$/]
const dir = new URL('../src/message/', import.meta.url)

describe('@federizer/protocol/message is browser-safe', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    it(`${file} imports nothing Node-specific`, () => {
      const source = readFileSync(new URL(file, dir), 'utf8')
      const specifiers = [...source.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]!)
      for (const s of specifiers)
        expect(
          ALLOWED.some((re) => re.test(s)),
          `${file} imports ${s}`,
        ).toBe(true)
      expect(source).not.toMatch(/\bBuffer\b|\bprocess\./)
    })
  }
})
