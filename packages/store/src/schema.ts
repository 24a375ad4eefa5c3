import type { AuthTables } from './schema-auth.ts'
import type { FederationTables } from './schema-federation.ts'
import type { MailboxTables } from './schema-mailbox.ts'

/** The whole database: one interface per area, each owned by its module. */
export interface DatabaseSchema extends MailboxTables, AuthTables, FederationTables {}
