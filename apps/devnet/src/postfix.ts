import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './free-port.ts'

const run = promisify(execFile)

/** True when Debian's postfix is installed (the test command installs it when missing). */
export const postfixInstalled = () => existsSync('/usr/sbin/postfix')

export interface PostfixOptions {
  /** Folder for the instance's config, queue, data and Maildirs (created; the caller removes it). */
  dir: string
  /** The domain this Postfix delivers locally, into Maildirs (e.g. `legacy.test`). */
  domain: string
  /** Local mailboxes of `domain` (local parts), each a Maildir under `<dir>/mail/<domain>/<local>/`. */
  mailboxes: string[]
  /** Domains relayed to a Federizer SMTP listener: domain → loopback port. */
  relay: Record<string, number>
  /** The smtpd port (a free one when unset). */
  port?: number
  /** PEM certificate and key: smtpd then offers STARTTLS (RFC 3207) and notes TLS in its Received header. */
  tls?: { certFile: string; keyFile: string }
}

export interface PostfixInstance {
  /** The loopback port of its smtpd. */
  port: number
  dir: string
  /** Every file in the Maildir `new/` folder of one mailbox, oldest first. */
  maildir(local: string): Promise<Buffer[]>
  /** Points a relayed domain at another port (postfix reload). */
  setRelay(relay: Record<string, number>): Promise<void>
  /** The instance's mail log (what Postfix did, for failure messages). */
  log(): Promise<string>
  /** Starts it again after `stop` (same folder, same port). */
  start(): Promise<void>
  /** Asks the queue manager to retry deferred mail now. */
  flush(): Promise<void>
  stop(): Promise<void>
}

const mainCf = (
  o: PostfixOptions,
  owner: { uid: number; gid: number },
) => `# A private Postfix for tests and the demo: loopback only, its own queue, never the system's.
compatibility_level = 3.6
queue_directory = ${o.dir}/queue
data_directory = ${o.dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = ${o.dir}/maillog
maillog_file_prefixes = ${o.dir}
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.${o.domain}
mydomain = ${o.domain}
myorigin = ${o.domain}
mydestination =
mynetworks = 127.0.0.0/8
local_recipient_maps =
alias_maps =
alias_database =
virtual_mailbox_domains = ${o.domain}
virtual_mailbox_base = ${o.dir}/mail
virtual_mailbox_maps = texthash:${o.dir}/vmailbox
virtual_uid_maps = static:${owner.uid}
virtual_gid_maps = static:${owner.gid}
virtual_minimum_uid = 1
relay_domains = ${Object.keys(o.relay).join(' ')}
relay_recipient_maps =
transport_maps = texthash:${o.dir}/transport
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtp_dns_support_level = disabled
smtp_tls_security_level = may
smtp_tls_loglevel = 1
${
  o.tls
    ? `smtpd_tls_security_level = may
smtpd_tls_cert_file = ${o.tls.certFile}
smtpd_tls_key_file = ${o.tls.keyFile}
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1`
    : 'smtpd_tls_security_level = none'
}
# Retry deferred mail quickly (tests bring the next hop back within seconds).
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
biff = no
smtputf8_enable = no
master_service_disable =
`

async function postfixIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['postfix'])
  const uid = /uid=(\d+)/.exec(stdout)?.[1]
  const gid = /gid=(\d+)/.exec(stdout)?.[1]
  if (!uid || !gid) throw new Error('the postfix user does not exist (is postfix installed?)')
  return { uid: Number(uid), gid: Number(gid) }
}

function transport(relay: Record<string, number>) {
  return Object.entries(relay)
    .map(([d, p]) => `${d} smtp:[127.0.0.1]:${p}\n`)
    .join('')
}

/**
 * Starts a private Postfix (`postfix -c <dir>/etc start`): smtpd on a free loopback port, virtual
 * Maildir delivery for `domain`, and a transport map that relays the Federizer domains to their SMTP
 * listeners. Nothing of the system-wide Postfix is used or touched.
 */
export async function startPostfix(o: PostfixOptions): Promise<PostfixInstance> {
  const port = o.port ?? (await freePort())
  const etc = path.join(o.dir, 'etc')
  for (const d of ['etc', 'queue', 'data', 'mail']) await mkdir(path.join(o.dir, d), { recursive: true })
  // Postfix's own user owns its data and the Maildirs; the folder above must be traversable by it.
  const owner = await postfixIds()
  await chmod(o.dir, 0o755)
  await chown(path.join(o.dir, 'data'), owner.uid, owner.gid)
  await chown(path.join(o.dir, 'mail'), owner.uid, owner.gid)
  await writeFile(path.join(etc, 'main.cf'), mainCf(o, owner))
  const master = (await readFile('/etc/postfix/master.cf', 'utf8'))
    .split('\n')
    .map((l) => (/^smtp\s+inet\s/.test(l) ? `127.0.0.1:${port} inet n - n - - smtpd` : l))
    // chroot needs a copy of the system files in the queue folder: run every service unchrooted.
    .map((l) => l.replace(/^(\S+\s+\S+\s+\S+\s+\S+\s+)y(\s)/, '$1n$2'))
    .join('\n')
  await writeFile(path.join(etc, 'master.cf'), master)
  await writeFile(
    path.join(o.dir, 'vmailbox'),
    o.mailboxes.map((m) => `${m}@${o.domain} ${o.domain}/${m}/\n`).join(''),
  )
  await writeFile(path.join(o.dir, 'transport'), transport(o.relay))
  const postfix = (...args: string[]) => run('/usr/sbin/postfix', ['-c', etc, ...args])
  await postfix('set-permissions').catch(() => {})
  await postfix('check')
  // A fixed folder (the demo's) may still have an instance from a run that was killed: stop it first.
  await postfix('stop').catch(() => {})
  await postfix('start')
  return {
    port,
    dir: o.dir,
    async maildir(local) {
      const folder = path.join(o.dir, 'mail', o.domain, local, 'new')
      const names = existsSync(folder) ? (await readdir(folder)).sort() : []
      return Promise.all(names.map((n) => readFile(path.join(folder, n))))
    },
    async setRelay(relay) {
      await writeFile(path.join(o.dir, 'transport'), transport(relay))
      await postfix('reload')
    },
    log: () => readFile(path.join(o.dir, 'maillog'), 'utf8').catch(() => ''),
    async flush() {
      await postfix('flush').catch(() => {})
    },
    async start() {
      await postfix('start')
    },
    async stop() {
      await postfix('stop').catch(() => {})
    },
  }
}
