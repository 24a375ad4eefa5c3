/**
 * The `federizer` command. The only file of the CLI that touches `process`.
 *
 *   federizer demo [--data DIR] [--store postgres]       three domains on loopback (README)
 *   federizer serve --config FILE [--only gateway|api]   one real domain (production shape)
 *   federizer migrate --config FILE                      brings the database schema up to date
 *   federizer user add|disable|enable|reset|forward-policy|show|list [EMAIL] --config FILE [--name N]
 *   federizer user forward EMAIL --to ADDR [--to ADDR] [--keep-copy] | --off --config FILE
 *   federizer user forward EMAIL --to ADDR [--to ADDR] [--keep-copy] | --off --config FILE
  federizer keys rotate [--alg ES256|EdDSA|RS256] [--publish-ahead SECONDS] | keys list --config FILE
 *   federizer dkim show --config FILE                   the DKIM TXT record of the SMTP bridge
 *   federizer send --config FILE --as EMAIL --to A [--cc A] [--bcc A] --subject S [--text T] [--attach FILE]...
 *   federizer list --config FILE --as EMAIL [--mailbox inbox]
 *   federizer show --config FILE --as EMAIL ID
 */
import { mkdir } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { ConfigError, domainPaths, loadConfigFile } from '@federizer/node'
import { CliError } from './cli-error.ts'

// Each command loads only what it needs (import() below): `--help` and the mail commands start fast.

const out = (line: string) => process.stdout.write(`${line}\n`)

const USAGE = `usage:
  federizer demo [--data DIR] [--store sqlite|postgres]
  federizer serve --config FILE [--only gateway|api]
  federizer migrate --config FILE   (once per upgrade, before serve, when the store is PostgreSQL)
  federizer user add|disable|enable|reset|forward-policy|show|list [EMAIL] --config FILE [--name N]
  federizer keys rotate [--alg ES256|EdDSA|RS256] [--publish-ahead SECONDS] | keys list --config FILE
  federizer dkim show --config FILE   (the DKIM TXT record to publish for outbound SMTP)
(user add and reset read the password from FEDERIZER_PASSWORD or standard input)
  federizer send --config FILE --as EMAIL --to ADDR [--cc ADDR] [--bcc ADDR] --subject S [--text T] [--attach FILE]
  federizer list --config FILE --as EMAIL [--mailbox inbox]
  federizer show --config FILE --as EMAIL ID
(mail commands use FEDERIZER_TOKEN when set, otherwise an operator token signed with the domain's key)`

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      data: { type: 'string' },
      store: { type: 'string' },
      only: { type: 'string' },
      name: { type: 'string' },
      alg: { type: 'string' },
      'publish-ahead': { type: 'string' },
      'keep-copy': { type: 'boolean' },
      off: { type: 'boolean' },
      as: { type: 'string' },
      to: { type: 'string', multiple: true },
      cc: { type: 'string', multiple: true },
      bcc: { type: 'string', multiple: true },
      subject: { type: 'string' },
      text: { type: 'string' },
      attach: { type: 'string', multiple: true },
      mailbox: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [command, ...rest] = positionals
  if (!command || values.help) {
    out(USAGE)
    return command || values.help ? 0 : 2
  }
  if (command === 'demo') {
    const [{ startDemo }, { printDemoBanner }] = await Promise.all([
      import('./demo.ts'),
      import('./banner.ts'),
    ])
    if (values.store && values.store !== 'sqlite' && values.store !== 'postgres')
      throw new CliError('--store takes sqlite (the default) or postgres')
    const demo = await startDemo({
      dataRoot: values.data ?? 'data',
      ...(values.store ? { store: values.store as 'sqlite' | 'postgres' } : {}),
    })
    printDemoBanner(demo, out)
    await untilSignal()
    out('stopping…')
    await demo.stop()
    return 0
  }
  if (!values.config)
    throw new CliError(`"${command}" needs --config FILE (the demo writes data/<domain>.json)`)
  const loaded = await loadConfigFile(values.config)
  const config = loaded.domain
  switch (command) {
    case 'serve': {
      if (values.only && values.only !== 'gateway' && values.only !== 'api')
        throw new CliError('--only takes gateway or api')
      await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
      const { serveDomain } = await import('./serve.ts')
      const running = await serveDomain(loaded, values.only as 'gateway' | 'api' | undefined)
      out(
        `${config.domain}: ${Object.entries(running.urls)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      )
      await untilSignal()
      await running.stop()
      return 0
    }
    case 'migrate': {
      if (config.store?.kind !== 'postgres') await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
      const { migrateDatabase } = await import('@federizer/store')
      const applied = await migrateDatabase(domainPaths(config).database)
      out(
        applied.length > 0
          ? `${config.domain}: applied ${applied.length} migration${applied.length > 1 ? 's' : ''} (${applied.join(', ')})`
          : `${config.domain}: the database schema is up to date`,
      )
      return 0
    }
    case 'user':
    case 'keys':
      // A new domain's first `user add` creates its data folder (the database goes inside).
      if (command === 'user' && rest[0] === 'add')
        await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
      await (await import('./users.ts')).adminCommand(
        config,
        [
          command,
          ...rest,
          ...(values.name ? ['--name', values.name] : []),
          ...(values.alg ? ['--alg', values.alg] : []),
          ...(values['publish-ahead'] ? ['--publish-ahead', values['publish-ahead']] : []),
          ...(command === 'user' ? (values.to ?? []).flatMap((a) => ['--to', a]) : []),
          ...(values['keep-copy'] ? ['--keep-copy'] : []),
          ...(values.off ? ['--off'] : []),
        ],
        out,
      )
      return 0
    case 'dkim': {
      if (rest[0] !== 'show') throw new CliError('usage: federizer dkim show --config FILE')
      const { loadDkimKey } = await import('@federizer/gateway')
      const key = await loadDkimKey(config)
      // Zone-file form: the value split into 255-byte character strings (RFC 1035 §3.3.14).
      const strings = key.txt.data.match(/.{1,255}/g) ?? []
      out(`${key.txt.name}. IN TXT ${strings.map((x) => `"${x}"`).join(' ')}`)
      return 0
    }
    case 'send':
    case 'list':
    case 'show': {
      if (!values.as) throw new CliError(`${command} needs --as EMAIL (the account to act as)`)
      const { listCommand, operatorToken, sendCommand, showCommand } = await import('./mail.ts')
      const token = process.env.FEDERIZER_TOKEN ?? (await operatorToken(config, values.as))
      if (command === 'send') {
        if (!values.subject) throw new CliError('send needs --subject')
        await sendCommand(
          config.apiUrl,
          token,
          {
            to: values.to ?? [],
            cc: values.cc ?? [],
            bcc: values.bcc ?? [],
            subject: values.subject,
            ...(values.text !== undefined ? { text: values.text } : {}),
            attach: values.attach ?? [],
          },
          out,
        )
      } else if (command === 'list') await listCommand(config.apiUrl, token, values.mailbox ?? 'inbox', out)
      else {
        if (!rest[0]) throw new CliError('show needs a message id (from `federizer list`)')
        await showCommand(config.apiUrl, token, rest[0], out)
      }
      return 0
    }
    default:
      throw new CliError(`unknown command "${command}"\n${USAGE}`)
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof ConfigError || e instanceof CliError) {
      process.stderr.write(`federizer: ${e.message}\n`)
      process.exit(2)
    }
    const message = e instanceof Error ? e.message : String(e)
    process.stderr.write(`federizer: ${message}\n`)
    process.exit(1)
  },
)
