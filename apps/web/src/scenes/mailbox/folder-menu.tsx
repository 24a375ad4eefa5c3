import { useState } from 'react'
import styled from 'styled-components'
import type { MailboxInfo } from '../../api/types.ts'
import { ConfirmDialog } from '../../components/confirm-dialog.tsx'
import { explainError } from '../../lib/explain.ts'
import { useMail } from '../../state/mail-context.ts'
import { pushNotice } from '../../state/mail-store.ts'
import { FolderNameDialog } from './folder-dialog.tsx'

type Open = 'menu' | 'rename' | 'nest' | 'delete' | undefined

/** A user folder's actions: rename, a new folder inside it, delete — each in a real dialog. */
export function FolderMenu(props: { folder: MailboxInfo }) {
  const { api, engine, store } = useMail()
  const [open, setOpen] = useState<Open>()
  const { folder } = props
  const close = () => setOpen(undefined)
  return (
    <>
      <MenuButton
        type="button"
        aria-label={`Folder actions for ${folder.name}`}
        aria-expanded={open === 'menu'}
        onClick={() => setOpen(open === 'menu' ? undefined : 'menu')}
      >
        ⋯
      </MenuButton>
      {open === 'menu' && (
        <Menu role="menu" aria-label={`${folder.name} actions`}>
          <button type="button" role="menuitem" onClick={() => setOpen('rename')}>
            Rename…
          </button>
          <button type="button" role="menuitem" onClick={() => setOpen('nest')}>
            New folder inside…
          </button>
          <button type="button" role="menuitem" onClick={() => setOpen('delete')}>
            Delete…
          </button>
        </Menu>
      )}
      {open === 'rename' && (
        <FolderNameDialog
          title={`Rename “${folder.name}”`}
          submitLabel="Rename"
          initialName={folder.name}
          onSubmit={async (name) => {
            await api.renameMailbox(folder.id, name)
            await engine.refreshMailboxes()
          }}
          onClose={close}
        />
      )}
      {open === 'nest' && (
        <FolderNameDialog
          title={`New folder inside “${folder.name}”`}
          submitLabel="Create"
          onSubmit={async (name) => {
            await api.createMailbox(name, folder.id)
            await engine.refreshMailboxes()
          }}
          onClose={close}
        />
      )}
      {open === 'delete' && (
        <ConfirmDialog
          title={`Delete “${folder.name}”?`}
          message="The folder is deleted. A folder that still holds messages or folders is kept: move or delete them first."
          confirmLabel="Delete folder"
          danger
          onCancel={close}
          onConfirm={() => {
            close()
            api
              .removeMailbox(folder.id)
              .then(async () => {
                await engine.refreshMailboxes()
                pushNotice(store, { kind: 'success', text: `Folder “${folder.name}” deleted.` })
              })
              .catch((error: unknown) =>
                pushNotice(store, {
                  kind: 'error',
                  text: explainError(error, `Could not delete “${folder.name}”`).sentence,
                }),
              )
          }}
        />
      )}
    </>
  )
}

const MenuButton = styled.button`
  flex: none;
  border: none;
  background: none;
  color: ${(p) => p.theme.color.textMuted};
  cursor: pointer;
  padding: 2px 8px;
  border-radius: 50%;
  font-size: 1rem;
  line-height: 1;
  &:hover {
    background: ${(p) => p.theme.color.hover};
  }
`

const Menu = styled.div`
  position: absolute;
  right: 4px;
  top: 100%;
  z-index: 5;
  display: flex;
  flex-direction: column;
  min-width: 180px;
  padding: 4px 0;
  background: ${(p) => p.theme.color.surface};
  border: 1px solid ${(p) => p.theme.color.border};
  border-radius: ${(p) => p.theme.radius};
  box-shadow: 0 4px 12px rgb(0 0 0 / 0.15);
  button {
    border: none;
    background: none;
    color: ${(p) => p.theme.color.text};
    font: inherit;
    text-align: left;
    padding: 8px 14px;
    cursor: pointer;
    &:hover,
    &:focus-visible {
      background: ${(p) => p.theme.color.hover};
    }
  }
`
