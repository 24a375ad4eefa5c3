import { type Db, nextClaimableAt, type QueueTable } from '@federizer/store'

/**
 * When an idle queue runner should claim again: at the second its next row comes due (a retry, an
 * undo-send hold ending, a lapsing lease). `claiming` marks the second a claim looked at; the due time
 * counts every row not claimable in THAT second, not in the second the lookup runs in. A runner woken
 * at a second's boundary (timers fire on the loop's cached clock, a few ms early) claims in second
 * T-1, finds the row due at T not yet due, and looks it up in second T: a lookup from "now" would
 * count that row as already claimable, leave it out and sleep the whole safety-net poll.
 */
export function queueDueClock(db: Db, table: QueueTable, states: string[], now: () => number) {
  let claimedAt: number | undefined
  return {
    /** Called as a claim begins. */
    claiming(): void {
      claimedAt = now()
    },
    /** Milliseconds until the next row comes due (≤ 0: due already), or undefined when none will. */
    async nextDueInMs(): Promise<number | undefined> {
      const at = await nextClaimableAt(db, table, states, claimedAt ?? now())
      // Whole seconds: due at the start of second `at`, counted from the real time within `now`.
      return at === undefined ? undefined : (at - now()) * 1000 - (Date.now() % 1000)
    },
  }
}
