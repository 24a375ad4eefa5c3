import { type KeyboardEvent, useRef, useState } from 'react'
import styled from 'styled-components'
import { Dialog } from '../../components/dialog.tsx'
import { Problem } from '../../components/problem.tsx'
import { explainError } from '../../lib/explain.ts'
import { useSettings } from '../../state/prefs.ts'
import { BlockedSection } from './blocked-section.tsx'
import { ForwardingSection } from './forwarding-section.tsx'
import { GeneralSection } from './general-section.tsx'
import { PasswordSection } from './password-section.tsx'
import { SignatureSection } from './signature-section.tsx'
import { VacationSection } from './vacation-section.tsx'

const TABS = [
  ['general', 'General'],
  ['signature', 'Signature'],
  ['vacation', 'Vacation reply'],
  ['forwarding', 'Forwarding'],
  ['blocked', 'Blocked senders'],
  ['password', 'Password'],
] as const
type Tab = (typeof TABS)[number][0]

/** Settings, one section per tab (WAI-ARIA tabs: arrow keys move between them); each saves itself. */
export function SettingsDialog(props: { onClose: () => void; initialTab?: Tab }) {
  const settings = useSettings()
  const [tab, setTab] = useState<Tab>(props.initialTab ?? 'general')
  const tabRefs = useRef(new Map<Tab, HTMLButtonElement>())

  const handleKey = (event: KeyboardEvent) => {
    const i = TABS.findIndex(([id]) => id === tab)
    const delta = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key]
    let next: number | undefined
    if (delta !== undefined) next = (i + delta + TABS.length) % TABS.length
    if (event.key === 'Home') next = 0
    if (event.key === 'End') next = TABS.length - 1
    if (next === undefined) return
    event.preventDefault()
    const id = TABS[next]?.[0] as Tab
    setTab(id)
    tabRefs.current.get(id)?.focus()
  }

  const s = settings.data
  return (
    <Dialog title="Settings" onClose={props.onClose} wide>
      <Layout>
        <div role="tablist" aria-label="Settings sections" aria-orientation="vertical" onKeyDown={handleKey}>
          {TABS.map(([id, label]) => (
            <button
              key={id}
              ref={(el) => {
                if (el) tabRefs.current.set(id, el)
              }}
              type="button"
              role="tab"
              id={`settings-tab-${id}`}
              aria-selected={tab === id}
              aria-controls="settings-panel"
              tabIndex={tab === id ? 0 : -1}
              onClick={() => setTab(id)}
            >
              {label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id="settings-panel" aria-labelledby={`settings-tab-${tab}`} className="panel">
          {settings.isLoading && <p role="status">Loading…</p>}
          {settings.error && (
            <Problem
              role="alert"
              problem={explainError(settings.error, 'Your settings could not be loaded')}
            />
          )}
          {s && tab === 'general' && <GeneralSection settings={s} />}
          {s && tab === 'signature' && <SignatureSection settings={s} />}
          {s && tab === 'vacation' && <VacationSection settings={s} />}
          {s && tab === 'forwarding' && <ForwardingSection settings={s} />}
          {s && tab === 'blocked' && <BlockedSection settings={s} />}
          {s && tab === 'password' && <PasswordSection />}
        </div>
      </Layout>
    </Dialog>
  )
}

const Layout = styled.div`
  display: grid;
  grid-template-columns: 170px 1fr;
  gap: 20px;
  min-height: 420px;
  [role='tablist'] {
    display: flex;
    flex-direction: column;
    gap: 2px;
  }
  [role='tab'] {
    text-align: left;
    padding: 8px 12px;
    border: none;
    border-radius: ${(p) => p.theme.radius};
    background: transparent;
    color: ${(p) => p.theme.color.text};
    font: inherit;
    cursor: pointer;
    white-space: nowrap;
    &:hover {
      background: ${(p) => p.theme.color.hover};
    }
    &[aria-selected='true'] {
      background: ${(p) => p.theme.color.selected};
      font-weight: 700;
    }
  }
  .panel {
    min-width: 0;
  }
  @media (max-width: 760px) {
    grid-template-columns: 1fr;
    gap: 12px;
    min-height: 0;
    [role='tablist'] {
      flex-direction: row;
      overflow-x: auto;
      padding-bottom: 4px;
      border-bottom: 1px solid ${(p) => p.theme.color.border};
    }
  }
`
