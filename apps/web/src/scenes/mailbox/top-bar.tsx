import { type FormEvent, type RefObject, useEffect, useState } from 'react'
import styled from 'styled-components'
import { Button, IconButton } from '../../components/button.tsx'
import { Icon } from '../../components/icons.tsx'
import { clearOffline } from '../../lib/offline-cache.ts'
import { useMail } from '../../state/mail-context.ts'
import { ConnectionBanner } from './connection-banner.tsx'
import { NotifyButton } from './notify-button.tsx'

/** Brand, search, connection state, compose, settings, help and account. */
export function TopBar(props: {
  searchRef: RefObject<HTMLInputElement | null>
  initialSearch: string
  onSearch: (q: string) => void
}) {
  const { email, auth, engine, openCompose, openSettings, openHelp, config, storage } = useMail()
  const [query, setQuery] = useState(props.initialSearch)
  useEffect(() => setQuery(props.initialSearch), [props.initialSearch])

  const handleSubmit = (event: FormEvent) => {
    event.preventDefault()
    props.onSearch(query.trim())
  }

  return (
    <>
      <Bar>
        <Brand href="#/" aria-label={`Federizer Mail, ${config.domain}: go to Inbox`}>
          <img src="/icon.svg" alt="" width={28} height={28} />
          <span>Federizer</span>
        </Brand>
        <ComposeButton $variant="primary" onClick={() => openCompose()} aria-keyshortcuts="c">
          <Icon name="pen" /> <span>Compose</span>
        </ComposeButton>
        <SearchForm role="search" onSubmit={handleSubmit}>
          <label htmlFor="search" className="visually-hidden">
            Search mail
          </label>
          <Icon name="search" />
          <input
            id="search"
            ref={props.searchRef}
            type="search"
            placeholder="Search mail"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            aria-keyshortcuts="/"
          />
        </SearchForm>
        <Tools>
          <NotifyButton />
          <IconButton type="button" aria-label="Keyboard shortcuts" onClick={openHelp} aria-keyshortcuts="?">
            <Icon name="keyboard" />
          </IconButton>
          <IconButton type="button" aria-label="Settings" onClick={openSettings}>
            <Icon name="settings" />
          </IconButton>
          <Account title={email}>{email}</Account>
          <IconButton
            type="button"
            aria-label="Sign out"
            onClick={() => {
              // Nothing of this account stays readable in this browser after signing out.
              engine.stop()
              clearOffline(storage, email)
              void auth.signOut()
            }}
          >
            <Icon name="signOut" />
          </IconButton>
        </Tools>
      </Bar>
      <ConnectionBanner />
    </>
  )
}

const Bar = styled.header`
  display: flex;
  align-items: center;
  gap: 12px;
  padding: 8px 12px;
  background: ${(p) => p.theme.color.surface};
  border-bottom: 1px solid ${(p) => p.theme.color.border};
`

const Brand = styled.a`
  display: flex;
  align-items: center;
  gap: 8px;
  font-weight: 700;
  font-size: 1.1rem;
  color: ${(p) => p.theme.color.text};
  text-decoration: none;
  width: 196px;
  img {
    border-radius: 7px;
  }
  @media (max-width: 760px) {
    width: auto;
    span {
      display: none;
    }
  }
`

const ComposeButton = styled(Button)`
  @media (max-width: 760px) {
    position: fixed;
    right: 16px;
    bottom: 16px;
    z-index: 5;
    border-radius: 28px;
    padding: 14px 18px;
    box-shadow: ${(p) => p.theme.shadow};
    /* A message open on the phone: the button would cover its attachments' download buttons. */
    body:has([data-message-open]) & {
      display: none;
    }
  }
`

const SearchForm = styled.form`
  flex: 1;
  min-width: 0;
  max-width: 640px;
  display: flex;
  align-items: center;
  gap: 8px;
  padding: 0 12px;
  border-radius: 24px;
  background: ${(p) => p.theme.color.surfaceAlt};
  color: ${(p) => p.theme.color.textMuted};
  &:focus-within {
    outline: 3px solid ${(p) => p.theme.color.focus};
  }
  input {
    flex: 1;
    min-width: 0;
    border: none;
    background: transparent;
    padding: 10px 0;
    outline: none;
    color: ${(p) => p.theme.color.text};
  }
`

const Tools = styled.div`
  display: flex;
  align-items: center;
  gap: 4px;
  margin-left: auto;
  @media (max-width: 760px) {
    gap: 0;
    /* Phones rarely have a keyboard: keep the bar to what fits. */
    button[aria-keyshortcuts='?'] {
      display: none;
    }
  }
`

const Account = styled.span`
  max-width: 220px;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  color: ${(p) => p.theme.color.textMuted};
  padding: 0 6px;
  @media (max-width: 900px) {
    display: none;
  }
`
