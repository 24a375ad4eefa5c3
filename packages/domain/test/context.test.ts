import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type DomainConfig, defaultLimits } from '@federizer/node'
import { findJwk } from '@federizer/protocol'
import { createUser, findUser, openDatabase } from '@federizer/store'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDomainContext } from '../src/context.ts'

let dir: string
let config: DomainConfig

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fz-domain-'))
  config = {
    domain: 'example.com',
    dataDir: dir,
    gatewayUrl: 'http://127.0.0.1:1/fz',
    apiUrl: 'http://127.0.0.1:2',
    mtaClientId: 'mta.example.com',
    webClientId: 'webmail.example.com',
    allowInsecureTargets: true,
    limits: { ...defaultLimits },
    undoSendSeconds: 10,
    queueTimeScale: 0.001,
  }
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
    expect(await domain.ownKeys({ alg: key.alg, kid: key.kid })).toBe(resolved) // imported once
    await expect(domain.ownKeys({ alg: key.alg, kid: 'no-such-kid' })).rejects.toMatchObject({
      code: 'unknown_key',
    })
    await domain.close()
  })
})
