import { buildDraft, serializeMessageJson } from '@federizer/protocol'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../src/db.ts'
import {
  CorruptRowError,
  databaseAnswers,
  storedJson,
  storedPlaceholder,
  storedStrings,
} from '../src/stored-values.ts'
import { tempDb } from './helpers.ts'

const message = buildDraft({
  from: { address: 'alice@example.com' },
  to: [{ address: 'bob@example.net' }],
  subject: 'Lunch',
  messageId: '<m1@example.com>',
})

describe('stored JSON columns come back typed and validated', () => {
  it('reads a stored Placeholder Message back as the same message', () => {
    expect(storedPlaceholder(serializeMessageJson(message))).toEqual(message)
  })

  it('refuses text that is not JSON, naming the row', () => {
    expect(() => storedPlaceholder('{"envelope":', 'message m_1')).toThrow(
      /^message m_1 is not a valid Placeholder Message/,
    )
  })

  it('refuses JSON that is not a Placeholder Message as a CorruptRowError, not a ProtocolError', () => {
    const broken = JSON.stringify({ envelope: [], parts: [] })
    expect(() => storedPlaceholder(broken)).toThrow(CorruptRowError)
  })

  it('reads a list of strings and refuses anything else', () => {
    expect(storedStrings('["a@example.net","b@example.net"]')).toEqual(['a@example.net', 'b@example.net'])
    expect(() => storedStrings('["a@example.net",3]', 'forward_to of job f_1')).toThrow(
      'forward_to of job f_1 is not a list of strings',
    )
    expect(() => storedStrings('{"0":"a"}')).toThrow(CorruptRowError)
    expect(() => storedStrings('[')).toThrow('a stored address list is not JSON')
  })

  it('reads an optional JSON column: null when empty, the value when set, refused when broken', () => {
    expect(storedJson(null)).toBeNull()
    expect(storedJson('')).toBeNull()
    expect(storedJson('{"ok":true}')).toEqual({ ok: true })
    expect(() => storedJson('{ok}')).toThrow(CorruptRowError)
  })
})

describe('databaseAnswers', () => {
  it('is true for an open database and false once it is closed', async () => {
    const { db, location, cleanup } = await tempDb()
    try {
      expect(await databaseAnswers(db)).toBe(true)
      const other = await openDatabase(location)
      await other.destroy()
      expect(await databaseAnswers(other)).toBe(false)
    } finally {
      await cleanup()
    }
  })
})
