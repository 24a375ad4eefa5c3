import { useState } from 'react'
import styled from 'styled-components'
import type { Settings } from '../../api/types.ts'
import { Button } from '../../components/button.tsx'
import { useMail } from '../../state/mail-context.ts'
import { Section, useSectionSave } from './section.tsx'

/** Blocked senders: their mail is accepted but filed in Junk (the sender is not told). */
export function BlockedSection(props: { settings: Settings }) {
  const { api } = useMail()
  const save = useSectionSave()
  const [entry, setEntry] = useState('')
  const blocked = props.settings.blocked
  return (
    <Section
      title="Blocked senders"
      description="Mail from these addresses or domains goes straight to Junk. The sender is not told, and it is never auto-forwarded or auto-answered."
      save={save}
      saveLabel="Block"
      onSubmit={() =>
        save.run(async () => {
          const value = entry.trim()
          if (!value) throw new Error('enter an address (name@example.com) or a whole domain (@example.com)')
          await api.blockSender(value)
          setEntry('')
          return `${value} is blocked.`
        })
      }
    >
      <label htmlFor="settings-block">Address or @domain to block</label>
      <input
        id="settings-block"
        type="text"
        inputMode="email"
        placeholder="spam@example.com or @example.com"
        value={entry}
        onChange={(e) => {
          save.edited()
          setEntry(e.target.value)
        }}
      />
      {blocked.length === 0 ? (
        <p className="note">Nobody is blocked.</p>
      ) : (
        <List aria-label="Blocked senders">
          {blocked.map((b) => (
            <li key={b}>
              <span>{b}</span>
              <Button
                type="button"
                $size="small"
                aria-label={`Unblock ${b}`}
                onClick={() =>
                  save.run(async () => {
                    await api.unblockSender(b)
                    return `${b} is no longer blocked.`
                  })
                }
              >
                Unblock
              </Button>
            </li>
          ))}
        </List>
      )}
    </Section>
  )
}

const List = styled.ul`
  list-style: none;
  margin: 0;
  padding: 0;
  border: 1px solid ${(p) => p.theme.color.border};
  border-radius: ${(p) => p.theme.radius};
  li {
    display: flex;
    justify-content: space-between;
    align-items: center;
    gap: 8px;
    padding: 6px 8px 6px 12px;
    overflow-wrap: anywhere;
  }
  li + li {
    border-top: 1px solid ${(p) => p.theme.color.border};
  }
`
