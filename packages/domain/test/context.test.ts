import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { DomainConfig } from '@federizer/node'
import { findJwk, type SigningKey, signJwt, verifyJwt } from '@federizer/protocol'
import { createUser, findUser, openDatabase, rotateSigningKey } from '@federizer/store'
import { type CryptoKey, importJWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDomainContext } from '../src/context.ts'
import { testDomainConfig } from './domain-config.ts'

let dir: string
let config: DomainConfig

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fz-domain-'))
  config = testDomainConfig(dir, { queueTimeScale: 0.001 })
})
afterEach(async () => rm(dir, { recursive: true, force: true }))

describe('createDomainContext', () => {
  it('opens the database once, loads the keys once and reads the queue time scale once', async () => {
    const domain = await createDomainContext(config)
    await createUser(domain.db, { email: 'alice@example.com', password: 'a long password' })
    expect(await findUser(domain.db, 'alice@example.com')).toBeDefined()
    expect(domain.schedule).toMatchObject({ scale: 0.001, lifetimeSeconds: 432, leaseSeconds: 2 })
    expect(domain.mtaTokens.tokenEndpoint).toBe('http://127.0.0.1:1/fz/token')
    expect(domain.resources.dir).toBe(path.join(dir, 'resources'))
    await domain.close()
    await domain.close() // idempotent
    // Closed means closed: the connection it opened is gone.
    await expect(findUser(domain.db, 'alice@example.com')).rejects.toThrow()
  })

  it('uses a given database without closing it (the launcher owns it)', async () => {
    const db = await openDatabase(path.join(dir, 'mail.sqlite'))
    const domain = await createDomainContext(config, { db })
    expect(domain.db).toBe(db)
    await domain.close()
    await createUser(db, { email: 'bob@example.com', password: 'a long password' })
    expect(await findUser(db, 'bob@example.com')).toBeDefined()
    await db.destroy()
  })

  it('one replay store: a jti is accepted once, until it expires', async () => {
    let t = 1000
    const domain = await createDomainContext(config, { now: () => t })
    expect(await domain.replay.seen('dpop:k:1', 1060)).toBe(false)
    expect(await domain.replay.seen('dpop:k:1', 1060)).toBe(true)
    t = 1061
    expect(await domain.replay.seen('dpop:k:1', 1121)).toBe(false)
    await domain.close()
  })

  it('one key resolver: resolves the AS keys it publishes, refuses a kid it does not', async () => {
    const domain = await createDomainContext(config)
    const key = domain.keys.activeSigningKey()
    const jwk = findJwk(domain.keys.publicJwks(), key.kid, key.alg)
    expect(jwk).toBeDefined()
    const resolved = await domain.ownKeys({ alg: key.alg, kid: key.kid })
    expect(resolved).toMatchObject({ signsFrom: domain.keys.signingWindow(key.kid)?.from })
    const again = await domain.ownKeys({ alg: key.alg, kid: key.kid })
    expect('key' in again && 'key' in resolved && again.key === resolved.key).toBe(true) // imported once
    await expect(domain.ownKeys({ alg: key.alg, kid: 'no-such-kid' })).rejects.toMatchObject({
      code: 'unknown_key',
    })
    await domain.close()
  })

  it("own keys: a token verifies only if its iat is inside the key's signing window; a removed key at once", async () => {
    let t = 1_800_000_000
    const domain = await createDomainContext(config, { now: () => t })
    const old = domain.keys.activeSigningKey()
    const verifyAt = async (key: SigningKey, iat: number) =>
      verifyJwt(await signJwt({ iat, exp: iat + 3600 }, key, 'at+jwt'), {
        typ: 'at+jwt',
        resolveKey: domain.ownKeys,
        now: t,
      })
    await verifyAt(old, t)
    await expect(verifyAt(old, t - 61)).rejects.toMatchObject({ code: 'key_not_valid' })
    t += 1000
    const rotated = await rotateSigningKey(config, 'ES256', { now: t, publishAheadSeconds: 100 })
    const next: SigningKey = {
      kid: rotated.kid,
      alg: rotated.alg,
      privateKey: (await importJWK(rotated.privateJwk, rotated.alg)) as CryptoKey,
    }
    t += 1 // the key file is re-read at most once per second of the clock
    await verifyAt(old, t) // the old key signs until the new one activates...
    t += 200
    await expect(verifyAt(old, t)).rejects.toMatchObject({ code: 'key_not_valid' }) // ...not after
    await verifyAt(old, t - 150) // what it signed in its window still verifies
    await expect(verifyAt(next, t - 200)).rejects.toMatchObject({ code: 'key_not_valid' })
    await verifyAt(next, t)
    // The operator removes the old key from the file: refused at once, no restart.
    const file = path.join(dir, 'keys', 'as-signing.json')
    const stored = JSON.parse(await readFile(file, 'utf8')) as { keys: Array<{ kid: string }> }
    await writeFile(file, JSON.stringify({ keys: stored.keys.filter((k) => k.kid !== old.kid) }))
    t += 1
    await expect(verifyAt(old, t - 151)).rejects.toMatchObject({ code: 'unknown_key' })
    await domain.close()
  })
})
