import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { DomainConfig } from '@federizer/node'
import { createDpopKey, TokenExchangeError } from '@federizer/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDomainContext } from '../src/context.ts'
import type { InProcessTokenEndpoint, MtaExchange } from '../src/mta-tokens.ts'
import { testDomainConfig } from './domain-config.ts'

let dir: string
let config: DomainConfig
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fz-mta-tokens-'))
  config = testDomainConfig(dir)
})
afterEach(async () => rm(dir, { recursive: true, force: true }))

const exchange = async (): Promise<MtaExchange> => ({
  dpopKey: await createDpopKey(),
  subjectToken: 'a.b.c',
  subjectTokenType: 'access_token',
  requestedTokenType: 'jwt',
  headers: [],
})

/** An AS stand-in that records each request it is handed and refuses it as the AS would answer. */
function recordingEndpoint() {
  const seen: { form: URLSearchParams; jkt: string }[] = []
  const endpoint: InProcessTokenEndpoint = async (request) => {
    seen.push(request)
    return {
      status: 400,
      headers: { 'Cache-Control': 'no-store' },
      body: { error: 'invalid_grant', error_description: 'refused in process' },
    }
  }
  return { seen, endpoint }
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => (e instanceof TokenExchangeError ? e.error : e),
  )

describe('MtaTokenClient.useInProcess', () => {
  it("hands the exchange's form and the ephemeral key's thumbprint to the in-process AS until stopped", async () => {
    const domain = await createDomainContext(config)
    try {
      const { seen, endpoint } = recordingEndpoint()
      const stop = domain.mtaTokens.useInProcess(endpoint)
      const key = await createDpopKey()
      expect(await errorOf(domain.mtaTokens.exchange({ ...(await exchange()), dpopKey: key }))).toBe(
        'invalid_grant',
      )
      expect(seen).toHaveLength(1)
      const form = seen[0]!.form
      expect(form.get('subject_token')).toBe('a.b.c')
      expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange')
      // No client authentication and no proof: nothing to prove inside the process that holds both keys.
      expect(form.has('client_assertion')).toBe(false)
      expect(form.has('client_id')).toBe(false)
      expect(seen[0]!.jkt).toBe(key.jkt)
      stop()
      expect(await errorOf(domain.mtaTokens.exchange(await exchange()))).toBe('network_error')
      expect(seen).toHaveLength(1)
    } finally {
      await domain.close()
    }
  })

  it('a context given its own fetch keeps every exchange on it', async () => {
    const urls: string[] = []
    const recording: typeof fetch = async (url, init) => {
      urls.push(String(url))
      return fetch(url, init)
    }
    const domain = await createDomainContext(config, { fetch: recording })
    try {
      const { seen, endpoint } = recordingEndpoint()
      domain.mtaTokens.useInProcess(endpoint)
      expect(await errorOf(domain.mtaTokens.exchange(await exchange()))).toBe('network_error')
      expect(urls).toEqual(['http://127.0.0.1:1/fz/token'])
      expect(seen).toEqual([])
    } finally {
      await domain.close()
    }
  })
})
