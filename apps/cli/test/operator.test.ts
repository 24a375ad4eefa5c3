import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '@federizer/devnet'
import {
  AdminUsageError,
  createGateway,
  type Gateway,
  issueAccessToken,
  runAdminCommand,
} from '@federizer/gateway'
import { type DomainConfig, defaultLimits, toConfigFile } from '@federizer/node'
import { getAutoForwardSettings, getForwarding, openDatabase, verifyPassword } from '@federizer/store'
import { decodeProtectedHeader } from 'jose'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const bin = path.resolve(import.meta.dirname, '..', 'bin', 'federizer.mjs')

let d: { config: DomainConfig; gateway: Gateway; url: string }
let clock = Math.floor(Date.now() / 1000)
let configFile: string

beforeAll(async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'fz-operator-'))
  const port = await freePort()
  const config: DomainConfig = {
    domain: 'example.com',
    dataDir,
    gatewayUrl: `http://127.0.0.1:${port}`,
    apiUrl: `http://127.0.0.1:${await freePort()}`,
    mtaClientId: 'https://example.com/mta',
    webClientId: 'https://example.com/webmail',
    allowInsecureTargets: true,
    limits: defaultLimits,
    undoSendSeconds: 0,
    queueTimeScale: 1,
  }
  const gateway = await createGateway(config, {
    workers: false,
    logger: pino({ level: 'silent' }),
    now: () => clock,
  })
  await gateway.listen(port)
  d = { config, gateway, url: config.gatewayUrl }
  configFile = path.join(dataDir, 'config.json')
  await fs.writeFile(configFile, JSON.stringify(toConfigFile(config)))
})
afterAll(async () => {
  await d.gateway.close()
  await fs.rm(d.config.dataDir, { recursive: true, force: true })
})

/** Runs the real `federizer` command as an operator would, password on stdin. */
function admin(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env }
    delete env.FEDERIZER_PASSWORD
    const child = execFile(
      process.execPath,
      [bin, ...args, '--config', configFile],
      { env },
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

describe('operator commands of the federizer command', () => {
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

  it('user forward sets the auto-forward and --off switches it off keeping the address, refusing bad input', async () => {
    expect(
      await admin(['user', 'forward', 'dave@example.com', '--to', 'Dave@Example.ORG', '--keep-copy']),
    ).toMatchObject({
      code: 0,
      stdout: 'auto-forward of dave@example.com: dave@example.org (keeps a copy)\n',
    })
    expect(await getAutoForwardSettings(d.gateway.ctx.db, 'dave@example.com')).toMatchObject({
      to: ['dave@example.org'],
      keepCopy: true,
    })
    const self = await admin(['user', 'forward', 'dave@example.com', '--to', 'dave@example.com'])
    expect(self.code).toBe(2)
    expect(self.stderr).toContain('cannot auto-forward to itself')
    const both = await admin(['user', 'forward', 'dave@example.com', '--to', 'x@example.org', '--off'])
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('--to ADDR (one or more) or --off')
    const bad = await admin(['user', 'forward', 'dave@example.com', '--to', 'not an address'])
    expect(bad.code).toBe(2)
    expect(await getAutoForwardSettings(d.gateway.ctx.db, 'dave@example.com')).toMatchObject({
      to: ['dave@example.org'],
    })
    expect((await admin(['user', 'forward', 'dave@example.com', '--off'])).stdout).toBe(
      'auto-forward of dave@example.com: off (kept: dave@example.org)\n',
    )
    expect(await getAutoForwardSettings(d.gateway.ctx.db, 'dave@example.com')).toBeNull()
    // Off keeps the address and the copy setting, for turning it on again (issue 16).
    expect(await getForwarding(d.gateway.ctx.db, 'dave@example.com')).toEqual({
      to: ['dave@example.org'],
      keepCopy: true,
      enabled: false,
    })
  }, 60_000)
})

describe('a new domain', () => {
  it('user add creates the missing data folder', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'fz-new-'))
    const dataDir = path.join(root, 'not', 'yet')
    const file = path.join(root, 'config.json')
    await fs.writeFile(file, JSON.stringify(toConfigFile({ ...d.config, dataDir })))
    const res = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [bin, 'user', 'add', 'erin@example.com', '--config', file],
        { env: { ...process.env, FEDERIZER_PASSWORD: 'a long password' } },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      )
      child.stdin?.end()
    })
    expect(res).toMatchObject({ code: 0 })
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700)
    const db = await openDatabase(path.join(dataDir, 'mail.sqlite'))
    expect(await verifyPassword(db, 'erin@example.com', 'a long password')).toBeDefined()
    await db.destroy()
    await fs.rm(root, { recursive: true, force: true })
  }, 60_000)

  it('serve creates the missing data folder', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'fz-serve-'))
    const dataDir = path.join(root, 'fresh')
    const file = path.join(root, 'config.json')
    const listen = { gateway: { port: 0 }, api: { port: 0 } }
    await fs.writeFile(file, JSON.stringify(toConfigFile({ ...d.config, dataDir }, listen, 'silent')))
    const child = spawn(process.execPath, [bin, 'serve', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString()
          if (out.includes('\n')) resolve(out)
        })
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)))
      })
      expect(line).toContain('example.com: gateway')
      expect((await fs.stat(path.join(dataDir, 'mail.sqlite'))).isFile()).toBe(true)
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      await fs.rm(root, { recursive: true, force: true })
    }
  }, 60_000)
})
