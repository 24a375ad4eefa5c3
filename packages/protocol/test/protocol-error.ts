import { expect } from 'vitest'
import { ProtocolError, type ProtocolErrorCode } from '../src/errors.ts'

/** Runs `fn` and asserts it throws a ProtocolError with `code` (and, optionally, a message matching `message`). */
export function expectThrowsCode(
  fn: () => unknown,
  code: ProtocolErrorCode,
  message?: RegExp,
): ProtocolError {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  expect(error, `expected ProtocolError(${code})`).toBeInstanceOf(ProtocolError)
  const pe = error as ProtocolError
  expect(pe.code, pe.message).toBe(code)
  if (message) expect(pe.message).toMatch(message)
  return pe
}
