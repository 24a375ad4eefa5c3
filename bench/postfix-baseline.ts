import { type ChildProcess, spawn } from 'node:child_process'
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort, postfixInstalled, startPostfix } from '@federizer/devnet'

/**
 * Postfix's own rate in the same run (issue 14): Debian's `smtp-source` → a private Postfix on loopback
 * (its disk queue: every 250 after the fsync) → `smtp-sink` (which writes each message to a file), timed
 * from the first connection until the sink holds every message. `sessions` parallel SMTP sessions.
 */
export interface PostfixRun {
  perSecond: number
  messages: number
  bytes: number
}

export { postfixInstalled }

export async function postfixRate(o: {
  messages: number
  bytes: number
  sessions: number
}): Promise<PostfixRun> {
  const pfDir = await mkdtemp(path.join(tmpdir(), 'fz-bench-pfq-'))
  const sinkDir = await mkdtemp(path.join(tmpdir(), 'fz-bench-sink-'))
  await chmod(sinkDir, 0o777)
  const sinkPort = await freePort()
  const sink = spawn(
    '/usr/sbin/smtp-sink',
    ['-u', 'postfix', '-d', path.join(sinkDir, '%H%M%S.'), `127.0.0.1:${sinkPort}`, '256'],
    { stdio: 'ignore' },
  )
  const postfix = await startPostfix({
    dir: pfDir,
    domain: 'legacy.test',
    mailboxes: [],
    relay: { 'sink.test': sinkPort },
  })
  try {
    const started = performance.now()
    await run('/usr/sbin/smtp-source', [
      ...['-s', String(o.sessions), '-m', String(o.messages), '-l', String(o.bytes)],
      ...['-f', 'bench@legacy.test', '-t', 'x@sink.test', `127.0.0.1:${postfix.port}`],
    ])
    const deadline = Date.now() + 600_000
    while ((await readdir(sinkDir)).length < o.messages) {
      if (Date.now() > deadline) throw new Error('Postfix did not relay every message to smtp-sink in 10 min')
      await new Promise((r) => setTimeout(r, 10))
    }
    return {
      perSecond: o.messages / ((performance.now() - started) / 1000),
      messages: o.messages,
      bytes: o.bytes,
    }
  } finally {
    await postfix.stop()
    await stop(sink)
    await rm(pfDir, { recursive: true, force: true })
    await rm(sinkDir, { recursive: true, force: true })
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000)
    })
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err}`)),
    )
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}
