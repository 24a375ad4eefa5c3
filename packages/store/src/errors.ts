/** Stable codes of the mailbox area's domain errors; the api maps each to one TRPCError code. */
export type StoreErrorCode =
  | 'not_found' // no such row for this account (never reveals other accounts' rows)
  | 'conflict' // the row is not in a state that allows the change
  | 'invalid_input' // the request is well-formed JSON but not meaningful
  | 'too_large'
  | 'content_mismatch'
  | 'aborted'
  | 'unavailable' // the database cannot be reached right now: temporary, the caller retries

export class StoreError extends Error {
  override readonly name: string = 'StoreError'
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export class NotFoundError extends StoreError {
  override readonly name = 'NotFoundError'
  constructor(message: string) {
    super('not_found', message)
  }
}

export class ConflictError extends StoreError {
  override readonly name = 'ConflictError'
  constructor(message: string) {
    super('conflict', message)
  }
}

export class InvalidInputError extends StoreError {
  override readonly name = 'InvalidInputError'
  constructor(message: string) {
    super('invalid_input', message)
  }
}

/** Seconds a client is asked to wait (Retry-After) after a DatabaseUnavailableError. */
export const DATABASE_RETRY_AFTER_SECONDS = 5

/**
 * The database cannot be reached right now (PostgreSQL stopped, restarting or refusing connections, the
 * pool cannot connect, SQLite locked past its busy timeout). Nothing was decided: every edge answers it
 * once as 503 with Retry-After (RFC 9110 §15.6.4) and a queue job that meets it is retried, never bounced.
 */
export class DatabaseUnavailableError extends StoreError {
  override readonly name = 'DatabaseUnavailableError'
  constructor(options: { cause?: unknown } = {}) {
    super(
      'unavailable',
      `the database is unavailable right now; nothing was changed: retry in ${DATABASE_RETRY_AFTER_SECONDS} seconds`,
      options,
    )
  }
}
