import { type ReactNode, useEffect, useRef } from 'react'
import styled from 'styled-components'
import { IconButton } from './button.tsx'
import { Icon } from './icons.tsx'

/**
 * A modal dialog on the native <dialog> element: focus is trapped and restored by the browser,
 * Escape closes it, and it is announced with its title.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (!dialog.open) dialog.showModal()
    const handleCancel = (event: Event) => {
      event.preventDefault()
      props.onClose()
    }
    dialog.addEventListener('cancel', handleCancel)
    return () => dialog.removeEventListener('cancel', handleCancel)
  }, [props.onClose])

  return (
    <Panel ref={ref} aria-labelledby="dialog-title" $wide={props.wide ?? false}>
      <Header>
        <h2 id="dialog-title">{props.title}</h2>
        <IconButton type="button" aria-label="Close" onClick={props.onClose}>
          <Icon name="close" />
        </IconButton>
      </Header>
      <Body>{props.children}</Body>
    </Panel>
  )
}

const Panel = styled.dialog<{ $wide: boolean }>`
  width: min(${(p) => (p.$wide ? '720px' : '520px')}, calc(100vw - 24px));
  max-height: calc(100vh - 48px);
  padding: 0;
  border: 1px solid ${(p) => p.theme.color.border};
  border-radius: 14px;
  background: ${(p) => p.theme.color.surface};
  color: ${(p) => p.theme.color.text};
  box-shadow: ${(p) => p.theme.shadow};
  &::backdrop {
    background: ${(p) => p.theme.color.overlay};
  }
`

const Header = styled.header`
  display: flex;
  align-items: center;
  justify-content: space-between;
  padding: 12px 12px 12px 20px;
  border-bottom: 1px solid ${(p) => p.theme.color.border};
  h2 {
    margin: 0;
    font-size: 1.1rem;
  }
`

const Body = styled.div`
  padding: 16px 20px 20px;
  overflow: auto;
`

/** The layout of a one-field dialog form: label, input, error sentence, then Cancel / submit on the right. */
export const DialogForm = styled.form`
  display: flex;
  flex-direction: column;
  gap: 8px;
  label {
    font-weight: 600;
  }
  input {
    padding: 8px 10px;
    border: 1px solid ${(p) => p.theme.color.border};
    border-radius: ${(p) => p.theme.radius};
    background: ${(p) => p.theme.color.surface};
    color: inherit;
    font: inherit;
  }
  .error {
    margin: 0;
    color: ${(p) => p.theme.color.danger};
  }
  .actions {
    display: flex;
    justify-content: flex-end;
    gap: 8px;
    margin-top: 8px;
  }
`
