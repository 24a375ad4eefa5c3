import { type RawBuilder, sql } from 'kysely'
import type { Db } from './db.ts'
import type { SearchQuery } from './search-query.ts'

/**
 * The PostgreSQL side of search.ts: a tsvector per row (generated from the stored text, GIN-indexed,
 * migration 005-message-fts) queried with to_tsquery. To match what SQLite's FTS5 `unicode61
 * remove_diacritics 2` tokenizer finds, the text is folded here before it is stored and before it is
 * queried: compatibility-normalised, diacritics removed, lower-cased, and split into runs of letters and
 * digits, so `alice@example.com` is the three words FTS5 sees. A query word becomes a phrase of its
 * tokens (`<->`), its last token a prefix (`:*`) when it is the last word, as in the SQLite version.
 */
export function foldForIndex(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
}

/** The words a person typed, as SQLite's toFtsQuery splits them (at most 16). */
function words(input: string): string[] {
  return input
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}@._+-]+/u)
    .map((w) => w.replace(/^[._+-]+|[._+-]+$/g, ''))
    .filter((w) => w.length > 0)
    .slice(0, 16)
}

/** A tsquery phrase of one word's tokens (only letters and digits: nothing to escape). */
function phrase(word: string, prefix: boolean): string | undefined {
  const tokens = foldForIndex(word).split(' ').filter(Boolean)
  if (tokens.length === 0) return undefined
  return tokens.map((t, i) => `${t}${prefix && i === tokens.length - 1 ? ':*' : ''}`).join(' <-> ')
}

/** The tsquery of the free words (every one must match, the last as a prefix), or undefined. */
function wordsTsQuery(input: string): string | undefined {
  const list = words(input)
  const phrases = list.map((w, i) => phrase(w, i === list.length - 1)).filter((p) => p !== undefined)
  return phrases.length ? phrases.map((p) => `(${p})`).join(' & ') : undefined
}

/** The conditions on `f` (the index row) of the free words and `subject:` terms; empty when none. */
export function tsConditions(q: Pick<SearchQuery, 'words' | 'subject'>): RawBuilder<unknown>[] {
  const out: RawBuilder<unknown>[] = []
  const all = wordsTsQuery(q.words.join(' '))
  if (all) out.push(sql`f.doc @@ to_tsquery('simple', ${all})`)
  for (const term of q.subject) {
    // One phrase per subject term, its last word as a prefix (as the FTS5 column filter does).
    const p = phrase(words(term).join(' '), true)
    if (p) out.push(sql`f.subject_doc @@ to_tsquery('simple', ${p})`)
  }
  return out
}

export async function indexHeadersPostgres(
  db: Db,
  entry: { seq: number; subject: string; addresses: string; body: string },
): Promise<void> {
  const subject = foldForIndex(entry.subject)
  const addresses = foldForIndex(entry.addresses)
  const body = foldForIndex(entry.body)
  await sql`INSERT INTO message_fts (seq, subject, addresses, body)
    VALUES (${entry.seq}, ${subject}, ${addresses}, ${body})
    ON CONFLICT (seq) DO UPDATE SET subject = excluded.subject, addresses = excluded.addresses,
      body = excluded.body`.execute(db)
}

export async function indexTextPostgres(db: Db, seq: number, body: string): Promise<void> {
  await sql`UPDATE message_fts SET body = ${foldForIndex(body)} WHERE seq = ${seq}`.execute(db)
}

export async function removePostgres(db: Db, seq: number): Promise<void> {
  await sql`DELETE FROM message_fts WHERE seq = ${seq}`.execute(db)
}
