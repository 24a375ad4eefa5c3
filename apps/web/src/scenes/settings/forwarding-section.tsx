import { useState } from 'react'
import type { Settings } from '../../api/types.ts'
import { parseChipInput } from '../../lib/address-chips.ts'
import { useMail } from '../../state/mail-context.ts'
import { Section, useSectionSave } from './section.tsx'

/** Auto-forwarding; the api checks each target's domain when saved, the AS enforces the policy. */
export function ForwardingSection(props: { settings: Settings }) {
  const { api, email } = useMail()
  const save = useSectionSave()
  const s = props.settings
  const [enabled, setEnabled] = useState(s.forwardEnabled)
  const [targets, setTargets] = useState((s.autoForward ?? []).join(', '))
  const [keepCopy, setKeepCopy] = useState(s.keepCopy)
  const policy = s.forwardPolicy

  const submit = () =>
    save.run(async () => {
      const parsed = parseChipInput(targets, true)
      if (!enabled) {
        // Off keeps the address (a valid one) for turning forwarding on again.
        const kept = parsed.invalid.length === 0 ? parsed.chips.map((c) => c.address) : s.autoForward
        await api.setAutoForward(kept?.length ? kept : null, keepCopy, false)
        return 'Forwarding saved: auto-forwarding is off.'
      }
      if (parsed.invalid.length > 0) throw new Error(`not an address: ${parsed.invalid.join(', ')}`)
      if (parsed.chips.length === 0) throw new Error('enter at least one address to forward to')
      if (parsed.chips.some((c) => c.address.toLowerCase() === email.toLowerCase())) {
        throw new Error('you cannot forward your mail to yourself')
      }
      const to = parsed.chips.map((c) => c.address)
      await api.setAutoForward(to, keepCopy, true)
      return `Forwarding saved: new mail will be forwarded to ${to.join(', ')}.`
    })

  return (
    <Section title="Forwarding" save={save} onSubmit={submit}>
      {policy === 'denied' && (
        <p className="note">Your administrator does not allow forwarding for this account.</p>
      )}
      {policy === 'domains' && (
        <p className="note">Forwarding is allowed only to: {s.forwardDomains.join(', ') || 'no domain'}.</p>
      )}
      <label className="check">
        <input
          type="checkbox"
          checked={enabled}
          disabled={policy === 'denied'}
          onChange={(e) => {
            save.edited()
            setEnabled(e.target.checked)
          }}
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
          save.edited()
        }}
        aria-describedby="forward-help"
      />
      <label className="check">
        <input
          type="checkbox"
          checked={keepCopy}
          disabled={!enabled}
          onChange={(e) => {
            save.edited()
            setKeepCopy(e.target.checked)
          }}
        />
        Keep a copy in this mailbox
      </label>
      <p id="forward-help" className="note">
        Each address is checked when you save: its domain must receive mail. Forwarded messages keep their
        signed chain; the recipient’s mailbox fetches the content from the original sender. Without a copy,
        this mailbox keeps only the message’s headers.
      </p>
    </Section>
  )
}
