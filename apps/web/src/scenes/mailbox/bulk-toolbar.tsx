import { useState } from 'react'
import styled from 'styled-components'
import type { MailboxInfo, MessageSummary } from '../../api/types.ts'
import { Button } from '../../components/button.tsx'
import { ConfirmDialog } from '../../components/confirm-dialog.tsx'
import { useBulkActions } from './use-bulk-actions.ts'

/**
 * Above the list: "select all" for the view, then "all N in this folder", and the bulk actions (move,
 * archive, delete, read, unread, star) — each one request with one Undo.
 */
export function BulkToolbar(props: {
  /** The checked rows' messages (a conversation row brings all its messages). */
  selected: MessageSummary[]
  rowsChecked: number
  rowsInView: number
  onToggleAll: () => void
  /** The open folder (absent in search results): "all N in this folder" works on it on the server. */
  folder: MailboxInfo | undefined
  allInFolder: boolean
  onAllInFolder: (on: boolean) => void
  mailboxes: MailboxInfo[]
  onDone: () => void
}) {
  const bulk = useBulkActions()
  const [confirmDestroy, setConfirmDestroy] = useState(false)
  const { selected, folder } = props
  const wide = props.allInFolder && folder !== undefined
  const n = wide ? folder.total : selected.length
  const allChecked = props.rowsInView > 0 && props.rowsChecked === props.rowsInView
  const roleId = (role: string) => props.mailboxes.find((m) => m.role === role)?.id
  const archiveId = roleId('archive')
  const inTrash = selected.length > 0 && selected.every((m) => m.mailboxId === roleId('trash'))
  const run = (work: Promise<void>) => {
    props.onDone()
    void work
  }
  const keyword = (keyword: '$seen' | '$flagged', on: boolean, verb: string) =>
    run(
      wide
        ? bulk.allInFolder(
            folder.id,
            { kind: 'setKeywords', ...(on ? { add: [keyword] } : { remove: [keyword] }) },
            verb,
          )
        : bulk.setKeyword(selected, { keyword, on, verb }),
    )
  const move = (targetId: string, verb: string) =>
    run(
      wide
        ? bulk.allInFolder(folder.id, { kind: 'move', mailboxId: targetId }, verb)
        : bulk.move(selected, targetId, verb),
    )
  const destroy = () =>
    run(
      wide
        ? bulk.allInFolder(folder.id, { kind: 'destroy' }, inTrash ? 'deleted for ever' : 'moved to Trash')
        : bulk.remove(selected),
    )
  const anyUnstarred = selected.some((m) => !m.keywords.includes('$flagged'))

  return (
    <Bar role="toolbar" aria-label="Selected messages" data-testid="bulk-toolbar">
      <label className="all">
        <input
          type="checkbox"
          checked={allChecked}
          ref={(el) => {
            if (el) el.indeterminate = props.rowsChecked > 0 && !allChecked
          }}
          onChange={props.onToggleAll}
          disabled={props.rowsInView === 0}
        />
        <span>{props.rowsChecked > 0 ? `${wide ? `All ${n}` : n} selected` : 'Select all'}</span>
      </label>
      {allChecked && folder && folder.total > selected.length && !wide && (
        <Button type="button" $variant="ghost" onClick={() => props.onAllInFolder(true)}>
          Select all {folder.total} in this folder
        </Button>
      )}
      {n > 0 && (
        <Actions>
          {archiveId && folder?.role !== 'archive' && (
            <Button type="button" onClick={() => move(archiveId, 'archived')}>
              Archive
            </Button>
          )}
          <Button type="button" onClick={() => (inTrash ? setConfirmDestroy(true) : destroy())}>
            {inTrash ? 'Delete for ever' : 'Delete'}
          </Button>
          <Button type="button" onClick={() => keyword('$seen', true, 'marked as read')}>
            Read
          </Button>
          <Button type="button" onClick={() => keyword('$seen', false, 'marked as unread')}>
            Unread
          </Button>
          {wide || anyUnstarred ? (
            <Button type="button" onClick={() => keyword('$flagged', true, 'starred')}>
              Star
            </Button>
          ) : (
            <Button type="button" onClick={() => keyword('$flagged', false, 'unstarred')}>
              Unstar
            </Button>
          )}
          <select
            aria-label="Move to folder"
            value=""
            onChange={(e) => {
              const target = props.mailboxes.find((m) => m.id === e.target.value)
              if (target) move(target.id, `moved to ${target.name}`)
            }}
          >
            <option value="">Move to…</option>
            {props.mailboxes
              .filter((m) => m.id !== folder?.id && m.role !== 'drafts' && m.role !== 'sent')
              .map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
          </select>
        </Actions>
      )}
      {confirmDestroy && (
        <ConfirmDialog
          title="Delete for ever?"
          message={`${n === 1 ? 'This message' : `These ${n} messages`} will be deleted for good; this cannot be undone.`}
          confirmLabel="Delete for ever"
          danger
          onConfirm={() => {
            setConfirmDestroy(false)
            destroy()
          }}
          onCancel={() => setConfirmDestroy(false)}
        />
      )}
    </Bar>
  )
}

const Bar = styled.div`
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 6px 10px;
  padding: 6px 12px 6px 16px;
  border-bottom: 1px solid ${(p) => p.theme.color.border};
  font-size: 0.85rem;
  .all {
    display: inline-flex;
    align-items: center;
    gap: 8px;
    font-weight: 600;
  }
  input[type='checkbox'] {
    width: 16px;
    height: 16px;
  }
  select {
    font: inherit;
    padding: 4px 6px;
    border: 1px solid ${(p) => p.theme.color.border};
    border-radius: ${(p) => p.theme.radius};
    background: ${(p) => p.theme.color.surface};
    color: ${(p) => p.theme.color.text};
  }
`

const Actions = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: 6px;
  button {
    padding: 4px 10px;
    font-size: 0.85rem;
  }
`
