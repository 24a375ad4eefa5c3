import { readFileSync } from 'node:fs'
import { defaultLimits } from '@federizer/node'
import { keyResolverFromJwks, type PlaceholderMessage, verifyChain } from '@federizer/protocol'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { deliveryExampleValue, withGeneratedExample } from '../../../openapi/scripts/delivery-example.ts'
import { parseDeliveryBody } from '../src/federation/delivery.ts'
import { OPENAPI_FILE } from './contract.ts'

const text = readFileSync(OPENAPI_FILE, 'utf8')
const example = (parse(text) as { components: { examples: Record<string, { value: unknown }> } }).components
  .examples.DeliveryRequest!.value as { recipients: string[]; placeholder: PlaceholderMessage }

describe('the openapi DeliveryRequest example', () => {
  it('is the generated one (openapi/scripts/delivery-example.ts, from the chain vector)', () => {
    expect(withGeneratedExample(text)).toBe(text)
    expect(example).toEqual(deliveryExampleValue())
  })

  it("passes the gateway's own delivery parser", () => {
    const parsed = parseDeliveryBody(example, defaultLimits.maxPlaceholderBytes)
    expect(parsed.recipients).toEqual(['bob@example.net'])
    expect(parsed.placeholder.envelope).toHaveLength(2)
  })

  it('is self-consistent: digests, eht and signature verify with the issuer keys of the vector', async () => {
    const vector = (
      JSON.parse(
        readFileSync(
          new URL('../../../packages/protocol/test-vectors/chain-two-hop.json', import.meta.url),
          'utf8',
        ),
      ) as { vectors: { name: string; input: { jwks: Record<string, never>; now: number } }[] }
    ).vectors.find((v) => v.name === 'delivered to example.net')!
    const result = await verifyChain(example.placeholder, {
      now: vector.input.now,
      lastHopMustBeFresh: true,
      resolveKey: (iss) => keyResolverFromJwks(vector.input.jwks[iss] ?? { keys: [] }),
    })
    expect(result.ok, JSON.stringify(result.hops)).toBe(true)
  })
})
