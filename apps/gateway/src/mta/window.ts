/**
 * Per-destination concurrency windows, after Postfix's destination concurrency feedback
 * (https://www.postfix.org/SCHEDULER_README.html): a domain starts with a few deliveries in flight, gains
 * one for each attempt it answers and is halved by each attempt that times out or fails for the time
 * being. A domain that answers quickly soon runs at the ceiling; one that stalls (accepts connections,
 * never answers) keeps only the few first slots, then one, so a few hostile domains cannot hold every
 * slot of the outbox for the length of a delivery timeout.
 */
export class ConcurrencyWindows {
  private readonly windows = new Map<string, number>()

  constructor(
    /** The window of a domain not heard from (Postfix's `initial_destination_concurrency` is 5). */
    readonly initial: number,
    /** The ceiling (Postfix's `default_destination_concurrency_limit` is 20). */
    readonly max: number,
    /** Domains remembered; the least recently heard from is forgotten first (starts again at `initial`). */
    readonly remembered = 10_000,
  ) {}

  /** How many deliveries to `destination` may be in flight at once. */
  limit(destination: string): number {
    return this.windows.get(destination) ?? this.initial
  }

  /** The domain answered (accepted, refused or deferred: it is there and working). */
  answered(destination: string): void {
    this.set(destination, Math.min(this.max, this.limit(destination) + 1))
  }

  /** The attempt timed out, could not connect, or got a 5xx / 429: the domain is slow or overloaded. */
  failed(destination: string): void {
    this.set(destination, Math.max(1, Math.floor(this.limit(destination) / 2)))
  }

  private set(destination: string, window: number): void {
    this.windows.delete(destination)
    this.windows.set(destination, window)
    if (this.windows.size > this.remembered) {
      const oldest = this.windows.keys().next().value
      if (oldest !== undefined) this.windows.delete(oldest)
    }
  }
}
