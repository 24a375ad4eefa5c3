import { type FormEvent, useState } from 'react'
import { Button } from '../../components/button.tsx'
import { Dialog, DialogForm } from '../../components/dialog.tsx'

/** Asks for a link address in a real dialog (never `window.prompt`); only http(s) and mailto links. */
export function LinkDialog(props: { onInsert: (url: string) => void; onClose: () => void }) {
  const [url, setUrl] = useState('https://')
  const [error, setError] = useState<string>()
  const handle = (event: FormEvent) => {
    event.preventDefault()
    const clean = url.trim()
    if (!/^(https?:\/\/\S+|mailto:\S+@\S+)$/i.test(clean)) {
      setError('Type a web address starting with https:// (or mailto: and an address).')
      return
    }
    props.onInsert(clean)
  }
  return (
    <Dialog title="Insert link" onClose={props.onClose}>
      <DialogForm onSubmit={handle}>
        <label htmlFor="link-url">Link address</label>
        <input
          id="link-url"
          type="url"
          value={url}
          autoFocus
          onChange={(e) => {
            setUrl(e.target.value)
            setError(undefined)
          }}
        />
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="actions">
          <Button type="button" onClick={props.onClose}>
            Cancel
          </Button>
          <Button type="submit" $variant="primary">
            Insert link
          </Button>
        </div>
      </DialogForm>
    </Dialog>
  )
}
