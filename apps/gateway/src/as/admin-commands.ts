import { type DomainConfig, domainPaths } from '@federizer/node'
import { type AllowedAlg, isAddrSpec } from '@federizer/protocol'
import {
  createUser,
  type Db,
  type ForwardPolicy,
  findUser,
  getForwarding,
  listUsers,
  openDatabase,
  quotaOf,
  readSigningKeys,
  resetPassword,
  rotateSigningKey,
  setAutoForward,
  setAutoForwardEnabled,
  setForwardPolicy,
  setUserDisabled,
  setUserQuota,
} from '@federizer/store'

/** A usage error of the operator CLI (exit code 2); other failures exit 1. */
export class AdminUsageError extends Error {
  override readonly name = 'AdminUsageError'
}

export interface AdminIo {
  /** Reads the password (the CLI reads it from stdin so it never appears in argv or shell history). */
  readPassword(): Promise<string>
  print(line: string): void
}

export const ADMIN_USAGE = `usage: federizer <command> --config FILE
  user add <email> [--name "Full Name"]      create an account (password read from stdin)
  user disable <email> | user enable <email>
  user reset <email>                         set a new password (stdin); signs the user out everywhere
  user forward-policy <email> allowed|denied|domains [domain,...]
  user forward <email> --to <addr> [--to <addr>...] [--keep-copy] | user forward <email> --off
  user quota <email> --bytes N | --default   storage quota (default: limits.userQuotaBytes)
  user show <email> | user list
  keys rotate [--alg ES256|EdDSA|RS256] [--publish-ahead <seconds>]
  keys list`

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name)
  if (i === -1) return undefined
  const value = args[i + 1]
  if (value === undefined) throw new AdminUsageError(`${name} needs a value`)
  args.splice(i, 2)
  return value
}

async function withDb<T>(config: DomainConfig, run: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(domainPaths(config).database)
  try {
    return await run(db)
  } finally {
    await db.destroy()
  }
}

/**
 * Runs one operator command against a domain's data folder (the gateway may be running: SQLite WAL and
 * the atomic key-file replace make that safe; the gateway picks up a rotated key within a second).
 */
