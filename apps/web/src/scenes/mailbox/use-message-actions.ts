import { useMemo } from 'react'
import type { MessageSummary } from '../../api/types.ts'
import { explainError } from '../../lib/explain.ts'
import { useMail } from '../../state/mail-context.ts'
import { askConfirm, pushNotice } from '../../state/mail-store.ts'

/** Mailbox work on messages: read/unread, star, archive, move, delete, restore (optimistic, queued offline). */
export function useMessageActions() {
  const { store, engine, api } = useMail()
  return useMemo(() => {
    const roleId = (role: string) => store.get().mailboxes.find((m) => m.role === role)?.id
    const ids = (msgs: MessageSummary[]) => msgs.map((m) => m.id)

    const moveWithUndo = async (msgs: MessageSummary[], targetId: string, verb: string) => {
      const from = msgs[0]?.mailboxId
      await engine.act({ kind: 'move', ids: ids(msgs), mailboxId: targetId }, verb)
      pushNotice(store, {
        kind: 'info',
        text: `${msgs.length === 1 ? 'Message' : `${msgs.length} messages`} ${verb}.`,
        about: ids(msgs),
        ...(from
          ? {
              action: {
                label: 'Undo',
                run: () => void engine.act({ kind: 'move', ids: ids(msgs), mailboxId: from }, 'undo'),
              },
            }
          : {}),
      })
    }

    return {
      async markRead(m: MessageSummary) {
        if (!m.keywords.includes('$seen'))
          await engine.act({ kind: 'setKeywords', ids: [m.id], add: ['$seen'] }, 'mark as read')
      },
      async toggleRead(m: MessageSummary) {
        const seen = m.keywords.includes('$seen')
        await engine.act(
          { kind: 'setKeywords', ids: [m.id], ...(seen ? { remove: ['$seen'] } : { add: ['$seen'] }) },
          seen ? 'mark as unread' : 'mark as read',
        )
      },
      async toggleStar(m: MessageSummary) {
        const flagged = m.keywords.includes('$flagged')
        await engine.act(
          {
            kind: 'setKeywords',
            ids: [m.id],
            ...(flagged ? { remove: ['$flagged'] } : { add: ['$flagged'] }),
          },
          flagged ? 'unstar' : 'star',
        )
      },
      async archive(msgs: MessageSummary[]) {
        const archiveId = roleId('archive')
        if (!archiveId || msgs.length === 0) return
        await moveWithUndo(msgs, archiveId, 'archived')
      },
      async move(msgs: MessageSummary[], mailboxId: string, mailboxName: string) {
        if (msgs.length === 0) return
        await moveWithUndo(msgs, mailboxId, `moved to ${mailboxName}`)
      },
      /** Answers false when the user declined "Delete for ever?". */
      async remove(msgs: MessageSummary[]): Promise<boolean> {
        const trashId = roleId('trash')
        if (msgs.length === 0) return false
        if (trashId && msgs.every((m) => m.mailboxId !== trashId)) {
          await moveWithUndo(msgs, trashId, 'moved to Trash')
          return true
        }
        const what = msgs.length === 1 ? 'This message' : `These ${msgs.length} messages`
        const yes = await askConfirm(store, {
          title: 'Delete for ever?',
          message: `${what} will be deleted for good; this cannot be undone.`,
          confirmLabel: 'Delete for ever',
        })
        if (!yes) return false
        await engine.act({ kind: 'destroy', ids: ids(msgs) }, 'delete for ever')
        return true
      },
      async restore(msgs: MessageSummary[]) {
        try {
          await api.restore({ ids: ids(msgs) })
          await engine.syncNow()
          pushNotice(store, { kind: 'success', text: 'Restored from Trash.', about: ids(msgs) })
        } catch (error) {
          pushNotice(store, { kind: 'error', text: explainError(error, 'Could not restore').sentence })
        }
      },
    }
  }, [store, engine, api])
}
