import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { calculateJwkThumbprint } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KeyStoreError, loadOrCreateDomainKeys, readSigningKeys, rotateSigningKey } from './keys.ts'

let dataDir: string
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'fz-keys-'))
})
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true })
})

describe('domain keys on disk', () => {
  it('creates ES256 keys in a 0700 folder with 0600 files, kid = RFC 7638 thumbprint', async () => {
    const keys = await loadOrCreateDomainKeys({ dataDir })
    const dir = path.join(dataDir, 'keys')
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700)
    for (const f of ['as-signing.json', 'mta-client.json'])
      expect((await fs.stat(path.join(dir, f))).mode & 0o777).toBe(0o600)
    const [jwk] = keys.publicJwks().keys
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(jwk).not.toHaveProperty('d')
    expect(jwk?.kid).toBe(await calculateJwkThumbprint(jwk!, 'sha256'))
    expect(keys.activeSigningKey().kid).toBe(jwk?.kid)
    expect(keys.mtaClientKey.publicJwk).not.toHaveProperty('d')
    // A second open (another process, the api) reads the same keys rather than making new ones.
    const again = await loadOrCreateDomainKeys({ dataDir })
    expect(again.activeSigningKey().kid).toBe(keys.activeSigningKey().kid)
    expect(again.mtaClientKey.kid).toBe(keys.mtaClientKey.kid)
  })

  it('two concurrent first starts agree on one key', async () => {
    const [a, b] = await Promise.all([
      loadOrCreateDomainKeys({ dataDir }),
      loadOrCreateDomainKeys({ dataDir }),
    ])
    expect(a.activeSigningKey().kid).toBe(b.activeSigningKey().kid)
    expect((await fs.readdir(path.join(dataDir, 'keys'))).sort()).toEqual([
      'as-signing.json',
      'mta-client.json',
    ])
  })

  it.each(['EdDSA', 'RS256'] as const)('supports %s', async (alg) => {
    const keys = await loadOrCreateDomainKeys({ dataDir }, { alg })
    expect(keys.activeSigningKey().alg).toBe(alg)
    expect(keys.publicJwks().keys[0]).toMatchObject({ alg, use: 'sig' })
  })

  it('rotation publishes the new key first, signs with it later, keeps the old one published', async () => {
    let now = 1_000_000
    const keys = await loadOrCreateDomainKeys({ dataDir }, { now: () => now })
    const first = keys.activeSigningKey().kid
    const next = await rotateSigningKey({ dataDir }, 'EdDSA', { now, publishAheadSeconds: 3600 })
    now += 2
    expect(await keys.refresh()).toBe(true)
    expect(keys.publicJwks().keys.map((k) => k.kid)).toEqual([first, next.kid])
    expect(keys.activeSigningKey().kid).toBe(first)
    now += 3600
    expect(keys.activeSigningKey().kid).toBe(next.kid)
    expect(keys.publicJwks().keys.map((k) => k.kid)).toContain(first)
    const stored = await readSigningKeys({ dataDir })
    expect(stored[0]?.retiredAt).toBe(next.activatesAt)
    expect((await fs.stat(path.join(dataDir, 'keys', 'as-signing.json'))).mode & 0o777).toBe(0o600)
  })

  it('refuses a damaged key file with a typed error', async () => {
    await loadOrCreateDomainKeys({ dataDir })
    await fs.writeFile(path.join(dataDir, 'keys', 'as-signing.json'), '{"keys": [{"kid": 1}]}')
    const failure = loadOrCreateDomainKeys({ dataDir })
    await expect(failure).rejects.toBeInstanceOf(KeyStoreError)
    await expect(failure).rejects.toMatchObject({ code: 'malformed_key_file' })
  })
})
