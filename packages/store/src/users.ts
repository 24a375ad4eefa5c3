import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import type { Db } from './db.ts'

/** A user's account as the AS and the api see it (never the password hash). */
export interface User {
  email: string
  name: string | null
  disabled: boolean
  forwardPolicy: ForwardPolicy
  forwardDomains: string[]
}

export type ForwardPolicy = 'allowed' | 'denied' | 'domains'

export type UserErrorCode =
  | 'invalid_address'
  | 'wrong_domain'
  | 'weak_password'
  | 'user_exists'
  | 'no_such_user'
  | 'invalid_quota'

/** Failures of the user operations; `code` is stable for programs, the message is for people. */
export class UserError extends Error {
  override readonly name = 'UserError'
  constructor(
    readonly code: UserErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/** scrypt cost parameters; stored with each hash so they can be raised without breaking old accounts. */
export interface ScryptParams {
  N: number
  r: number
  p: number
}

/** 2^15 × 8 × 128 B = 32 MiB of memory per hash (OWASP's scrypt baseline). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 }
const KEY_LENGTH = 32
const MIN_PASSWORD = 8
const MAX_PASSWORD = 1024
const ADDRESS =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/

/** Lower-cases and checks an addr-spec; throws UserError('invalid_address'). */
export function normalizeAccount(email: string): string {
  const account = email.trim().toLowerCase()
  if (account.length > 254 || !ADDRESS.test(account)) {
    throw new UserError('invalid_address', `"${email}" is not a valid mail address (local@domain)`)
  }
  return account
}

function scryptAsync(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  )
}

/** Hashes a password with scrypt and a fresh 16-byte salt; the result embeds the parameters. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw new UserError(
      'weak_password',
      `the password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters long`,
    )
  }
  const salt = randomBytes(16)
  const key = await scryptAsync(password, salt, params)
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  )
}

/** Checks a password against a stored hash in constant time; false on any malformed hash. */
export async function checkPasswordHash(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !hash || password.length > MAX_PASSWORD) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

// A hash of a random password, checked when the account does not exist so timing does not reveal it.
let decoyHash: Promise<string> | undefined
const decoy = () => {
  decoyHash ??= hashPassword(randomBytes(18).toString('base64url'))
  return decoyHash
}

export interface CreateUserInput {
  email: string
  password: string
  name?: string
  /** When given, the address must be in this domain (the operator CLI and the seeders pass config.domain). */
  domain?: string
  forwardPolicy?: ForwardPolicy
  forwardDomains?: string[]
  /** scrypt parameters (tests lower them; production keeps the default). */
  scrypt?: ScryptParams
}

/** Creates an account; throws UserError on a bad address, a foreign domain, a weak password or a duplicate. */
export async function createUser(db: Db, input: CreateUserInput): Promise<User> {
  const account = normalizeAccount(input.email)
  if (input.domain !== undefined && account.split('@')[1] !== input.domain.toLowerCase()) {
    throw new UserError('wrong_domain', `${account} is not an address of ${input.domain}`)
  }
  const passwordHash = await hashPassword(input.password, input.scrypt)
  const now = Math.floor(Date.now() / 1000)
  const forwardDomains = normalizeDomains(input.forwardDomains ?? [])
  const inserted = await db
    .insertInto('users')
    .values({
      account,
      name: input.name ?? null,
      password_hash: passwordHash,
      forward_policy: input.forwardPolicy ?? 'allowed',
      forward_domains: JSON.stringify(forwardDomains),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('account').doNothing())
    .executeTakeFirst()
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
    throw new UserError('user_exists', `${account} already exists`)
  }
  return {
    email: account,
    name: input.name ?? null,
    disabled: false,
    forwardPolicy: input.forwardPolicy ?? 'allowed',
    forwardDomains,
  }
}

/** Finds an account by address (case-insensitive). */
export async function findUser(db: Db, email: string): Promise<User | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['account', 'name', 'disabled', 'forward_policy', 'forward_domains'])
    .where('account', '=', email.trim().toLowerCase())
    .executeTakeFirst()
  if (!row) return undefined
  return {
    email: row.account,
    name: row.name,
    disabled: row.disabled !== 0,
    forwardPolicy: row.forward_policy,
    forwardDomains: JSON.parse(row.forward_domains) as string[],
  }
}

