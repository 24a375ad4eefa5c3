import { StoreError } from './errors.ts'

// The failures of a resource write (resources.ts, small-resources.ts): each leaves nothing kept.

/** A resource larger than the configured limit; nothing was kept. */
export class ResourceTooLargeError extends StoreError {
  override readonly name = 'ResourceTooLargeError'
  constructor(readonly maxBytes: number) {
    super('too_large', `the resource is larger than the limit of ${maxBytes} bytes`)
  }
}

/** The bytes do not hash to the Content-ID they were announced under; nothing was kept. */
export class ContentMismatchError extends StoreError {
  override readonly name = 'ContentMismatchError'
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super('content_mismatch', `the bytes hash to ${actual}, not to the expected Content-ID ${expected}`)
  }
}

/** The source stream failed or was aborted before its end; nothing was kept. */
export class ResourceAbortedError extends StoreError {
  override readonly name = 'ResourceAbortedError'
  constructor(cause: unknown) {
    super(
      'aborted',
      `the upload stopped before its end: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    )
  }
}
