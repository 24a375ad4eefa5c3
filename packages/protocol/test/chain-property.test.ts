import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { verifyChain } from '../src/envelope/index.ts'
import { isProtocolError } from '../src/errors.ts'
import { type PlaceholderMessage, parseMessageJson, serializeMessageJson } from '../src/message/index.ts'
import { buildTwoHopChain, testResolveKey, VERIFY_AT } from './fixtures/two-hop-chain.ts'

/** A path to one string of the model: header name, header value (or pair element), assertion. */
type Site = { path: (string | number)[]; value: string }

function sites(m: PlaceholderMessage): Site[] {
  const out: Site[] = []
  const walk = (v: unknown, path: (string | number)[]) => {
    if (typeof v === 'string') out.push({ path, value: v })
    else if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, [...path, i])
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k])
  }
  walk(m, [])
  return out
}

function mutate(m: PlaceholderMessage, site: Site, index: number, replacement: string): PlaceholderMessage {
  const copy = structuredClone(m) as unknown as Record<string | number, unknown>
  let target = copy
  for (const key of site.path.slice(0, -1)) target = target[key] as Record<string | number, unknown>
  const chars = [...site.value]
  chars[index] = replacement
  target[site.path.at(-1)!] = chars.join('')
  return copy as unknown as PlaceholderMessage
}

/** True when the change is caught: the message no longer parses, or the chain no longer verifies. */
async function detected(m: PlaceholderMessage): Promise<boolean> {
  let parsed: PlaceholderMessage
  try {
    parsed = parseMessageJson(serializeMessageJson(m))
  } catch (e) {
    if (isProtocolError(e)) return true
    throw e
  }
  const v = await verifyChain(parsed, {
    resolveKey: testResolveKey(),
    now: VERIFY_AT,
    lastHopMustBeFresh: true,
  })
  return !v.ok
}

let chain: PlaceholderMessage
let all: Site[]
beforeAll(async () => {
  chain = (await buildTwoHopChain()).toBobby
  all = sites(chain)
})

describe('a signed two-hop chain (property)', { timeout: 60_000 }, () => {
  it('verifies untouched', async () => {
    expect(await detected(chain)).toBe(false)
  })

  it('detects any single-character change in any header name or value, assertion or body part', async () => {
    const replacement = fc.oneof(
      fc.constantFrom(...'aAzZ09-_.:<>@ ;,"'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    )
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), replacement, async (s, i, r) => {
        const site = all[s % all.length]!
        const chars = [...site.value]
        if (chars.length === 0) return
        const index = i % chars.length
        fc.pre(chars[index] !== r)
        expect(await detected(mutate(chain, site, index, r))).toBe(true)
      }),
      { numRuns: 400, seed: 20241222 },
    )
  })

  it('detects, exhaustively, a change of every character of the chain to its neighbour', async () => {
    let checked = 0
    for (const site of all) {
      const chars = [...site.value]
      for (let i = 0; i < chars.length; i++) {
        const code = chars[i]!.codePointAt(0)!
        const next = String.fromCodePoint(code === 0x7e ? 0x21 : code + 1)
        expect(await detected(mutate(chain, site, i, next)), `${site.path.join('.')}[${i}]`).toBe(true)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(2500)
  })

  it('detects any single-byte change of the serialized JSON', async () => {
    const bytes = new TextEncoder().encode(serializeMessageJson(chain))
    const text = new TextDecoder().decode(bytes)
    const received = text.indexOf('from example.com by example.net; ')
    const dateStart = new TextEncoder().encode(text.slice(0, text.indexOf('; ', received) + 2)).length
    const dateEnd = new TextEncoder().encode(text.slice(0, text.indexOf('"', received))).length
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: bytes.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        async (at, byte) => {
          fc.pre(bytes[at] !== byte && (at < dateStart || at >= dateEnd))
          const changed = bytes.slice()
          changed[at] = byte
          let json: string
          try {
            json = new TextDecoder('utf-8', { fatal: true }).decode(changed)
          } catch {
            return // not UTF-8 any more: refused before parsing
          }
          let parsed: PlaceholderMessage
          try {
            parsed = parseMessageJson(json)
          } catch (e) {
            expect(isProtocolError(e)).toBe(true)
            return
          }
          expect(await detected(parsed)).toBe(true)
        },
      ),
      { numRuns: 400, seed: 20241222 },
    )
  })

  it('detects a case flip of every header name character in the envelope', async () => {
    for (const site of all) {
      if (site.path[0] !== 'envelope' || site.path[4] !== 0) continue
      for (let i = 0; i < site.value.length; i++) {
        const c = site.value[i]!
        const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()
        if (flipped === c) continue
        expect(await detected(mutate(chain, site, i, flipped)), `${site.value}[${i}]`).toBe(true)
      }
    }
  })

  it("detects a change of the date in the forwarding block's Received (the forwarder signs it)", async () => {
    const site = all.find((x) => x.value.startsWith('from example.com by example.net; '))!
    const index = site.value.indexOf('58:14') + 1
    expect(await detected(mutate(chain, site, index, '7'))).toBe(true)
    expect(await detected(mutate(chain, site, site.value.indexOf('example.com'), 'E'))).toBe(true)
  })
})
