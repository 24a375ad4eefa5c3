import { describe, expect, it } from 'vitest'
import { formatHash, parseHash } from './use-hash-route.ts'

describe('hash routes', () => {
  it.each([
    [{}, '#/'],
    [{ mailboxId: 'mb_1' }, '#/m/mb_1'],
    [{ mailboxId: 'mb_1', messageId: 'msg_2' }, '#/m/mb_1/msg_2'],
    [{ search: 'venice photo' }, '#/search/venice%20photo'],
    [{ search: 'a/b', messageId: 'msg_3' }, '#/search/a%2Fb/msg_3'],
  ])('%j ⇄ %s', (route, hash) => {
    expect(formatHash(route)).toBe(hash)
    expect(parseHash(hash)).toEqual(route)
  })

  it('treats unknown hashes as the default view', () => {
    expect(parseHash('#/nonsense/x')).toEqual({})
    expect(parseHash('')).toEqual({})
  })
})
