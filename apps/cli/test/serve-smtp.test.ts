import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { promisify } from 'node:util'
import { freePort } from '@federizer/devnet'
import { createUser, openDatabase } from '@federizer/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Issue 15: `federizer serve` starts the SMTP bridge's listener from `listen.smtp` in the configuration
// file (with STARTTLS when `smtp.tls` names the domain's certificate), and refuses a bad one by field.

const run = promisify(execFile)
const bin = path.resolve(import.meta.dirname, '..', 'bin', 'federizer.mjs')
let root: string

/**
 * One SMTP conversation by hand (RFC 5321, RFC 3207): EHLO, STARTTLS, EHLO again over TLS, MAIL, RCPT.
 * Returns the EHLO keywords before TLS and the reply to RCPT TO.
 */
async function starttlsProbe(port: number, rcpt: string) {
  let socket: net.Socket | tls.TLSSocket = net.connect(port, '127.0.0.1')
  let buffer = ''
  let wake: (() => void) | undefined
  const listen = (s: net.Socket) =>
    s.on('data', (d) => {
      buffer += d.toString()
      wake?.()
    })
  listen(socket)
  const reply = async () => {
    for (;;) {
      const m = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buffer)
      if (m) {
        const all = buffer.slice(0, m.index + m[0].length)
        buffer = buffer.slice(m.index + m[0].length)
        return all
      }
      await new Promise<void>((r) => {
        wake = r
      })
    }
  }
  const say = async (line: string) => {
    socket.write(`${line}\r\n`)
    return reply()
  }
  await reply()
  const ehlo = await say('EHLO probe.test')
  expect(await say('STARTTLS')).toMatch(/^220/)
  socket.removeAllListeners('data')
  socket = tls.connect({ socket, rejectUnauthorized: false })
  await new Promise((r) => socket.once('secureConnect', r))
  listen(socket)
  await say('EHLO probe.test')
  await say('MAIL FROM:<x@legacy.test>')
  const rcptReply = await say(`RCPT TO:<${rcpt}>`)
  socket.end()
  return { ehlo, rcptReply }
}

async function configFile(extra: Record<string, unknown>) {
  const file = path.join(root, `config-${Math.random().toString(36).slice(2)}.json`)
  const base = {
    domain: 'example.com',
    dataDir: path.join(root, 'data'),
    gatewayUrl: `http://localhost:${await freePort()}`,
    apiUrl: `http://localhost:${await freePort()}`,
    development: true,
    logLevel: 'silent',
  }
  await fs.writeFile(file, JSON.stringify({ ...base, ...extra }))
  return file
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'fz-serve-smtp-'))
  await fs.mkdir(path.join(root, 'data'), { mode: 0o700 })
  const db = await openDatabase(path.join(root, 'data', 'mail.sqlite'))
  await createUser(db, { email: 'alice@example.com', password: 'alice-in-venice' })
  await db.destroy()
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=mx.example.com',
    '-keyout',
    path.join(root, 'key.pem'),
    '-out',
    path.join(root, 'cert.pem'),
  ])
}, 60_000)

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true })
})

describe('federizer serve with listen.smtp', () => {
  it('listens for SMTP with STARTTLS and the recipient check, beside the gateway and the api', async () => {
    const file = await configFile({
      listen: { smtp: { port: 0 } },
      smtp: { tls: { certFile: path.join(root, 'cert.pem'), keyFile: path.join(root, 'key.pem') } },
    })
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
      const port = Number(/smtp smtp:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1])
      expect(port).toBeGreaterThan(0)
      const unknown = await starttlsProbe(port, 'nobody@example.com')
      expect(unknown.ehlo).toMatch(/250-STARTTLS/)
      expect(unknown.ehlo).toMatch(/250[- ]SIZE 26214400/)
      expect(unknown.rcptReply).toMatch(/^550 5\.1\.1/)
      expect((await starttlsProbe(port, 'alice@example.com')).rcptReply).toMatch(/^250/)
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
  }, 60_000)

  it('an unreadable certificate stops serve with the field named', async () => {
    const file = await configFile({
      listen: { smtp: { port: 0 } },
      smtp: { tls: { certFile: path.join(root, 'missing.pem'), keyFile: path.join(root, 'key.pem') } },
    })
    const r = await run(process.execPath, [bin, 'serve', '--config', file]).catch((e) => e)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/smtp\.tls\.certFile: cannot read .*missing\.pem \(ENOENT\)/)
  }, 60_000)

  it('a bad listen.smtp is refused with exit code 2 and the field', async () => {
    const file = await configFile({ listen: { smtp: { port: 'twenty-five' } } })
    const r = await run(process.execPath, [bin, 'serve', '--config', file]).catch((e) => e)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/listen\.smtp\.port/)
  }, 30_000)
})
