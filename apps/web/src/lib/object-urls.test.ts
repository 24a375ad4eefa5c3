import { resolveObjectURL } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { createObjectUrlSet } from './object-urls.ts'

// Node's own URL.createObjectURL / revokeObjectURL: resolveObjectURL tells a live URL from a revoked one.
describe('blob: URLs of thumbnails and the viewer (issue 16)', () => {
  it('revokes every URL it made when the view goes away', () => {
    const set = createObjectUrlSet()
    const a = set.add(new Blob(['png bytes'], { type: 'image/png' })) as string
    const b = set.add(new Blob(['jpeg bytes'], { type: 'image/jpeg' })) as string
    expect(a).toMatch(/^blob:/)
    expect(resolveObjectURL(a)).toBeDefined()
    expect(set.size).toBe(2)
    set.revokeAll()
    expect(resolveObjectURL(a)).toBeUndefined()
    expect(resolveObjectURL(b)).toBeUndefined()
    expect(set.size).toBe(0)
  })

  it('makes no URL after it was closed (a download finishing after the message was left)', () => {
    const set = createObjectUrlSet()
    set.revokeAll()
    expect(set.add(new Blob(['late']))).toBeUndefined()
    expect(set.size).toBe(0)
  })
})
