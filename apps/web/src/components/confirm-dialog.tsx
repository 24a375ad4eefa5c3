import styled from 'styled-components'
import { Button } from './button.tsx'
import { Dialog } from './dialog.tsx'

/** A yes / no question in a real modal dialog (instead of `window.confirm`); Escape or Close is "no". */
export function ConfirmDialog(props: {
  title: string
  message: string
  confirmLabel: string
  cancelLabel?: string
  danger?: boolean
  onConfirm: () => void
  onCancel: () => void
}) {
  return (
    <Dialog title={props.title} onClose={props.onCancel}>
      <p>{props.message}</p>
      <Actions>
        <Button onClick={props.onCancel}>{props.cancelLabel ?? 'Cancel'}</Button>
        <Button $variant={props.danger ? 'danger' : 'primary'} onClick={props.onConfirm} autoFocus>
          {props.confirmLabel}
        </Button>
      </Actions>
    </Dialog>
  )
}

const Actions = styled.div`
  display: flex;
  justify-content: flex-end;
  gap: 8px;
  margin-top: 16px;
`
