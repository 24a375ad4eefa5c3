import { useMemo } from 'react'
import type { MailApi } from '../../api/mail-api.ts'
import type { MessageSummary } from '../../api/types.ts'
import { explainError } from '../../lib/explain.ts'
import { folderKeywordUndo, keywordChange, moveBack } from '../../lib/selection.ts'
import { useMail } from '../../state/mail-context.ts'
import { pushNotice } from '../../state/mail-store.ts'

export type BulkKeyword = { keyword: '$seen' | '$flagged'; on: boolean; verb: string }
type FolderAction = Parameters<MailApi['bulkInMailbox']>[0]['action']

const count = (n: number) => (n === 1 ? 'Message' : `${n} messages`)
/** The api takes at most 500 ids per request. */
const chunks = (ids: string[]) =>
  Array.from({ length: Math.ceil(ids.length / 500) }, (_, i) => ids.slice(i * 500, i * 500 + 500))

/**
 * Bulk work on the selection (one request through the sync engine, so it is optimistic and queued
 * offline) or on every message of a folder (one bulkInMailbox request on the server). Each shows one
 * notice whose Undo restores the previous state.
 */
export function useBulkActions() {
  const { store, engine, api } = useMail()
  return useMemo(() => {
    const roleId = (role: string) => store.get().mailboxes.find((m) => m.role === role)?.id
    const done = (n: number, verb: string, about: string[], undo?: () => Promise<unknown>) =>
      pushNotice(store, {
        kind: 'info',
        text: `${count(n)} ${verb}.`,
        about,
        ...(undo ? { action: { label: 'Undo', run: () => void undo() } } : {}),
      })
    const failed = (error: unknown, what: string) =>
      pushNotice(store, { kind: 'error', text: explainError(error, `Could not ${what}`).sentence })

    return {
      async setKeyword(msgs: MessageSummary[], k: BulkKeyword) {
        if (msgs.length === 0) return
        const { change, undo } = keywordChange(msgs, k.keyword, k.on)
        await engine.act(change, k.verb)
        done(msgs.length, k.verb, change.ids, undo && (() => engine.act(undo, 'undo')))
      },
      async move(msgs: MessageSummary[], targetId: string, verb: string) {
        if (msgs.length === 0) return
        const ids = msgs.map((m) => m.id)
        const back = moveBack(msgs, targetId)
        await engine.act({ kind: 'move', ids, mailboxId: targetId }, verb)
        done(msgs.length, verb, ids, async () => {
          for (const change of back) await engine.act(change, 'undo')
        })
      },
      /** Outside Trash: to Trash (undo moves back). In Trash: gone for good (the caller asked first). */
      async remove(msgs: MessageSummary[]) {
        const trashId = roleId('trash')
        if (msgs.length === 0) return
        if (trashId && msgs.every((m) => m.mailboxId !== trashId)) {
          await this.move(msgs, trashId, 'moved to Trash')
          return
        }
        await engine.act({ kind: 'destroy', ids: msgs.map((m) => m.id) }, 'delete for ever')
        done(msgs.length, 'deleted for ever', [])
      },
      /** "All N in this folder": done on the server; Undo uses the ids it answers as changed. */
      async allInFolder(mailboxId: string, action: FolderAction, verb: string) {
        let result: { ids: string[]; flipped: string[] }
        try {
          result = await api.bulkInMailbox({ mailboxId, action })
        } catch (error) {
          failed(error, verb)
          return
        }
        await engine.syncNow()
        const { ids, flipped } = result
        let undo: (() => Promise<void>) | undefined
        if (action.kind === 'move') {
          undo = async () => {
            for (const part of chunks(flipped)) await api.move({ ids: part, mailboxId })
          }
        } else if (action.kind === 'destroy' && roleId('trash') !== mailboxId) {
          undo = async () => {
            for (const part of chunks(flipped)) await api.restore({ ids: part })
          }
        } else if (action.kind === 'setKeywords') {
          const back = folderKeywordUndo(action, flipped)
          if (back)
            undo = async () => {
              for (const part of chunks(back.ids)) await api.setKeywords({ ...back, ids: part })
            }
        }
        done(
          ids.length,
          verb,
          ids,
          undo &&
            (async () => {
              try {
                await undo()
                await engine.syncNow()
              } catch (error) {
                failed(error, 'undo')
              }
            }),
        )
      },
    }
  }, [store, engine, api])
}
