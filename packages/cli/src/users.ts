import type { AllowedAlg } from '@federizer/protocol'
import {
  createUser,
  type DomainConfig,
  domainPaths,
  findUser,
  listUsers,
  loadOrCreateDomainKeys,
  openDatabase,
  resetPassword,
  rotateSigningKey,
  setUserDisabled,
} from '@federizer/store'

/** Operator commands that work on the domain's data folder directly (run them on the mail host). */
export async function userCommand(
  config: DomainConfig,
  action: string,
  args: { email?: string; password?: string; name?: string },
  out: (line: string) => void,
): Promise<void> {
  const db = await openDatabase(domainPaths(config).database)
  try {
    switch (action) {
      case 'add': {
        const { email, password } = need(args, 'add')
        if (email.split('@')[1]?.toLowerCase() !== config.domain) {
          throw new CliError(
            `${email} is not an address of ${config.domain}: this node only holds ${config.domain} accounts`,
          )
        }
        const user = await createUser(db, { email, password, ...(args.name ? { name: args.name } : {}) })
        out(`created ${user.email}`)
        return
      }
      case 'disable':
      case 'enable': {
        const email = needEmail(args, action)
        await setUserDisabled(db, email, action === 'disable')
        out(`${action}d ${email}`)
        return
      }
      case 'reset-password': {
        const { email, password } = need(args, 'reset-password')
        await resetPassword(db, email, password)
        out(`password of ${email} reset; its sessions and refresh tokens are revoked`)
        return
      }
      case 'show': {
        const email = needEmail(args, 'show')
        const user = await findUser(db, email)
        if (!user) throw new CliError(`no user ${email} in ${config.domain}`)
        out(JSON.stringify(user, null, 2))
        return
      }
      case 'list':
        for (const u of await listUsers(db)) out(`${u.email}${u.disabled ? ' (disabled)' : ''}`)
        return
      default:
        throw new CliError(
          `unknown user action "${action}": use add, disable, enable, reset-password, show or list`,
        )
    }
  } finally {
    await db.destroy()
  }
}

export async function rotateKeys(config: DomainConfig, alg: AllowedAlg, out: (line: string) => void) {
  await loadOrCreateDomainKeys(config)
  const key = await rotateSigningKey(config, alg)
  out(
    `new ${alg} signing key ${key.kid} published; it starts signing at ${new Date(key.activatesAt * 1000).toISOString()}`,
  )
}

export class CliError extends Error {
  override readonly name = 'CliError'
}

function needEmail(args: { email?: string }, action: string): string {
  if (!args.email) throw new CliError(`user ${action} needs an address: federizer user ${action} <email>`)
  return args.email
}

function need(args: { email?: string; password?: string }, action: string) {
  const email = needEmail(args, action)
  if (!args.password)
    throw new CliError(`user ${action} needs --password (or FEDERIZER_PASSWORD in the environment)`)
  return { email, password: args.password }
}
