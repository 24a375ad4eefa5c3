import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Db } from '../src/db.ts'
import {
  blockMatches,
  blockSender,
  changePassword,
  claimVacationReply,
  createAsSession,
  createUser,
  findAsSession,
  findUser,
  getUserPrefs,
  getVacation,
  isSenderBlocked,
  issueRefreshToken,
  listBlockedSenders,
  rotateRefreshToken,
  setDisplayName,
  setUserPrefs,
  setVacation,
  unblockSender,
  vacationActive,
  verifyPassword,
  WrongPasswordError,
} from '../src/index.ts'
import { tempDb } from './helpers.ts'

let db: Db
let cleanup: () => Promise<void>
const ME = 'alice@example.org'

beforeEach(async () => {
  ;({ db, cleanup } = await tempDb())
  await createUser(db, {
    email: ME,
    password: 'alice-password-1',
    name: 'Alice',
    scrypt: { N: 1024, r: 8, p: 1 },
  })
})
afterEach(() => cleanup())

describe('webmail preferences', () => {
  it('returns the defaults, then merges what was saved', async () => {
    await expect(getUserPrefs(db, ME)).resolves.toMatchObject({ readingPane: 'right', remoteContent: 'ask' })
    await setUserPrefs(db, ME, { readingPane: 'bottom', signatures: { [ME]: '-- Alice' } })
    await setUserPrefs(db, ME, { density: 'compact' })
    await expect(getUserPrefs(db, ME)).resolves.toMatchObject({
      readingPane: 'bottom',
      density: 'compact',
      signatures: { [ME]: '-- Alice' },
    })
  })

  it('sets and clears the display name', async () => {
    await setDisplayName(db, ME, '  Alice Liddell ')
    expect((await findUser(db, ME))?.name).toBe('Alice Liddell')
    await setDisplayName(db, ME, '')
    expect((await findUser(db, ME))?.name).toBeNull()
  })
})

describe('blocked senders', () => {
  it('blocks by address and by @domain, case-insensitively, and unblocks', async () => {
    await blockSender(db, ME, 'Spam@Example.NET')
    await blockSender(db, ME, '*@junk.example')
    await expect(listBlockedSenders(db, ME)).resolves.toEqual(['@junk.example', 'spam@example.net'])
    await expect(isSenderBlocked(db, ME, 'spam@example.net')).resolves.toBe(true)
    await expect(isSenderBlocked(db, ME, 'anyone@junk.example')).resolves.toBe(true)
    await expect(isSenderBlocked(db, ME, 'friend@example.net')).resolves.toBe(false)
    await expect(isSenderBlocked(db, 'bob@example.org', 'spam@example.net')).resolves.toBe(false)
    await unblockSender(db, ME, 'spam@example.net')
    await expect(isSenderBlocked(db, ME, 'spam@example.net')).resolves.toBe(false)
    expect(blockMatches('@junk.example', 'x@notjunk.example')).toBe(false)
  })
})

describe('vacation reply bookkeeping', () => {
  it('answers a sender once per period and again after it', async () => {
    const claim = (now: number) =>
      claimVacationReply(db, { account: ME, sender: 'Bob@x.example', now, periodSeconds: 100 })
    await expect(claim(1000)).resolves.toBe(true)
    await expect(claim(1050)).resolves.toBe(false)
    await expect(claim(1100)).resolves.toBe(true)
  })

  it('is active only when on, with text, inside its dates; turning it off forgets who was answered', async () => {
    const v = {
      enabled: true,
      subject: 'Away',
      text: 'Back Monday',
      startsAt: 100,
      endsAt: 200,
      periodDays: 7,
    }
    expect(vacationActive(v, 150)).toBe(true)
    expect(vacationActive(v, 99)).toBe(false)
    expect(vacationActive(v, 200)).toBe(false)
    expect(vacationActive({ ...v, text: ' ' }, 150)).toBe(false)
    await setVacation(db, ME, v)
    await expect(getVacation(db, ME)).resolves.toEqual(v)
    await claimVacationReply(db, { account: ME, sender: 'bob@x.example', now: 150, periodSeconds: 1e6 })
    await setVacation(db, ME, { ...v, enabled: false })
    await expect(
      claimVacationReply(db, { account: ME, sender: 'bob@x.example', now: 151, periodSeconds: 1e6 }),
    ).resolves.toBe(true)
  })
})

describe('password change', () => {
  it('needs the current password, then revokes every other session and refresh family', async () => {
    const now = Math.floor(Date.now() / 1000)
    const mine = await issueRefreshToken(
      db,
      { account: ME, clientId: 'webmail', scope: 'mail' },
      { now, ttlSeconds: 3600 },
    )
    const other = await issueRefreshToken(
      db,
      { account: ME, clientId: 'webmail', scope: 'mail' },
      { now, ttlSeconds: 3600 },
    )
    const session = await createAsSession(db, ME, { now, ttlSeconds: 3600 })
    await expect(
      changePassword(db, { email: ME, current: 'wrong-password', next: 'new-password-2', now }),
    ).rejects.toBeInstanceOf(WrongPasswordError)
    await expect(
      changePassword(db, { email: ME, current: 'alice-password-1', next: 'short', now }),
    ).rejects.toThrow(/8 to 1024/)
    const result = await changePassword(db, {
      email: ME,
      current: 'alice-password-1',
      next: 'new-password-2',
      keepRefreshToken: mine.refreshToken,
      now,
    })
    expect(result.revokedFamilies).toBe(1)
    await expect(verifyPassword(db, ME, 'new-password-2')).resolves.toBeDefined()
    await expect(verifyPassword(db, ME, 'alice-password-1')).resolves.toBeUndefined()
    await expect(findAsSession(db, session, now)).resolves.toBeUndefined()
    expect(
      (await rotateRefreshToken(db, mine.refreshToken, { now, ttlSeconds: 3600, clientId: 'webmail' }))
        .status,
    ).toBe('ok')
    expect(
      (await rotateRefreshToken(db, other.refreshToken, { now, ttlSeconds: 3600, clientId: 'webmail' }))
        .status,
    ).toBe('revoked')
  })
})
