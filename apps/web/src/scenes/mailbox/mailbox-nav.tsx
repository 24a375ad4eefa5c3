import { useState } from 'react'
import styled from 'styled-components'
import type { MailboxInfo } from '../../api/types.ts'
import { Icon, type IconName } from '../../components/icons.tsx'
import { useMail } from '../../state/mail-context.ts'
import { FolderNameDialog } from './folder-dialog.tsx'
import { FolderMenu } from './folder-menu.tsx'
import { DRAG_TYPE } from './message-list.tsx'
import { QuotaBar } from './quota-bar.tsx'

const ICONS: Record<string, IconName> = {
  inbox: 'inbox',
  sent: 'send',
  drafts: 'drafts',
  trash: 'trash',
  archive: 'archive',
  junk: 'junk',
}

/** The mailbox list with unread counts; a horizontal strip on a phone. */
export function MailboxNav(props: {
  mailboxes: MailboxInfo[]
  currentId: string | undefined
  onSelect: (id: string) => void
  compact?: boolean
  /** Messages dragged from the list and dropped on a folder (their ids). */
  onDropMessages?: (mailboxId: string, ids: string[]) => void
}) {
  const [dropTarget, setDropTarget] = useState<string>()
  const depth = (m: MailboxInfo): number => {
    const parent = m.parentId ? props.mailboxes.find((b) => b.id === m.parentId) : undefined
    return parent && parent !== m ? 1 + depth(parent) : 0
  }
  return (
    <Nav aria-label="Mailboxes" $compact={props.compact ?? false}>
      <ul>
        {props.mailboxes.map((m) => {
          const current = m.id === props.currentId
          const countLabel = m.unread > 0 ? `, ${m.unread} unread` : ''
          return (
            <li
              key={m.id}
              data-drop={dropTarget === m.id ? 'over' : undefined}
              style={props.compact ? undefined : { paddingLeft: depth(m) * 14 }}
              onDragOver={(e) => {
                if (!props.onDropMessages || !e.dataTransfer.types.includes(DRAG_TYPE)) return
                e.preventDefault()
                e.dataTransfer.dropEffect = 'move'
                setDropTarget(m.id)
              }}
              onDragLeave={() => setDropTarget(undefined)}
              onDrop={(e) => {
                setDropTarget(undefined)
                const data = e.dataTransfer.getData(DRAG_TYPE)
                if (!data || !props.onDropMessages) return
                e.preventDefault()
                props.onDropMessages(m.id, JSON.parse(data) as string[])
              }}
            >
              <a
                href={`#/m/${encodeURIComponent(m.id)}`}
                aria-current={current ? 'page' : undefined}
                aria-label={`${m.name}${countLabel}`}
                data-role={m.role ?? undefined}
                onClick={(e) => {
                  e.preventDefault()
                  props.onSelect(m.id)
                }}
              >
                <Icon name={m.role ? (ICONS[m.role] ?? 'folder') : 'folder'} />
                <span className="name" title={m.name}>
                  {m.name}
                </span>
                {m.unread > 0 && m.role !== 'sent' && m.role !== 'trash' && (
                  <span className="count" aria-hidden="true">
                    {m.unread}
                  </span>
                )}
              </a>
              {!props.compact && m.role === null && <FolderMenu folder={m} />}
            </li>
          )
        })}
      </ul>
      {!props.compact && <NewFolder />}
      {!props.compact && <QuotaBar />}
    </Nav>
  )
}

const Nav = styled.nav<{ $compact: boolean }>`
  background: ${(p) => (p.$compact ? p.theme.color.surface : p.theme.color.bg)};
  border-right: ${(p) => (p.$compact ? 'none' : `1px solid ${p.theme.color.border}`)};
  border-bottom: ${(p) => (p.$compact ? `1px solid ${p.theme.color.border}` : 'none')};
  overflow: auto;
  padding: ${(p) => (p.$compact ? '6px 8px' : '12px 8px')};
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: ${(p) => (p.$compact ? 'row' : 'column')};
    gap: 2px;
  }
  li {
    position: relative;
    display: flex;
    align-items: center;
    border-radius: 0 20px 20px 0;
  }
  li[data-drop='over'] {
    outline: 2px dashed ${(p) => p.theme.color.accent};
    outline-offset: -2px;
  }
  a {
    flex: 1;
    min-width: 0;
    display: flex;
    align-items: center;
    gap: 12px;
    padding: ${(p) => (p.$compact ? '6px 12px' : '8px 12px')};
    border-radius: ${(p) => (p.$compact ? '18px' : '0 20px 20px 0')};
    color: ${(p) => p.theme.color.text};
    text-decoration: none;
    white-space: nowrap;
    &:hover {
      background: ${(p) => p.theme.color.hover};
    }
    &[aria-current='page'] {
      background: ${(p) => p.theme.color.selected};
      font-weight: 700;
    }
  }
  .name {
    flex: 1;
    ${(p) => (p.$compact ? '' : 'min-width: 0; overflow: hidden; text-overflow: ellipsis;')}
  }
  .count {
    font-weight: 700;
    font-size: 0.85rem;
    color: ${(p) => p.theme.color.accent};
  }
`

/** "New folder": user mailboxes beside the standard ones. */
function NewFolder() {
  const { api, engine } = useMail()
  const [open, setOpen] = useState(false)
  return (
    <>
      <NewFolderButton type="button" onClick={() => setOpen(true)}>
        + New folder
      </NewFolderButton>
      {open && (
        <FolderNameDialog
          title="New folder"
          submitLabel="Create"
          onSubmit={async (name) => {
            await api.createMailbox(name)
            await engine.refreshMailboxes()
          }}
          onClose={() => setOpen(false)}
        />
      )}
    </>
  )
}

const NewFolderButton = styled.button`
  margin: 12px 0 0 12px;
  border: none;
  background: none;
  color: ${(p) => p.theme.color.accent};
  font-weight: 600;
  cursor: pointer;
  padding: 6px 0;
`
