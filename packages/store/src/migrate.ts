import {
  DataTypeNode,
  type Kysely,
  type KyselyPlugin,
  type Migration,
  type MigrationProvider,
  Migrator,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
} from 'kysely'
import { dialectOf } from './dialect.ts'
import { migrations } from './migrations/index.ts'

const provider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations
  },
}

/** The schema is older than this code: an operator runs `federizer migrate` (PostgreSQL only). */
export class SchemaBehindError extends Error {
  override readonly name = 'SchemaBehindError'
}

/**
 * SQLite's INTEGER is 64-bit; PostgreSQL's is 32-bit, too small for milliseconds or byte counts. The
 * frozen migrations say `integer` for SQLite, so on PostgreSQL every `integer` column they create becomes
 * `bigint` (booleans stay 0/1 integers on both dialects).
 */
class WideIntegers extends OperationNodeTransformer {
  protected override transformDataType(node: DataTypeNode): DataTypeNode {
    return node.dataType === 'integer' ? DataTypeNode.create('bigint') : node
  }
}

const wideIntegers: KyselyPlugin = {
  transformQuery: (args: PluginTransformQueryArgs) => new WideIntegers().transformNode(args.node),
  transformResult: async (args) => args.result,
}

// biome-ignore lint/suspicious/noExplicitAny: the migrator works on the untyped database
function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db: dialectOf(db) === 'postgres' ? db.withPlugin(wideIntegers) : db, provider })
}

/** Applies the pending migrations (in one transaction each) and returns the names applied. */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works on the untyped database
export async function migrate(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`)
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/** Throws SchemaBehindError naming the pending migrations and the command that applies them. */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works on the untyped database
export async function schemaBehind(db: Kysely<any>): Promise<void> {
  const pending = (await migrator(db).getMigrations()).filter((m) => !m.executedAt).map((m) => m.name)
  if (pending.length === 0) return
  throw new SchemaBehindError(
    `the database schema is behind this version of Federizer (${pending.length} pending migration${
      pending.length > 1 ? 's' : ''
    }: ${pending.join(', ')}). Run \`federizer migrate --config FILE\` once, then start the servers.`,
  )
}
