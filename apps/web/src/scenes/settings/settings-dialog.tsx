import { useQuery, useQueryClient } from '@tanstack/react-query'
import { type FormEvent, useEffect, useState } from 'react'
import styled from 'styled-components'
import { useMail } from '../../app/mail-context.ts'
import { pushNotice } from '../../app/mail-store.ts'
import { parseChipInput } from '../../lib/address-chips.ts'
import { Button } from '../shared/button.tsx'
import { Dialog } from '../shared/dialog.tsx'

/** Settings: auto-forwarding (the AS enforces the account's forwarding policy at each forward). */
export function SettingsDialog(props: { onClose: () => void }) {
  const { api, store, email } = useMail()
  const queryClient = useQueryClient()
  const settings = useQuery({ queryKey: ['settings'], queryFn: () => api.settings() })
  const [enabled, setEnabled] = useState(false)
  const [targets, setTargets] = useState('')
  const [keepCopy, setKeepCopy] = useState(true)
  const [error, setError] = useState<string>()
  const [saving, setSaving] = useState(false)

  useEffect(() => {
    if (!settings.data) return
    setEnabled(!!settings.data.autoForward?.length)
    setTargets((settings.data.autoForward ?? []).join(', '))
    setKeepCopy(settings.data.keepCopy)
  }, [settings.data])

  const policy = settings.data?.forwardPolicy

  const handleSubmit = async (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    let to: string[] | null = null
    if (enabled) {
      const parsed = parseChipInput(targets, true)
      if (parsed.invalid.length > 0) return setError(`Not an address: ${parsed.invalid.join(', ')}`)
      if (parsed.chips.length === 0) return setError('Enter at least one address to forward to.')
      if (parsed.chips.some((c) => c.address.toLowerCase() === email.toLowerCase())) {
        return setError('You cannot forward your mail to yourself.')
      }
      to = parsed.chips.map((c) => c.address)
    }
    setSaving(true)
    try {
      await api.setAutoForward(to, keepCopy)
      await queryClient.invalidateQueries({ queryKey: ['settings'] })
      pushNotice(store, {
        kind: 'success',
        text: to ? `New mail will be forwarded to ${to.join(', ')}.` : 'Auto-forwarding is off.',
      })
      props.onClose()
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setSaving(false)
    }
  }

  return (
    <Dialog title="Settings" onClose={props.onClose}>
      <Form onSubmit={handleSubmit}>
        <fieldset>
          <legend>Auto-forwarding</legend>
          {settings.isLoading && <p role="status">Loading…</p>}
          {settings.error && <p role="alert">Could not load settings: {settings.error.message}</p>}
          {policy === 'denied' && (
            <p className="note">Your administrator does not allow forwarding for this account.</p>
          )}
          {policy === 'domains' && (
            <p className="note">
              Forwarding is allowed only to: {settings.data?.forwardDomains.join(', ') || 'no domain'}.
            </p>
          )}
          <label className="check">
            <input
              type="checkbox"
              checked={enabled}
              disabled={policy === 'denied'}
              onChange={(e) => setEnabled(e.target.checked)}
            />
            Forward new mail automatically
          </label>
          <label htmlFor="forward-to">Forward to</label>
          <input
            id="forward-to"
            type="text"
            inputMode="email"
            placeholder="bobby@example.org"
            value={targets}
            disabled={!enabled}
            onChange={(e) => {
              setTargets(e.target.value)
              setError(undefined)
            }}
            aria-describedby="forward-help"
          />
          <label className="check">
            <input
              type="checkbox"
              checked={keepCopy}
              disabled={!enabled}
              onChange={(e) => setKeepCopy(e.target.checked)}
            />
            Keep a copy in this mailbox
          </label>
          <p id="forward-help" className="note">
            Forwarded messages keep their signed chain; the recipient’s mailbox fetches the content from the
            original sender. Without a copy, this mailbox keeps only the message’s headers.
          </p>
        </fieldset>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="actions">
          <Button type="button" onClick={props.onClose}>
            Cancel
          </Button>
          <Button type="submit" $variant="primary" disabled={saving || !settings.data}>
            {saving ? 'Saving…' : 'Save'}
          </Button>
        </div>
      </Form>
    </Dialog>
  )
}

const Form = styled.form`
  display: flex;
  flex-direction: column;
  gap: 12px;
  fieldset {
    border: 1px solid ${(p) => p.theme.color.border};
    border-radius: ${(p) => p.theme.radius};
    padding: 12px 16px 16px;
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  legend {
    font-weight: 700;
    padding: 0 4px;
  }
  .check {
    display: flex;
    gap: 8px;
    align-items: center;
  }
  input[type='text'] {
    padding: 8px 10px;
    border: 1px solid ${(p) => p.theme.color.border};
    border-radius: ${(p) => p.theme.radius};
    background: ${(p) => p.theme.color.surface};
  }
  .note {
    margin: 0;
    font-size: 0.85rem;
    color: ${(p) => p.theme.color.textMuted};
  }
  .error {
    margin: 0;
    color: ${(p) => p.theme.color.danger};
    font-weight: 600;
  }
  .actions {
    display: flex;
    justify-content: flex-end;
    gap: 8px;
  }
`
