/** Stable codes of the mailbox area's domain errors; the api maps each to one TRPCError code. */
export type StoreErrorCode =
  | 'not_found' // no such row for this account (never reveals other accounts' rows)
  | 'conflict' // the row is not in a state that allows the change
  | 'invalid_input' // the request is well-formed JSON but not meaningful
  | 'too_large'
  | 'content_mismatch'
  | 'aborted'

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