/** Lists every account, sorted by address (operator CLI). */
export async function listUsers(db: Db): Promise<User[]> {
  const rows = await db.selectFrom('users').select('account').orderBy('account').execute()
  const users = await Promise.all(rows.map((r) => findUser(db, r.account)))
  return users.filter((u): u is User => u !== undefined)
}

async function updateUser(db: Db, email: string, values: Record<string, unknown>): Promise<void> {
  const result = await db
    .updateTable('users')
    .set({ ...values, updated_at: Math.floor(Date.now() / 1000) })
    .where('account', '=', email.trim().toLowerCase())
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) === 0) throw new UserError('no_such_user', `there is no account ${email}`)
}

/** Disables or re-enables an account; a disabled account cannot sign in or have mail signed for it. */
export async function setUserDisabled(db: Db, email: string, disabled: boolean): Promise<void> {
  await updateUser(db, email, { disabled: disabled ? 1 : 0 })
  if (disabled) {
    // Signing out everywhere: the sessions and refresh tokens of a disabled account stop working at once.
    const account = email.trim().toLowerCase()
    const now = Math.floor(Date.now() / 1000)
    await db.deleteFrom('as_sessions').where('account', '=', account).execute()
    await db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('account', '=', account)
      .where('revoked_at', 'is', null)
      .execute()
  }
}

/** Sets a new password (new salt, current parameters) and revokes the account's sessions and refresh tokens. */
export async function resetPassword(
  db: Db,
  email: string,
  password: string,
  params?: ScryptParams,
): Promise<void> {
  const passwordHash = await hashPassword(password, params)
  await updateUser(db, email, { password_hash: passwordHash })
  const account = email.trim().toLowerCase()
  await db.deleteFrom('as_sessions').where('account', '=', account).execute()
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: Math.floor(Date.now() / 1000) })
    .where('account', '=', account)
    .where('revoked_at', 'is', null)
    .execute()
}

/** Sets whether (and to which domains) the user's mail may be auto-forwarded (docs/protocol.md §4, forward mode). */
export async function setForwardPolicy(
  db: Db,
  email: string,
  policy: ForwardPolicy,
  domains: string[] = [],
): Promise<void> {
  await updateUser(db, email, {
    forward_policy: policy,
    forward_domains: JSON.stringify(normalizeDomains(domains)),
  })
}

/**
 * Verifies a password. Returns the user only when the account exists, is enabled and the password matches;
 * an unknown account costs the same scrypt work as a known one.
 */
export async function verifyPassword(db: Db, email: string, password: string): Promise<User | undefined> {
  const account = email.trim().toLowerCase()
  const row = await db
    .selectFrom('users')
    .select(['password_hash', 'disabled'])
    .where('account', '=', account)
    .executeTakeFirst()
  const ok = await checkPasswordHash(password, row?.password_hash ?? (await decoy()))
  if (!row || !ok || row.disabled !== 0) return undefined
  return findUser(db, account)
}

/** Whether a forward by this user to `domain` is allowed by the user's policy. */
export function forwardAllowed(
  user: Pick<User, 'forwardPolicy' | 'forwardDomains'>,
  domain: string,
): boolean {
  if (user.forwardPolicy === 'allowed') return true
  if (user.forwardPolicy === 'denied') return false
  return user.forwardDomains.includes(domain.toLowerCase())
}

function normalizeDomains(domains: string[]): string[] {
  return [...new Set(domains.map((d) => d.trim().toLowerCase()).filter((d) => d !== ''))].sort()
}
