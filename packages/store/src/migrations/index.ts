import type { Migration } from 'kysely'
import * as m001 from './001-mailbox.ts'
import * as m002 from './002-auth.ts'
import * as m003 from './003-federation.ts'
import * as m004 from './004-auto-forward-copy.ts'
import * as m005 from './005-message-fts.ts'
import * as m006 from './006-conversations-folders.ts'
import * as m007 from './007-user-settings.ts'
import * as m008 from './008-user-quota.ts'
import * as m009 from './009-resource-grants.ts'
import * as m010 from './010-forward-toggle-vacation-jobs.ts'
import * as m011 from './011-inbound-origin.ts'
import * as m012 from './012-rate-limits.ts'
import * as m013 from './013-message-seq.ts'
import * as m014 from './014-replica-state.ts'
import * as m015 from './015-drop-federation-replay.ts'
import * as m016 from './016-account-usage.ts'
import * as m017 from './017-small-resources.ts'
import * as m018 from './018-outbox-claim-index.ts'

/** Numbered, frozen migrations. Never edit one that has shipped: add the next number. */
export const migrations: Record<string, Migration> = {
  '001-mailbox': m001,
  '002-auth': m002,
  '003-federation': m003,
  '004-auto-forward-copy': m004,
  '005-message-fts': m005,
  '006-conversations-folders': m006,
  '007-user-settings': m007,
  '008-user-quota': m008,
  '009-resource-grants': m009,
  '010-forward-toggle-vacation-jobs': m010,
  '011-inbound-origin': m011,
  '012-rate-limits': m012,
  '013-message-seq': m013,
  '014-replica-state': m014,
  '015-drop-federation-replay': m015,
  '016-account-usage': m016,
  '017-small-resources': m017,
  '018-outbox-claim-index': m018,
}
