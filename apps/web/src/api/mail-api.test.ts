import { TRPCClientError } from '@trpc/client'
import { describe, expect, it } from 'vitest'
import { AuthError } from '../auth/oauth-session.ts'
import { isNetworkError } from './mail-api.ts'

describe('network error classification (decides between "queue and retry" and "tell the user")', () => {
  it.each([
    ['a failed fetch', new TypeError('Failed to fetch')],
    [
      'a tRPC error caused by a failed fetch',
      new TRPCClientError('fetch failed', { cause: new TypeError('fetch failed') }),
    ],
    ['an unreachable AS during token refresh', new AuthError('as_unreachable', 'cannot be reached')],
    [
      'a tRPC error caused by an unreachable AS',
      new TRPCClientError('x', { cause: new AuthError('as_unreachable', 'x') }),
    ],
  ])('%s is a network error', (_name, error) => {
    expect(isNetworkError(error)).toBe(true)
  })

  it.each([
    ['a server refusal', new TRPCClientError('message msg_1 not found')],
    ['a refused refresh token', new AuthError('token_error', 'invalid_grant')],
    ['a plain string', 'nope'],
  ])('%s is not', (_name, error) => {
    expect(isNetworkError(error)).toBe(false)
  })
})