export async function runAdminCommand(config: DomainConfig, argv: string[], io: AdminIo): Promise<void> {
  const args = [...argv]
  const [area, command, ...rest] = args
  if (area === 'user') {
    const name = option(rest, '--name')
    const bytes = option(rest, '--bytes')
    const email = rest[0]
    if (command === 'list') {
      return withDb(config, async (db) => {
        for (const u of await listUsers(db))
          io.print(`${u.email}${u.disabled ? ' (disabled)' : ''}\t${u.name ?? ''}`)
      })
    }
    if (!email) throw new AdminUsageError(`user ${command ?? ''} needs an address`)
    return withDb(config, async (db) => {
      switch (command) {
        case 'add': {
          const user = await createUser(db, {
            email,
            password: await io.readPassword(),
            name,
            domain: config.domain,
          })
          io.print(`created ${user.email}`)
          return
        }
        case 'disable':
        case 'enable':
          await setUserDisabled(db, email, command === 'disable')
          io.print(`${command}d ${email.toLowerCase()}`)
          return
        case 'reset':
          await resetPassword(db, email, await io.readPassword())
          io.print(`password reset for ${email.toLowerCase()}; its sessions and refresh tokens are revoked`)
          return
        case 'forward-policy': {
          const policy = rest[1] as ForwardPolicy | undefined
          if (!policy || !['allowed', 'denied', 'domains'].includes(policy)) {
            throw new AdminUsageError('forward-policy needs allowed, denied or domains')
          }
          await setForwardPolicy(db, email, policy, (rest[2] ?? '').split(',').filter(Boolean))
          io.print(`forwarding policy of ${email.toLowerCase()}: ${policy} ${rest[2] ?? ''}`.trim())
          return
        }
        case 'forward':
          return setForward(db, email, rest.slice(1), io)
        case 'quota': {
          const reset = rest.includes('--default')
          if (bytes === undefined && !reset)
            throw new AdminUsageError('user quota needs --bytes N or --default')
          const value = reset ? null : Number(bytes)
          if (value !== null && (!Number.isSafeInteger(value) || value < 0))
            throw new AdminUsageError(`--bytes must be a whole number of bytes, not "${bytes}"`)
          await setUserQuota(db, email, value)
          const q = await quotaOf(db, email, config.limits.userQuotaBytes)
          io.print(`quota of ${email.toLowerCase()}: ${q.quotaBytes} bytes (${q.usedBytes} used)`)
          return
        }
        case 'show': {
          const user = await findUser(db, email)
          if (!user) throw new AdminUsageError(`there is no account ${email}`)
          io.print(JSON.stringify(user))
          return
        }
        default:
          throw new AdminUsageError(`unknown user command "${command ?? ''}"`)
      }
    })
  }
  if (area === 'keys') {
    if (command === 'rotate') {
      const alg = (option(rest, '--alg') ?? 'ES256') as AllowedAlg
      if (!['ES256', 'EdDSA', 'RS256'].includes(alg))
        throw new AdminUsageError('--alg must be ES256, EdDSA or RS256')
      const ahead = option(rest, '--publish-ahead')
      const key = await rotateSigningKey(
        config,
        alg,
        ahead === undefined ? {} : { publishAheadSeconds: Number(ahead) },
      )
      io.print(
        `published ${key.kid} (${key.alg}); it signs from ${new Date(key.activatesAt * 1000).toISOString()}`,
      )
      return
    }
    if (command === 'list') {
      for (const k of await readSigningKeys(config)) {
        const retired = k.retiredAt ? ` retired ${new Date(k.retiredAt * 1000).toISOString()}` : ''
        io.print(`${k.kid}\t${k.alg}\tactive from ${new Date(k.activatesAt * 1000).toISOString()}${retired}`)
      }
      return
    }
  }
  throw new AdminUsageError(ADMIN_USAGE)
}

/**
 * `user forward EMAIL --to ADDR… [--keep-copy]` sets the user's auto-forward, `--off` switches it off and
 * keeps the addresses (the
 * same setting the webmail's settings write; the AS still applies the user's forwarding policy).
 */
async function setForward(db: Db, email: string, args: string[], io: AdminIo): Promise<void> {
  const user = await findUser(db, email)
  if (!user) throw new AdminUsageError(`there is no account ${email}`)
  const to: string[] = []
  let keepCopy = false
  let off = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--to') {
      const value = args[++i]
      if (!value) throw new AdminUsageError('--to needs an address')
      to.push(value)
    } else if (arg === '--keep-copy') keepCopy = true
    else if (arg === '--off') off = true
    else throw new AdminUsageError(`user forward: unexpected "${arg}"`)
  }
  if (off === to.length > 0) throw new AdminUsageError('user forward needs --to ADDR (one or more) or --off')
  if (off) {
    // Off keeps the addresses (the webmail's switch does the same); --to sets new ones.
    await setAutoForwardEnabled(db, user.email, false)
    const kept = (await getForwarding(db, user.email)).to
    io.print(`auto-forward of ${user.email}: off${kept.length ? ` (kept: ${kept.join(', ')})` : ''}`)
    return
  }
  for (const a of to) {
    if (!isAddrSpec(a)) throw new AdminUsageError(`"${a}" is not an email address`)
    if (a.toLowerCase() === user.email)
      throw new AdminUsageError(`${user.email} cannot auto-forward to itself`)
  }
  await setAutoForward(db, user.email, to, { keepCopy })
  io.print(
    `auto-forward of ${user.email}: ${to.map((a) => a.toLowerCase()).join(', ')}${keepCopy ? ' (keeps a copy)' : ''}`,
  )
}
