/**
 * Stored JSON columns read back as typed, validated values. A row that does not parse is the store's
 * fault, never the caller's input: it is a `CorruptRowError` (a 500), not a ProtocolError (a 4xx).
 */
import { type PlaceholderMessage, parseMessageJson } from '@federizer/protocol'
import { sql } from 'kysely'
import type { Db } from './db.ts'

export class CorruptRowError extends Error {
  override readonly name = 'CorruptRowError'
}

/** A stored `placeholder` column (outbox, messages, forward_jobs) as the Placeholder Message it holds. */
export function storedPlaceholder(text: string, where = 'a stored placeholder'): PlaceholderMessage {
  try {
    return parseMessageJson(text)
  } catch (cause) {
    throw new CorruptRowError(`${where} is not a valid Placeholder Message: ${(cause as Error).message}`, {
      cause,
    })
  }
}

/** A stored JSON array of strings (recipients, forward_to). */
export function storedStrings(text: string, where = 'a stored address list'): string[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new CorruptRowError(`${where} is not JSON`, { cause })
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new CorruptRowError(`${where} is not a list of strings`)
  return value
}

/** A stored JSON column with no fixed model (e.g. a chain verification report), or null when empty. */
export function storedJson(text: string | null, where = 'a stored JSON column'): unknown {
  if (text === null || text === '') return null
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new CorruptRowError(`${where} is not JSON`, { cause })
  }
}

/** Whether the database answers a query (the readiness probes of both servers). */
export async function databaseAnswers(db: Db): Promise<boolean> {
  try {
    await sql`SELECT 1`.execute(db)
    return true
  } catch {
    return false
  }
}
