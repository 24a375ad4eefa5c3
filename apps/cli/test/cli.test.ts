import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { type Network, startNetwork } from '@federizer/devnet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const bin = path.resolve(import.meta.dirname, '..', 'bin', 'federizer.mjs')

async function federizer(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
    })
    return { code: 0, stdout, stderr }
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string }
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('the federizer command on a real two-domain network', () => {
  let dir: string
  let net: Network
  const configs: Record<string, string> = {}

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fz-cli-'))
    net = await startNetwork({
      dataRoot: dir,
      gatewayOptions: { pollIntervalMs: 50 },
      domains: [
        {
          domain: 'example.com',
          users: [{ email: 'alice@example.com', password: 'alice-in-venice', name: 'Alice' }],
        },
        { domain: 'example.net', users: [{ email: 'bob@example.net', password: 'bob-in-paris' }] },
      ],
    })
    for (const node of net.nodes.values()) {
      const file = path.join(dir, `${node.domain}.json`)
      await writeFile(
        file,
        JSON.stringify({
          domain: node.domain,
          dataDir: node.config.dataDir,
          gatewayUrl: node.gatewayUrl,
          apiUrl: node.apiUrl,
          dnsServers: node.config.dnsServers,
          development: true,
        }),
      )
      configs[node.domain] = file
    }
  }, 60_000)

  afterAll(async () => {
    await net?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses a bad configuration with exit code 2 and the bad field', async () => {
    const bad = path.join(dir, 'bad.json')
    await writeFile(
      bad,
      JSON.stringify({ domain: 'example.com', dataDir: dir, gatewayUrl: 'http://x', apiUrl: 'http://y' }),
    )
    const r = await federizer(['serve', '--config', bad])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/gatewayUrl: must be an https:\/\/ URL/)
    expect((await federizer(['frobnicate', '--config', bad])).code).toBe(2)
  }, 30_000)

  it('adds, lists and disables users', async () => {
    const withPassword = { FEDERIZER_PASSWORD: 'carol-password' }
    const add = await federizer(
      ['user', 'add', 'carol@example.com', '--config', configs['example.com']!],
      withPassword,
    )
    expect(add).toMatchObject({ code: 0 })
    expect(add.stdout).toContain('created carol@example.com')
    const outside = await federizer(
      ['user', 'add', 'mallory@example.org', '--config', configs['example.com']!],
      withPassword,
    )
    expect(outside.code).not.toBe(0)
    expect(outside.stderr).toMatch(/example\.com/)
    expect(
      (await federizer(['user', 'disable', 'carol@example.com', '--config', configs['example.com']!])).code,
    ).toBe(0)
    const list = await federizer(['user', 'list', '--config', configs['example.com']!])
    expect(list.stdout).toContain('carol@example.com (disabled)')
  }, 30_000)

  it('sends with an attachment, lists the recipient inbox and shows the fetched message', async () => {
    const attachment = path.join(dir, 'notes.txt')
    await writeFile(attachment, 'meeting notes\n'.repeat(1000))
    const sent = await federizer([
      'send',
      '--config',
      configs['example.com']!,
      '--as',
      'alice@example.com',
      '--to',
      'bob@example.net',
      '--subject',
      'From the command line',
      '--text',
      'Hello Bob',
      '--attach',
      attachment,
    ])
    expect(sent.stderr).toBe('')
    expect(sent.code).toBe(0)
    const line = await until(async () => {
      const r = await federizer(['list', '--config', configs['example.net']!, '--as', 'bob@example.net'])
      return r.stdout.split('\n').find((l) => l.includes('From the command line'))
    }, 'the message in bob’s inbox')
    const id = line.split(/\s+/)[0]!
    const shown = await until(async () => {
      const r = await federizer(['show', id, '--config', configs['example.net']!, '--as', 'bob@example.net'])
      return r.stdout.includes('Content: complete') ? r.stdout : undefined
    }, 'the content to arrive')
    expect(shown).toContain('notes.txt')
    expect(shown).toContain('Hello Bob')
    expect(shown).toMatch(/"ok": true/)
  }, 60_000)
})
