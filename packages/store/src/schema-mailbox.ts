// Tables of the mailbox area.
export interface MailboxTables {}
