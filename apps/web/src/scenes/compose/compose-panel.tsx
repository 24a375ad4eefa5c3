import {
  type DragEvent,
  type ClipboardEvent as ReactClipboardEvent,
  useCallback,
  useId,
  useRef,
  useState,
} from 'react'
import styled from 'styled-components'
import { isNetworkError } from '../../api/mail-api.ts'
import type { DraftState, ResourceRefView } from '../../api/types.ts'
import { Button, IconButton } from '../../components/button.tsx'
import { ConfirmDialog } from '../../components/confirm-dialog.tsx'
import { Icon } from '../../components/icons.tsx'
import { Problem } from '../../components/problem.tsx'
import { allRecipients, isDraftEmpty } from '../../lib/compose-model.ts'
import { type Explained, explainError } from '../../lib/explain.ts'
import type { KeyValueStorage } from '../../lib/offline-queue.ts'
import { addToOutbox } from '../../lib/outbox-queue.ts'
import { useMail } from '../../state/mail-context.ts'
import { pushNotice } from '../../state/mail-store.ts'
import { ComposeAttachments } from './compose-attachments.tsx'
import { ComposeEditor } from './compose-editor.tsx'
import { type AddressFieldName, ComposeFields } from './compose-fields.tsx'
import { useDraftAutosave } from './use-draft-autosave.ts'
import { useUploads } from './use-uploads.ts'

/** Compose: chips, subject, text or rich text, attachments with progress, autosave, send with undo. */
export function ComposePanel(props: { initial: DraftState; storage: KeyValueStorage; onClose: () => void }) {
  const { email, store, engine } = useMail()
  const titleId = useId()
  const saving = useDraftAutosave(props.initial, props.storage)
  const { draft, patch, send } = saving
  const [rich, setRich] = useState(props.initial.html !== undefined)
  const [sending, setSending] = useState(false)
  const [error, setError] = useState<string | Explained>()
  const [dragging, setDragging] = useState(false)
  const [asking, setAsking] = useState<'noSubject' | 'discard'>()
  const invalid = useRef<Record<AddressFieldName, string[]>>({ to: [], cc: [], bcc: [] })
  const fileInput = useRef<HTMLInputElement>(null)

  const handleUploaded = useCallback(
    (ref: ResourceRefView) => saving.update((d) => ({ ...d, attachments: [...d.attachments, ref] })),
    [saving.update],
  )
  const uploads = useUploads(handleUploaded)
  const handleInvalid = useCallback((field: AddressFieldName, values: string[]) => {
    invalid.current = { ...invalid.current, [field]: values }
  }, [])

  const handleClose = async () => {
    const outcome = await saving.close()
    if (outcome === 'saved') pushNotice(store, { kind: 'info', text: 'Draft saved.' })
    if (outcome === 'keptLocally')
      pushNotice(store, {
        kind: 'error',
        text: 'The draft could not be saved on the server; a copy stays in this browser.',
      })
    props.onClose()
  }

  const discard = async () => {
    const deleting = saving.discard()
    props.onClose()
    if (await deleting) void engine.syncNow()
  }
  const handleDiscard = () => {
    if (isDraftEmpty(draft)) void discard()
    else setAsking('discard')
  }

  const queueOffline = () => {
    store.set({ outbox: addToOutbox(props.storage, email, saving.current()) })
    saving.forgetLocal()
    pushNotice(store, {
      kind: 'info',
      text: 'No connection to the mail server: the message is in your outbox and will be sent when the connection returns.',
    })
    props.onClose()
  }

  const handleSend = async (options: { noSubjectOk?: boolean } = {}) => {
    setError(undefined)
    const bad = Object.values(invalid.current).flat()
    if (bad.length > 0) return setError(`Fix the address${bad.length > 1 ? 'es' : ''}: ${bad.join(', ')}`)
    if (allRecipients(draft).length === 0) return setError('Add at least one recipient.')
    if (uploads.busy) return setError('Wait for the attachments to finish uploading, or cancel them.')
    const failed = uploads.items.filter((u) => u.state === 'error')
    if (failed.length > 0)
      return setError(
        `${failed.map((u) => u.filename).join(', ')} could not be attached. Remove ${failed.length > 1 ? 'them' : 'it'} or attach again; nothing was sent.`,
      )
    if (!draft.subject.trim() && !options.noSubjectOk) return setAsking('noSubject')
    // Offline (or the server does not answer): the message waits in the outbox, visibly.
    if (!navigator.onLine || !store.get().online) return queueOffline()
    setSending(true)
    try {
      const result = await send(draft)
      saving.forgetLocal()
      if (draft.sourceMessageId && draft.mode !== 'new') {
        const keyword = draft.mode === 'forward' ? '$forwarded' : '$answered'
        void engine.act(
          { kind: 'setKeywords', ids: [draft.sourceMessageId], add: [keyword] },
          'mark as answered',
        )
      }
      store.set((s) => ({
        sends: [
          ...s.sends,
          {
            messageId: result.messageId,
            subject: draft.subject || '(no subject)',
            holdUntil: result.holdUntil,
          },
        ],
      }))
      void engine.syncNow()
      props.onClose()
    } catch (e) {
      setSending(false)
      if (isNetworkError(e)) return queueOffline()
      setError(explainError(e, 'Not sent'))
    }
  }

  const handleFiles = (files: FileList | null) => {
    if (files && files.length > 0) void uploads.add(Array.from(files))
  }
  const handleDrop = (event: DragEvent) => {
    event.preventDefault()
    setDragging(false)
    handleFiles(event.dataTransfer.files)
  }
  const handlePaste = (event: ReactClipboardEvent) => {
    if (event.clipboardData.files.length > 0) {
      event.preventDefault()
      handleFiles(event.clipboardData.files)
    }
  }

  const title =
    draft.mode === 'reply' || draft.mode === 'replyAll'
      ? 'Reply'
      : draft.mode === 'forward'
        ? 'Forward'
        : 'New message'

  return (
    <Panel
      role="dialog"
      aria-labelledby={titleId}
      onDragOver={(e) => {
        e.preventDefault()
        setDragging(true)
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={handleDrop}
      onPaste={handlePaste}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !asking) {
          e.stopPropagation()
          void handleClose()
        }
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void handleSend()
      }}
      data-testid="compose"
    >
      <Header>
        <h2 id={titleId}>{title}</h2>
        <SaveState aria-live="polite">
          {saving.saveState === 'saving' && 'Saving…'}
          {saving.saveState === 'saved' && 'Draft saved'}
          {saving.saveState === 'offline' && 'Offline: kept in this browser'}
          {saving.saveState === 'error' && 'Not saved on the server'}
        </SaveState>
        <IconButton type="button" aria-label="Close (keep draft)" onClick={() => void handleClose()}>
          <Icon name="close" />
        </IconButton>
      </Header>
      <ComposeFields
        draft={draft}
        subjectId={`${titleId}-subject`}
        onChange={patch}
        onInvalid={handleInvalid}
      />
      <ComposeEditor draft={draft} rich={rich} dragging={dragging} onChange={patch} />
      <ComposeAttachments
        attachments={draft.attachments}
        uploads={uploads.items}
        onRemove={(ref) => patch({ attachments: draft.attachments.filter((x) => x !== ref) })}
        onCancel={uploads.cancel}
      />
      {error && (
        <ErrorLine role="alert">{typeof error === 'string' ? error : <Problem problem={error} />}</ErrorLine>
      )}
      <Footer>
        <Button
          $variant="primary"
          onClick={() => void handleSend()}
          disabled={sending}
          aria-keyshortcuts="Control+Enter"
        >
          <Icon name="send" /> {sending ? 'Sending…' : 'Send'}
        </Button>
        <IconButton type="button" aria-label="Attach files" onClick={() => fileInput.current?.click()}>
          <Icon name="attach" />
        </IconButton>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            handleFiles(e.target.files)
            e.target.value = ''
          }}
        />
        <LinkButton
          type="button"
          aria-pressed={rich}
          onClick={() => {
            if (rich) patch({ html: undefined })
            setRich((r) => !r)
          }}
        >
          {rich ? 'Plain text' : 'Formatting'}
        </LinkButton>
        <Spacer />
        <IconButton type="button" aria-label="Discard draft" onClick={handleDiscard}>
          <Icon name="trash" />
        </IconButton>
      </Footer>
      {asking === 'noSubject' && (
        <ConfirmDialog
          title="Send without a subject?"
          message="The message has no subject. Recipients will see it as “(no subject)”."
          confirmLabel="Send anyway"
          cancelLabel="Add a subject"
          onCancel={() => setAsking(undefined)}
          onConfirm={() => {
            setAsking(undefined)
            void handleSend({ noSubjectOk: true })
          }}
        />
      )}
      {asking === 'discard' && (
        <ConfirmDialog
          title="Discard this draft?"
          message="The draft is deleted from Drafts, with its attachments."
          confirmLabel="Discard"
          cancelLabel="Keep editing"
          danger
          onCancel={() => setAsking(undefined)}
          onConfirm={() => {
            setAsking(undefined)
            void discard()
          }}
        />
      )}
    </Panel>
  )
}

