import { type Kysely, PostgresAdapter } from 'kysely'

/** The two store dialects: the embedded SQLite file (default) and a shared PostgreSQL database. */
export type Dialect = 'sqlite' | 'postgres'

/** True for a `postgres://` or `postgresql://` URL (a database location that is not a SQLite file). */
export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//.test(location)

/** Which dialect `db` (or a transaction of it) speaks; the few dialect-specific queries branch on it. */
// biome-ignore lint/suspicious/noExplicitAny: migrations see the database untyped
export const dialectOf = (db: Kysely<any>): Dialect =>
  db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite'
