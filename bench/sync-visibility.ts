import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { fmt, percentile, stat } from './lib.ts'
import { ALICE, BOB, openBenchNetwork, submitMail, trpcClient } from './network.ts'
import type { Section } from './report.ts'

const SYNC_ENGINE = fileURLToPath(new URL('../apps/web/src/state/sync-engine.ts', import.meta.url))
const TARGET_MS = 3000

/** The webmail's default polling interval, read from its sync engine (`intervalMs ?? N`). */
async function webmailPollIntervalMs(): Promise<number> {
  const source = await readFile(SYNC_ENGINE, 'utf8')
  const m = /intervalMs\s*\?\?\s*([\d_]+)/.exec(source)
  if (!m) throw new Error(`no default intervalMs found in ${SYNC_ENGINE}`)
  return Number(m[1]!.replaceAll('_', ''))
}

/**
 * Section 6 (issue 6 budget): from the sender's click (send, undo window 0) to the message appearing in
 * the recipient's `sync.changes`, with Bob polling as the webmail does: `sync.state` every interval,
 * then `changes` since the last state when it moved.
 */
export async function benchSyncVisibility(options: { messages: number }): Promise<Section> {
  const intervalMs = await webmailPollIntervalMs()
  const bench = await openBenchNetwork({ receiverApi: true })
  const latencies: number[] = []
  try {
    const alice = trpcClient(bench.senderApi.url, await bench.sender.accessToken(ALICE))
    const bob = trpcClient(bench.receiverApi!.url, await bench.receiver.accessToken(BOB))
    let state = (await bob.sync.state.query()).state
    const created: number[] = []
    let polling = true
    const poller = (async () => {
      while (polling) {
        const now = (await bob.sync.state.query()).state
        if (now !== state) {
          for (let more = true; more; ) {
            const c = await bob.sync.changes.query({ since: state, max: 200 })
            if (c.kind !== 'changes') throw new Error('sync.changes could not calculate changes')
            for (const _ of c.created) created.push(performance.now())
            state = c.newState
            more = c.hasMore
          }
        }
        await new Promise((r) => setTimeout(r, intervalMs))
      }
    })()
    for (let i = 0; i < options.messages; i++) {
      // A click lands anywhere in Bob's polling cycle.
      await new Promise((r) => setTimeout(r, Math.random() * intervalMs))
      const before = created.length
      const clicked = performance.now()
      await submitMail(alice, { to: [BOB], subject: `visible ${i}`, text: 'Are you there, Bob?' })
      const deadline = Date.now() + 60_000
      while (created.length === before) {
        if (Date.now() > deadline) throw new Error('the message never appeared in Bob’s sync.changes')
        await new Promise((r) => setTimeout(r, 5))
      }
      latencies.push(created[before]! - clicked)
    }
    polling = false
    await poller
  } finally {
    await bench.close()
  }
  const s = stat(latencies)
  const p95 = percentile(latencies, 95)
  return {
    title: '6. New mail visible in the recipient’s webmail',
    method:
      `${options.messages} messages sent one at a time (at a random point of Bob’s polling cycle) from ` +
      `Alice’s api to Bob; Bob polls sync.state every ${intervalMs} ms (the webmail’s default, read from ` +
      'apps/web/src/state/sync-engine.ts) and pulls sync.changes when it moved. Time from the click (one ' +
      'send.submit given the form, undo window 0) to the created id arriving at Bob.',
    rows: [
      {
        figure: `click → in Bob’s sync.changes (poll every ${intervalMs} ms)`,
        value: `${fmt(s.median, 0)} ms`,
        spread: `${fmt(s.min, 0)} – ${fmt(s.max, 0)}`,
        runs: s.runs,
        target: `< ${TARGET_MS} ms (every message)`,
        ok: s.max < TARGET_MS,
        note: `p95 ${fmt(p95, 0)} ms`,
      },
    ],
  }
}
