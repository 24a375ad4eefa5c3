import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { startQueueRunner } from '../src/mta/runner.ts'
import { ConcurrencyWindows } from '../src/mta/window.ts'

// Unit tests of the queue runner's claim rhythm with an in-memory queue (the claims against a real
// database are in packages/store/test/queue.test.ts and federation-lease.test.ts).
interface Row {
  id: string
  dest: string
}

const settle = () => new Promise((r) => setTimeout(r, 50))

/** A queue of `rows`, claimed at most `cap` per destination; each run waits until `finish(id)`. */
function memoryQueue(rows: Row[], cap: number) {
  const waiting = [...rows]
  const finishers = new Map<string, () => void>()
  const claims: number[] = []
  const runner = startQueueRunner<Row>({
    name: 'test',
    concurrency: 8,
    pollIntervalMs: 60_000,
    logger: pino({ level: 'silent' }),
    claim: async (limit, _exclude, running) => {
      const counts = new Map(running)
      const taken: Row[] = []
      for (const row of [...waiting]) {
        if (taken.length >= limit || (counts.get(row.dest) ?? 0) >= cap) continue
        counts.set(row.dest, (counts.get(row.dest) ?? 0) + 1)
        taken.push(row)
        waiting.splice(waiting.indexOf(row), 1)
      }
      claims.push(taken.length)
      return taken
    },
    id: (row) => row.id,
    destination: (row) => row.dest,
    capacity: () => cap,
    run: (row) => new Promise<void>((resolve) => finishers.set(row.id, resolve)),
    release: async () => {},
  })
  return {
    runner,
    claims,
    waiting,
    running: () => [...finishers.keys()],
    finish: (id: string) => finishers.get(id)?.(),
  }
}

describe('the queue runner', () => {
  it('sleeps after a claim that took fewer rows than it had slots, until woken', async () => {
    const q = memoryQueue(
      [
        { id: 'a1', dest: 'a' },
        { id: 'a2', dest: 'a' },
        { id: 'a3', dest: 'a' },
      ],
      2,
    )
    try {
      await settle()
      // One claim took a1 and a2 (a3 waits for a slot of `a`); no second claim that could find nothing.
      expect(q.claims).toEqual([2])
      expect(q.running()).toEqual(['a1', 'a2'])
      // A finished job frees a slot of `a` and wakes the runner: it takes a3.
      q.finish('a1')
      await settle()
      expect(q.claims).toEqual([2, 1])
      expect(q.running()).toContain('a3')
    } finally {
      q.finish('a2')
      q.finish('a3')
      await q.runner.stop()
    }
  })

  it('drops a wake for destinations that are all at their cap, and claims for any other', async () => {
    const q = memoryQueue(
      [
        { id: 'a1', dest: 'a' },
        { id: 'a2', dest: 'a' },
      ],
      2,
    )
    try {
      await settle()
      expect(q.claims).toEqual([2])
      q.waiting.push({ id: 'a3', dest: 'a' })
      q.runner.wake(['a'])
      await settle()
      expect(q.claims).toEqual([2])
      q.waiting.push({ id: 'b1', dest: 'b' })
      q.runner.wake(['a', 'b'])
      await settle()
      expect(q.claims).toEqual([2, 1])
      expect(q.running()).toContain('b1')
      // A wake that names no destination always claims.
      q.runner.wake()
      await settle()
      expect(q.claims).toEqual([2, 1, 0])
    } finally {
      for (const id of q.running()) q.finish(id)
      await q.runner.stop()
    }
  })
})

describe('the per-destination concurrency windows', () => {
  it('start at the initial window, grow by one per answer up to the ceiling, halve per failure', () => {
    const w = new ConcurrencyWindows(4, 16)
    expect(w.limit('example.net')).toBe(4)
    for (let i = 0; i < 20; i++) w.answered('example.net')
    expect(w.limit('example.net')).toBe(16)
    w.failed('example.net')
    expect(w.limit('example.net')).toBe(8)
    w.failed('example.net')
    w.failed('example.net')
    w.failed('example.net')
    w.failed('example.net')
    expect(w.limit('example.net')).toBe(1)
    // A stalled domain never answered: its first four time out and leave it one slot.
    for (let i = 0; i < 4; i++) w.failed('stalled.example')
    expect(w.limit('stalled.example')).toBe(1)
    expect(w.limit('other.example')).toBe(4)
  })

  it('forget the least recently heard-from domain beyond the ones remembered', () => {
    const w = new ConcurrencyWindows(4, 16, 2)
    w.failed('a.example')
    w.failed('b.example')
    w.failed('a.example')
    w.failed('c.example')
    // b was heard from least recently: forgotten, back at the initial window; a and c kept.
    expect(w.limit('b.example')).toBe(4)
    expect(w.limit('a.example')).toBe(1)
    expect(w.limit('c.example')).toBe(2)
  })
})
