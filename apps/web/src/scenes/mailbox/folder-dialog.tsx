import { type FormEvent, useState } from 'react'
import { Button } from '../../components/button.tsx'
import { Dialog, DialogForm } from '../../components/dialog.tsx'
import { Problem } from '../../components/problem.tsx'
import { type Explained, explainError } from '../../lib/explain.ts'

/**
 * Asks for a folder name in a real dialog (never `window.prompt`) and runs `onSubmit`; a refusal stays
 * in the dialog as a sentence, with the server's words behind "Details".
 */
export function FolderNameDialog(props: {
  title: string
  submitLabel: string
  initialName?: string
  onSubmit: (name: string) => Promise<void>
  onClose: () => void
}) {
  const [name, setName] = useState(props.initialName ?? '')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<Explained>()
  const handle = async (event: FormEvent) => {
    event.preventDefault()
    const clean = name.trim()
    if (!clean) {
      setError({ sentence: 'Type a name for the folder.' })
      return
    }
    setBusy(true)
    setError(undefined)
    try {
      await props.onSubmit(clean)
      props.onClose()
    } catch (e) {
      setError(explainError(e, 'The folder was not saved'))
      setBusy(false)
    }
  }
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <DialogForm onSubmit={(e) => void handle(e)}>
        <label htmlFor="folder-name">Folder name</label>
        <input
          id="folder-name"
          value={name}
          maxLength={100}
          autoFocus
          onChange={(e) => {
            setName(e.target.value)
            setError(undefined)
          }}
        />
        {error && <Problem role="alert" className="error" problem={error} />}
        <div className="actions">
          <Button type="button" onClick={props.onClose}>
            Cancel
          </Button>
          <Button type="submit" $variant="primary" disabled={busy}>
            {busy ? 'Saving…' : props.submitLabel}
          </Button>
        </div>
      </DialogForm>
    </Dialog>
  )
}