const Panel = styled.section`
  position: fixed;
  right: 24px;
  bottom: 0;
  z-index: 15;
  width: min(620px, calc(100vw - 48px));
  height: min(680px, calc(100vh - 64px));
  display: flex;
  flex-direction: column;
  background: ${(p) => p.theme.color.surface};
  border: 1px solid ${(p) => p.theme.color.border};
  border-bottom: none;
  border-radius: 12px 12px 0 0;
  box-shadow: ${(p) => p.theme.shadow};
  @media (max-width: 760px) {
    inset: 0;
    width: 100%;
    height: 100%;
    border-radius: 0;
  }
`

const Header = styled.header`
  display: flex;
  align-items: center;
  gap: 8px;
  padding: 6px 8px 6px 16px;
  background: ${(p) => p.theme.color.surfaceAlt};
  border-radius: 12px 12px 0 0;
  h2 {
    margin: 0;
    font-size: 1rem;
    flex: 1;
  }
`

const SaveState = styled.span`
  font-size: 0.82rem;
  color: ${(p) => p.theme.color.textMuted};
`

const LinkButton = styled.button`
  border: none;
  background: none;
  color: ${(p) => p.theme.color.accent};
  cursor: pointer;
  padding: 6px 4px;
  font-size: 0.9rem;
  font-weight: 600;
`

const ErrorLine = styled.div`
  margin: 0;
  padding: 6px 16px;
  color: ${(p) => p.theme.color.danger};
  font-weight: 600;
`

const Footer = styled.footer`
  display: flex;
  align-items: center;
  gap: 8px;
  padding: 10px 16px;
  border-top: 1px solid ${(p) => p.theme.color.border};
`

const Spacer = styled.span`
  flex: 1;
`
