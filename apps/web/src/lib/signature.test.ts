import { describe, expect, it } from 'vitest'
import { isDraftEmpty, newDraft } from './compose-model.ts'
import { withSignature } from './signature.ts'

describe('signatures', () => {
  it('adds "-- " and the signature to a new draft, which still counts as empty', () => {
    const d = withSignature(newDraft(), 'Alice\r\nExample Org\n')
    expect(d.text).toBe('\n\n-- \nAlice\nExample Org')
    expect(isDraftEmpty(d)).toBe(true)
    expect(isDraftEmpty({ ...d, text: `Hello${d.text}` })).toBe(false)
  })

  it('goes above the quote of a reply, once, and never into a saved draft', () => {
    const reply = { ...newDraft(), mode: 'reply' as const, text: '\n\nBob wrote:\n> hi\n' }
    const signed = withSignature(reply, 'Alice')
    expect(signed.text).toBe('\n\n-- \nAlice\n\nBob wrote:\n> hi\n')
    expect(withSignature(signed, 'Alice')).toBe(signed)
    const saved = { ...newDraft(), draftId: 'm_1' }
    expect(withSignature(saved, 'Alice')).toBe(saved)
    expect(withSignature(newDraft(), '  ').text).toBe('')
  })
})
