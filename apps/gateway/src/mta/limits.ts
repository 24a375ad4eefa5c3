/** The MTA's per-peer concurrency limits (the windows that move within them: window.ts). */

/**
 * The most deliveries to one peer domain in flight at once (Postfix's
 * `default_destination_concurrency_limit` is 20). Each is one small POST whose answer waits for the
 * receiver's commit, so with 4 the link to a busy peer idled while both ends had CPU to spare: two
 * alternating pairs of bench runs, 4 → 16, gave 107 → 131 and 147 → 176 msg/s (medians of three;
 * docs/benchmarks.md).
 */
export const OUTBOX_PER_DESTINATION = 16

/**
 * A domain not heard from starts with this many deliveries in flight and earns the rest one answer at a
 * time (window.ts): a stalled domain holds 4 slots, then fewer, not 16.
 */
export const OUTBOX_INITIAL_WINDOW = 4

/**
 * Fetch jobs from one origin domain at once: a slow origin cannot starve the others (each is a transfer
 * of up to a whole resource; the outbox allows more, OUTBOX_PER_DESTINATION above).
 */
export const FETCH_PER_DESTINATION = 4
