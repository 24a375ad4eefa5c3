import {
  type DragEvent,
  type ClipboardEvent as ReactClipboardEvent,
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
} from 'react'
import styled from 'styled-components'
import type { DraftState, ResourceRefView } from '../../api/types.ts'
import { useMail } from '../../app/mail-context.ts'
import { pushNotice } from '../../app/mail-store.ts'
import { allRecipients, isDraftEmpty } from '../../lib/compose-model.ts'
import { formatSize } from '../../lib/format.ts'
import { clearLocalDraft, saveLocalDraft } from '../../lib/local-draft.ts'
import type { KeyValueStorage } from '../../lib/offline-queue.ts'
import { Button, IconButton } from '../shared/button.tsx'
import { Icon } from '../shared/icons.tsx'
import { AddressField } from './address-field.tsx'
import { RichEditor } from './rich-editor.tsx'
import { useUploads } from './use-uploads.ts'

const AUTOSAVE_MS = 1500

/** Compose: chips, subject, text or rich text, attachments with progress, autosave, send with undo. */
export function ComposePanel(props: { initial: DraftState; storage: KeyValueStorage; onClose: () => void }) {
  const { api, email, store, engine } = useMail()
  const titleId = useId()
  const [draft, setDraft] = useState<DraftState>(props.initial)
  const [showCcBcc, setShowCcBcc] = useState(props.initial.cc.length + props.initial.bcc.length > 0)
  const [rich, setRich] = useState(props.initial.html !== undefined)
  const [saveState, setSaveState] = useState<'idle' | 'saving' | 'saved' | 'offline' | 'error'>('idle')
  const [sending, setSending] = useState(false)
  const [error, setError] = useState<string>()
  const [dragging, setDragging] = useState(false)
  const [invalid, setInvalid] = useState<Record<string, string[]>>({})
  const fileInput = useRef<HTMLInputElement>(null)
  const draftIdRef = useRef(props.initial.draftId)
  const saveChain = useRef<Promise<unknown>>(Promise.resolve())
  const dirty = useRef(false)

  const patch = useCallback((p: Partial<DraftState>) => {
    dirty.current = true
    setDraft((d) => ({ ...d, ...p }))
  }, [])

  const handleUploaded = useCallback((ref: ResourceRefView) => {
    dirty.current = true
    setDraft((d) => ({ ...d, attachments: [...d.attachments, ref] }))
  }, [])
  const uploads = useUploads(handleUploaded)

  /** Saves on the server, one save at a time so the first one's id is reused by the next. */
  const persist = useCallback(
    (d: DraftState): Promise<string> => {
      const run = saveChain.current.then(async () => {
        setSaveState('saving')
        const saved = await api.saveDraft({
          ...d,
          ...(draftIdRef.current ? { draftId: draftIdRef.current } : {}),
        })
        draftIdRef.current = saved.draftId
        setSaveState('saved')
        return saved.draftId
      })
      saveChain.current = run.catch(() => undefined)
      return run
    },
    [api],
  )

  // Local copy on every change (a reload loses nothing); server autosave debounced.
  useEffect(() => {
    if (!dirty.current) return
    const withId = draftIdRef.current ? { ...draft, draftId: draftIdRef.current } : draft
    saveLocalDraft(props.storage, email, withId)
    if (isDraftEmpty(draft)) return
    const timer = setTimeout(() => {
      persist(draft).catch(() => setSaveState(navigator.onLine ? 'error' : 'offline'))
    }, AUTOSAVE_MS)
    return () => clearTimeout(timer)
  }, [draft, persist, props.storage, email])

  const handleClose = async () => {
    // Closing keeps the message in Drafts: flush the last edit first.
    if (dirty.current && !isDraftEmpty(draft)) {
      try {
        await persist(draft)
        clearLocalDraft(props.storage, email)
        pushNotice(store, { kind: 'info', text: 'Draft saved.' })
      } catch {
        pushNotice(store, {
          kind: 'error',
          text: 'The draft could not be saved on the server; a copy stays in this browser.',
        })
      }
    } else {
      clearLocalDraft(props.storage, email)
    }
    props.onClose()
  }

  const handleDiscard = async () => {
    clearLocalDraft(props.storage, email)
    const id = draftIdRef.current
    props.onClose()
    if (id) {
      await saveChain.current
      await api.deleteDraft(id).catch(() => undefined)
      void engine.syncNow()
    }
  }

  const handleSend = async () => {
    setError(undefined)
    const bad = Object.values(invalid).flat()
    if (bad.length > 0) return setError(`Fix the address${bad.length > 1 ? 'es' : ''}: ${bad.join(', ')}`)
    if (allRecipients(draft).length === 0) return setError('Add at least one recipient.')
    if (uploads.busy) return setError('Wait for the attachments to finish uploading, or cancel them.')
    if (!draft.subject.trim() && !window.confirm('Send this message without a subject?')) return
    setSending(true)
    try {
      const draftId = await persist(draft)
      const result = await api.send(draftId)
      clearLocalDraft(props.storage, email)
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
      setError(`Not sent: ${(e as Error).message}`)
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
  const onInvalidTo = useCallback((v: string[]) => setInvalid((s) => ({ ...s, to: v })), [])
  const onInvalidCc = useCallback((v: string[]) => setInvalid((s) => ({ ...s, cc: v })), [])
  const onInvalidBcc = useCallback((v: string[]) => setInvalid((s) => ({ ...s, bcc: v })), [])

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
        if (e.key === 'Escape') {
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
          {saveState === 'saving' && 'Saving…'}
          {saveState === 'saved' && 'Draft saved'}
          {saveState === 'offline' && 'Offline: kept in this browser'}
          {saveState === 'error' && 'Not saved on the server'}
        </SaveState>
        <IconButton type="button" aria-label="Close (keep draft)" onClick={() => void handleClose()}>
          <Icon name="close" />
        </IconButton>
      </Header>
      <Fields>
        <AddressField
          label="To"
          value={draft.to}
          onChange={(to) => patch({ to })}
          autoFocus={draft.to.length === 0}
          onInvalid={onInvalidTo}
        />
        {showCcBcc ? (
          <>
            <AddressField
              label="Cc"
              value={draft.cc}
              onChange={(cc) => patch({ cc })}
              onInvalid={onInvalidCc}
            />
            <AddressField
              label="Bcc"
              value={draft.bcc}
              onChange={(bcc) => patch({ bcc })}
              onInvalid={onInvalidBcc}
            />
          </>
        ) : (
          <LinkButton type="button" onClick={() => setShowCcBcc(true)}>
            Cc / Bcc
          </LinkButton>
        )}
        <Subject>
          <label htmlFor={`${titleId}-subject`} className="visually-hidden">
            Subject
          </label>
          <input
            id={`${titleId}-subject`}
            placeholder="Subject"
            value={draft.subject}
            onChange={(e) => patch({ subject: e.target.value })}
            // biome-ignore lint/a11y/noAutofocus: replies start with recipients filled in
            autoFocus={draft.to.length > 0 && !draft.subject}
          />
        </Subject>
      </Fields>
      <Editor $dragging={dragging}>
        {rich ? (
          <RichEditor
            initialHtml={draft.html ?? escapeText(draft.text)}
            onChange={(html, text) => patch({ html, text })}
          />
        ) : (
          <textarea
            aria-label="Message text"
            placeholder="Write your message…"
            value={draft.text}
            onChange={(e) => patch({ text: e.target.value })}
            // biome-ignore lint/a11y/noAutofocus: replies and forwards start writing above the quote
            autoFocus={draft.to.length > 0 && !!draft.subject}
            onFocus={(e) => {
              if (draft.mode !== 'new' && e.currentTarget.selectionStart === e.currentTarget.value.length) {
                e.currentTarget.setSelectionRange(0, 0)
              }
            }}
          />
        )}
        {dragging && <DropHint aria-hidden="true">Drop files to attach</DropHint>}
      </Editor>
      {(draft.attachments.length > 0 || uploads.items.length > 0) && (
        <Attachments aria-label="Attachments">
          {draft.attachments.map((a) => (
            <li key={a.contentId}>
              <Icon name="attach" size={15} />
              <span className="name">{a.filename ?? 'attachment'}</span>
              <span className="size">{formatSize(a.size)}</span>
              <button
                type="button"
                aria-label={`Remove ${a.filename ?? 'attachment'}`}
                onClick={() => patch({ attachments: draft.attachments.filter((x) => x !== a) })}
              >
                ×
              </button>
            </li>
          ))}
          {uploads.items.map((u) => (
            <li key={u.key} data-state={u.state}>
              <Icon name="attach" size={15} />
              <span className="name">{u.filename}</span>
              {u.state === 'uploading' ? (
                <progress max={u.size || 1} value={u.loaded} aria-label={`Uploading ${u.filename}`} />
              ) : (
                <span className="error" role="alert">
                  {u.error}
                </span>
              )}
              <button type="button" aria-label={`Cancel ${u.filename}`} onClick={() => uploads.cancel(u.key)}>
                ×
              </button>
            </li>
          ))}
        </Attachments>
      )}
      {error && <ErrorLine role="alert">{error}</ErrorLine>}
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
        <IconButton type="button" aria-label="Discard draft" onClick={() => void handleDiscard()}>
          <Icon name="trash" />
        </IconButton>
      </Footer>
    </Panel>
  )
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br>')
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

const Fields = styled.div`
  padding: 0 16px;
  position: relative;
`

const Subject = styled.div`
  border-bottom: 1px solid ${(p) => p.theme.color.border};
  input {
    width: 100%;
    border: none;
    background: transparent;
    padding: 10px 0;
    outline: none;
    font-weight: 600;
  }
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

const Editor = styled.div<{ $dragging: boolean }>`
  position: relative;
  flex: 1;
  min-height: 0;
  display: flex;
  flex-direction: column;
  padding: 8px 16px;
  outline: ${(p) => (p.$dragging ? `3px dashed ${p.theme.color.accent}` : 'none')};
  outline-offset: -6px;
  textarea {
    flex: 1;
    resize: none;
    border: none;
    background: transparent;
    outline: none;
    line-height: 1.5;
  }
`

const DropHint = styled.div`
  position: absolute;
  inset: 8px;
  display: grid;
  place-items: center;
  font-weight: 700;
  color: ${(p) => p.theme.color.accent};
  background: ${(p) => p.theme.color.accentSoft};
  border-radius: ${(p) => p.theme.radius};
  pointer-events: none;
`

const Attachments = styled.ul`
  list-style: none;
  margin: 0;
  padding: 4px 16px;
  display: flex;
  flex-direction: column;
  gap: 4px;
  max-height: 140px;
  overflow: auto;
  li {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 4px 4px 4px 10px;
    border-radius: 6px;
    background: ${(p) => p.theme.color.surfaceAlt};
    font-size: 0.9rem;
  }
  .name {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .size {
    color: ${(p) => p.theme.color.textMuted};
  }
  .error {
    color: ${(p) => p.theme.color.danger};
  }
  progress {
    width: 120px;
  }
  button {
    border: none;
    background: none;
    cursor: pointer;
    font-size: 1.1rem;
    padding: 0 6px;
    color: ${(p) => p.theme.color.textMuted};
  }
`

const ErrorLine = styled.p`
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
