import { useEffect } from 'react'
import styled from 'styled-components'
import { ConfirmDialog } from '../../components/confirm-dialog.tsx'
import { Icon } from '../../components/icons.tsx'
import { useMail } from '../../state/mail-context.ts'
import { dismissNotice, type Notice, useMailState } from '../../state/mail-store.ts'

/** Toasts (with optional Undo), the polite live region announcing new mail, and askConfirm's dialog. */
export function Notices() {
  const { store } = useMail()
  const notices = useMailState(store, (s) => s.notices)
  const announcement = useMailState(store, (s) => s.announcement)
  const question = useMailState(store, (s) => s.question)
  return (
    <>
      {question && (
        <ConfirmDialog
          title={question.title}
          message={question.message}
          confirmLabel={question.confirmLabel}
          danger
          onConfirm={() => question.answer(true)}
          onCancel={() => question.answer(false)}
        />
      )}
      <div className="visually-hidden" aria-live="polite" data-testid="announcer">
        {announcement}
      </div>
      <Stack aria-live="polite">
        {notices.map((n) => (
          <Toast key={n.id} notice={n} onDismiss={() => dismissNotice(store, n.id)} />
        ))}
      </Stack>
    </>
  )
}

function Toast(props: { notice: Notice; onDismiss: () => void }) {
  const { notice, onDismiss } = props
  useEffect(() => {
    const timer = setTimeout(onDismiss, notice.kind === 'error' ? 12_000 : 6_000)
    return () => clearTimeout(timer)
  }, [onDismiss, notice.kind])
  return (
    <Item role={notice.kind === 'error' ? 'alert' : 'status'} $kind={notice.kind}>
      <span>{notice.text}</span>
      {notice.action && (
        <button
          type="button"
          onClick={() => {
            notice.action?.run()
            onDismiss()
          }}
        >
          {notice.action.label}
        </button>
      )}
      <button type="button" aria-label="Dismiss" onClick={onDismiss}>
        <Icon name="close" size={14} />
      </button>
    </Item>
  )
}

const Stack = styled.div`
  position: fixed;
  left: 16px;
  bottom: 16px;
  z-index: 20;
  display: flex;
  flex-direction: column;
  gap: 8px;
  max-width: min(460px, calc(100vw - 32px));
`

const Item = styled.div<{ $kind: Notice['kind'] }>`
  display: flex;
  align-items: center;
  gap: 12px;
  padding: 10px 12px 10px 16px;
  border-radius: ${(p) => p.theme.radius};
  background: ${(p) => (p.theme.name === 'dark' ? '#e6e8ee' : '#1d2129')};
  color: ${(p) => (p.theme.name === 'dark' ? '#1d2129' : '#ffffff')};
  border-left: 4px solid
    ${(p) => (p.$kind === 'error' ? '#ff8a80' : p.$kind === 'success' ? '#7ed69a' : p.theme.color.accent)};
  box-shadow: ${(p) => p.theme.shadow};
  span {
    flex: 1;
  }
  button {
    background: none;
    border: none;
    color: inherit;
    font-weight: 700;
    cursor: pointer;
    padding: 4px 6px;
    text-decoration: underline;
  }
`
