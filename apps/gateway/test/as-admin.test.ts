import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { verifyPassword } from '@federizer/store'
import { decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminUsageError, runAdminCommand } from '../src/as/admin-commands.ts'
import { issueAccessToken } from '../src/as/tokens.ts'
import { startDomain, type TestDomain } from './as-helpers.ts'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const cli = path.join(root, 'apps/gateway/src/admin-cli.ts')

let d: TestDomain
let clock = Math.floor(Date.now() / 1000)
let configFile: string

beforeAll(async () => {
  d = await startDomain('example.com', { now: () => clock })
  configFile = path.join(d.config.dataDir, 'config.json')
  await fs.writeFile(configFile, JSON.stringify(d.config))
})
afterAll(async () => {
  await d.close()
})

/** Runs the real CLI as an operator would, password on stdin. */
function admin(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', cli, configFile, ...args],
      { cwd: root },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    )
    child.stdin?.end(stdin)
  })
}

/** The same commands in-process (the parsing and store calls the CLI runs), without a process start each. */
async function adminInProcess(
  args: string[],
  password = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = []
  try {
    await runAdminCommand(d.config, args, {
      readPassword: async () => password,
      print: (l) => out.push(`${l}\n`),
    })
    return { code: 0, stdout: out.join(''), stderr: '' }
  } catch (e) {
    return { code: e instanceof AdminUsageError ? 2 : 1, stdout: out.join(''), stderr: (e as Error).message }
  }
}

const jwksKids = async () =>
  ((await (await fetch(`${d.url}/jwks`)).json()) as { keys: { kid: string; alg: string }[] }).keys

describe('operator CLI', () => {
  it('creates, disables, enables and resets users; refuses foreign domains and short passwords', async () => {
    expect(
      await admin(['user', 'add', 'Dave@example.com', '--name', 'Dave'], 'a long password\n'),
    ).toMatchObject({
      code: 0,
      stdout: 'created dave@example.com\n',
    })
    expect(await verifyPassword(d.gateway.ctx.db, 'dave@example.com', 'a long password')).toMatchObject({
      name: 'Dave',
    })
    const foreign = await adminInProcess(['user', 'add', 'eve@example.org'], 'a long password')
    expect(foreign.code).toBe(1)
    expect(foreign.stderr).toContain('eve@example.org is not an address of example.com')
    const weak = await adminInProcess(['user', 'add', 'fay@example.com'], 'short')
    expect(weak.code).toBe(1)
    expect(weak.stderr).toContain('8 to 1024 characters')
    expect(await d.gateway.ctx.db.selectFrom('users').select('account').execute()).toEqual([
      { account: 'dave@example.com' },
    ])
    expect((await adminInProcess(['user', 'disable', 'dave@example.com'])).code).toBe(0)
    expect(await verifyPassword(d.gateway.ctx.db, 'dave@example.com', 'a long password')).toBeUndefined()
    expect((await adminInProcess(['user', 'enable', 'dave@example.com'])).code).toBe(0)
    expect((await adminInProcess(['user', 'reset', 'dave@example.com'], 'another long one')).code).toBe(0)
    expect(await verifyPassword(d.gateway.ctx.db, 'dave@example.com', 'another long one')).toBeDefined()
    expect(
      (await adminInProcess(['user', 'forward-policy', 'dave@example.com', 'domains', 'example.org'])).code,
    ).toBe(0)
    expect(JSON.parse((await adminInProcess(['user', 'show', 'dave@example.com'])).stdout)).toMatchObject({
      forwardPolicy: 'domains',
      forwardDomains: ['example.org'],
    })
    const usage = await admin(['user', 'frobnicate', 'dave@example.com'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('unknown user command "frobnicate"')
  }, 60_000)

  it('rotates keys: the new key is published first, signs after activation, the old one stays published', async () => {
    const before = await jwksKids()
    expect(before).toHaveLength(1)
    const oldKid = before[0]!.kid
    const rotated = await admin(['keys', 'rotate', '--alg', 'EdDSA', '--publish-ahead', '600'])
    expect(rotated.code).toBe(0)
    clock = Math.floor(Date.now() / 1000) + 1 // the gateway re-reads the key file at most once per second
    const published = await jwksKids()
    expect(published.map((k) => k.alg)).toEqual(['ES256', 'EdDSA'])
    const newKid = published[1]!.kid
    expect(rotated.stdout).toContain(newKid)
    const sign = async () =>
      decodeProtectedHeader(
        (
          await issueAccessToken(d.gateway.ctx, {
            account: 'dave@example.com',
            clientId: d.config.webClientId,
            scope: 'mail',
          })
        ).token,
      )
    expect(await sign()).toMatchObject({ kid: oldKid, alg: 'ES256' })
    clock += 601 // past activatesAt (the CLI stamped it from the real clock)
    expect(await sign()).toMatchObject({ kid: newKid, alg: 'EdDSA' })
    expect((await jwksKids()).map((k) => k.kid)).toEqual([oldKid, newKid])
    expect((await admin(['keys', 'list'])).stdout).toContain('retired')
  }, 60_000)
})
