import type { Db } from './db.ts'

/**
 * Remembers addresses the account corresponds with, for compose suggestions, in one upsert: an address
 * named twice counts twice, the last name given for it wins, an address given no name keeps its old one.
 */
export async function rememberContacts(
  db: Db,
  account: string,
  people: Array<{ name?: string; address: string }>,
  at: number,
): Promise<void> {
  const byAddress = new Map<string, { name: string | null; uses: number }>()
  for (const p of people) {
    const address = p.address.toLowerCase()
    if (address === account) continue
    const before = byAddress.get(address)
    byAddress.set(address, { name: p.name ?? before?.name ?? null, uses: (before?.uses ?? 0) + 1 })
  }
  if (byAddress.size === 0) return
  await db
    .insertInto('contacts')
    .values(
      [...byAddress].map(([address, c]) => ({
        account,
        address,
        name: c.name,
        use_count: c.uses,
        last_used_at: at,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['account', 'address']).doUpdateSet((eb) => ({
        use_count: eb('contacts.use_count', '+', eb.ref('excluded.use_count')),
        last_used_at: at,
        name: eb.fn.coalesce('excluded.name', 'contacts.name'),
      })),
    )
    .execute()
}

/** Addresses or names starting with `prefix`, most used first. */
export async function suggestContacts(
  db: Db,
  account: string,
  prefix: string,
  limit = 10,
): Promise<Array<{ name: string | null; address: string }>> {
  // LIKE wildcards are dropped rather than escaped: SQLite has no default ESCAPE character.
  const p = prefix
    .trim()
    .toLowerCase()
    .replace(/[\\%_]/g, '')
  if (!p) return []
  const pattern = `${p}%`
  const rows = await db
    .selectFrom('contacts')
    .select(['name', 'address'])
    .where('account', '=', account)
    .where((eb) => eb.or([eb('address', 'like', pattern), eb(eb.fn('lower', ['name']), 'like', pattern)]))
    .orderBy('use_count', 'desc')
    .orderBy('last_used_at', 'desc')
    .limit(limit)
    .execute()
  return rows
}

/**
 * Whether the account has itself sent mail to `address` (a correspondent, for the "load remote content
 * from contacts" policy). Received mail does not count: anyone can write to you.
 */
export async function hasWrittenTo(db: Db, account: string, address: string): Promise<boolean> {
  const a = address
    .trim()
    .toLowerCase()
    .replace(/[\\%_"]/g, '')
  if (!a.includes('@')) return false
  const row = await db
    .selectFrom('messages')
    .select('id')
    .where('account', '=', account.toLowerCase())
    .where('sent_at', 'is not', null)
    .where((eb) => eb(eb.fn('lower', ['recipients']), 'like', `%"${a}"%`))
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}
