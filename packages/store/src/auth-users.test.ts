import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDb } from '../test/helpers.ts'
import { consumeAuthCode, createAuthCode, recordCodeIssue } from './auth-codes.ts'
import { issueRefreshToken, liveRefreshTokens, rotateRefreshToken } from './auth-refresh.ts'
import { createReplayStore } from './auth-replay.ts'
import type { Db } from './db.ts'
import {
  checkPasswordHash,
  createUser,
  findUser,
  forwardAllowed,
  resetPassword,
  setForwardPolicy,
  setUserDisabled,
  verifyPassword,
} from './users.ts'

const cheap = { N: 1024, r: 8, p: 1 }
let db: Db
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
})
afterEach(async () => cleanup())

describe('users', () => {
  it('hashes with scrypt, per-user salt and stored parameters; verifies; disables; resets', async () => {
    await createUser(db, {
      email: 'Alice@Example.com',
      password: 'correct horse',
      domain: 'example.com',
      scrypt: cheap,
    })
    await createUser(db, { email: 'bob@example.com', password: 'correct horse', scrypt: cheap })
    const rows = await db
      .selectFrom('users')
      .select(['account', 'password_hash'])
      .orderBy('account')
      .execute()
    expect(rows.map((r) => r.account)).toEqual(['alice@example.com', 'bob@example.com'])
    expect(rows[0]?.password_hash).toMatch(/^scrypt\$1024\$8\$1\$/)
    expect(rows[0]?.password_hash).not.toBe(rows[1]?.password_hash)
    expect(await verifyPassword(db, 'ALICE@example.com', 'correct horse')).toMatchObject({
      email: 'alice@example.com',
    })
    expect(await verifyPassword(db, 'alice@example.com', 'wrong horse')).toBeUndefined()
    expect(await verifyPassword(db, 'nobody@example.com', 'correct horse')).toBeUndefined()
    await setUserDisabled(db, 'alice@example.com', true)
    expect(await verifyPassword(db, 'alice@example.com', 'correct horse')).toBeUndefined()
    expect((await findUser(db, 'alice@example.com'))?.disabled).toBe(true)
    await setUserDisabled(db, 'alice@example.com', false)
    await resetPassword(db, 'alice@example.com', 'battery staple', cheap)
    expect(await verifyPassword(db, 'alice@example.com', 'correct horse')).toBeUndefined()
    expect(await verifyPassword(db, 'alice@example.com', 'battery staple')).toBeDefined()
  })

  it('rejects foreign domains, bad addresses, short passwords and duplicates without writing', async () => {
    await expect(
      createUser(db, { email: 'eve@example.net', password: 'long enough', domain: 'example.com' }),
    ).rejects.toMatchObject({ code: 'wrong_domain' })
    await expect(createUser(db, { email: 'not an address', password: 'long enough' })).rejects.toMatchObject({
      code: 'invalid_address',
    })
    await expect(createUser(db, { email: 'a@example.com', password: 'short' })).rejects.toMatchObject({
      code: 'weak_password',
    })
    expect(await db.selectFrom('users').selectAll().execute()).toEqual([])
    await createUser(db, { email: 'a@example.com', password: 'long enough', scrypt: cheap })
    await expect(
      createUser(db, { email: 'A@example.com', password: 'other long', scrypt: cheap }),
    ).rejects.toMatchObject({ code: 'user_exists' })
    await expect(setUserDisabled(db, 'ghost@example.com', true)).rejects.toMatchObject({
      code: 'no_such_user',
    })
    expect(await checkPasswordHash('x', 'md5$abc')).toBe(false)
  })

  it('applies the forwarding policy', async () => {
    await createUser(db, { email: 'bob@example.net', password: 'long enough', scrypt: cheap })
    const bob = async () => (await findUser(db, 'bob@example.net'))!
    expect(forwardAllowed(await bob(), 'example.org')).toBe(true)
    await setForwardPolicy(db, 'bob@example.net', 'denied')
    expect(forwardAllowed(await bob(), 'example.org')).toBe(false)
    await setForwardPolicy(db, 'bob@example.net', 'domains', ['Example.ORG'])
    expect(forwardAllowed(await bob(), 'example.org')).toBe(true)
    expect(forwardAllowed(await bob(), 'example.com')).toBe(false)
  })
})

describe('codes, refresh tokens, replay cache', () => {
  const grant = {
    clientId: 'web',
    account: 'a@example.com',
    redirectUri: 'https://x/callback',
    codeChallenge: 'c',
    scope: 'mail',
  }

  it('codes are single-use and expire; only the hash is stored', async () => {
    const code = await createAuthCode(db, grant, { now: 100, ttlSeconds: 60 })
    expect(JSON.stringify(await db.selectFrom('auth_codes').selectAll().execute())).not.toContain(code)
    expect((await consumeAuthCode(db, code, 110)).status).toBe('ok')
    expect((await consumeAuthCode(db, code, 111)).status).toBe('replayed')
    // The first redemption learns of the replay when it records what it issued.
    const first = await db.selectFrom('auth_codes').select('code_hash').executeTakeFirstOrThrow()
    expect(
      await recordCodeIssue(db, first.code_hash, { familyId: 'f', accessJti: 'j', accessExp: 200 }),
    ).toBe(true)
    expect((await consumeAuthCode(db, 'nope', 111)).status).toBe('unknown')
    const late = await createAuthCode(db, grant, { now: 100, ttlSeconds: 60 })
    expect((await consumeAuthCode(db, late, 160)).status).toBe('expired')
  })

  it('refresh tokens rotate; reuse revokes the family', async () => {
    const first = await issueRefreshToken(
      db,
      { account: 'a@example.com', clientId: 'web', scope: 'mail' },
      { now: 1, ttlSeconds: 100 },
    )
    const second = await rotateRefreshToken(db, first.refreshToken, {
      now: 2,
      ttlSeconds: 100,
      clientId: 'web',
    })
    expect(second.status).toBe('ok')
    expect(await liveRefreshTokens(db, first.familyId, 3)).toBe(1)
    expect(
      (await rotateRefreshToken(db, first.refreshToken, { now: 3, ttlSeconds: 100, clientId: 'web' })).status,
    ).toBe('reused')
    expect(await liveRefreshTokens(db, first.familyId, 3)).toBe(0)
    if (second.status !== 'ok') throw new Error('unreachable')
    expect(
      (await rotateRefreshToken(db, second.refreshToken, { now: 4, ttlSeconds: 100, clientId: 'web' }))
        .status,
    ).toBe('revoked')
    const other = await issueRefreshToken(
      db,
      { account: 'a@example.com', clientId: 'web', scope: 'mail' },
      { now: 1, ttlSeconds: 100 },
    )
    expect(
      (await rotateRefreshToken(db, other.refreshToken, { now: 4, ttlSeconds: 100, clientId: 'mta' })).status,
    ).toBe('wrong_client')
    expect(
      (await rotateRefreshToken(db, other.refreshToken, { now: 200, ttlSeconds: 100, clientId: 'web' }))
        .status,
    ).toBe('expired')
  })

  it('the replay store accepts a key once until it expires', async () => {
    let now = 10
    const store = createReplayStore(db, () => now)
    expect(await store.seen('dpop:abc', 20)).toBe(false)
    expect(await store.seen('dpop:abc', 20)).toBe(true)
    now = 21
    expect(await store.seen('dpop:abc', 40)).toBe(false)
  })
})
