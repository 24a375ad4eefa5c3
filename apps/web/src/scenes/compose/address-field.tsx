import type { Address } from '@federizer/protocol/message'
import { type ClipboardEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react'
import styled from 'styled-components'
import { Icon } from '../../components/icons.tsx'
import { formatChip, mergeChips, parseChipInput } from '../../lib/address-chips.ts'
import { useMail } from '../../state/mail-context.ts'

/**
 * To / Cc / Bcc as address chips: type or paste addresses (comma, semicolon, Enter or Tab finish one),
 * Backspace removes the last chip, and past correspondents are suggested (ARIA combobox pattern).
 */
export function AddressField(props: {
  label: string
  value: Address[]
  onChange: (value: Address[]) => void
  autoFocus?: boolean
  onInvalid?: (invalid: string[]) => void
}) {
  const { api } = useMail()
  const id = useId()
  const inputRef = useRef<HTMLInputElement>(null)
  const [text, setText] = useState('')
  const [invalid, setInvalid] = useState<string[]>([])
  const [suggestions, setSuggestions] = useState<Address[]>([])
  const [active, setActive] = useState(-1)
  const { value, onChange, onInvalid } = props

  useEffect(() => {
    onInvalid?.(text.trim() ? [...invalid, text.trim()] : invalid)
  }, [invalid, text, onInvalid])

  // Debounced suggestions for the token being typed.
  useEffect(() => {
    const prefix = text.trim()
    if (prefix.length < 1) {
      setSuggestions([])
      return
    }
    let cancelled = false
    const timer = setTimeout(() => {
      api
        .suggestContacts(prefix)
        .then((list) => {
          if (cancelled) return
          const taken = new Set(value.map((a) => a.address.toLowerCase()))
          setSuggestions(list.filter((a) => !taken.has(a.address.toLowerCase())).slice(0, 8))
          setActive(-1)
        })
        .catch(() => setSuggestions([]))
    }, 150)
    return () => {
      cancelled = true
      clearTimeout(timer)
    }
  }, [text, api, value])

  const absorb = (raw: string, commit: boolean) => {
    const parsed = parseChipInput(raw, commit)
    if (parsed.chips.length > 0) onChange(mergeChips(value, parsed.chips))
    setInvalid(parsed.invalid)
    setText(commit ? parsed.invalid.join(', ') : parsed.rest)
  }

  const pick = (a: Address) => {
    onChange(mergeChips(value, [a]))
    setText('')
    setSuggestions([])
    setInvalid([])
    inputRef.current?.focus()
  }

  const handleKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' && suggestions.length > 0) {
      event.preventDefault()
      setActive((i) => (i + 1) % suggestions.length)
    } else if (event.key === 'ArrowUp' && suggestions.length > 0) {
      event.preventDefault()
      setActive((i) => (i <= 0 ? suggestions.length - 1 : i - 1))
    } else if (event.key === 'Enter' || (event.key === 'Tab' && text.trim())) {
      const chosen = suggestions[active]
      if (chosen) {
        event.preventDefault()
        pick(chosen)
      } else if (text.trim()) {
        if (event.key === 'Enter') event.preventDefault()
        absorb(text, true)
      }
    } else if (event.key === 'Escape' && suggestions.length > 0) {
      event.stopPropagation()
      setSuggestions([])
    } else if (event.key === 'Backspace' && text === '' && value.length > 0) {
      onChange(value.slice(0, -1))
    }
  }

  const handlePaste = (event: ClipboardEvent<HTMLInputElement>) => {
    const pasted = event.clipboardData.getData('text')
    if (/[,;\n]/.test(pasted)) {
      event.preventDefault()
      absorb(`${text}${pasted}`, true)
    }
  }

  const listId = `${id}-suggestions`
  return (
    <Row>
      <label htmlFor={id}>{props.label}</label>
      <Chips>
        {value.map((a) => (
          <Chip key={a.address.toLowerCase()} title={a.address}>
            {a.name ?? a.address}
            <button
              type="button"
              aria-label={`Remove ${formatChip(a)}`}
              onClick={() => onChange(value.filter((x) => x !== a))}
            >
              <Icon name="close" size={12} />
            </button>
          </Chip>
        ))}
        {invalid.length > 0 && <Invalid role="alert">Not an address: {invalid.join(', ')}</Invalid>}
        <input
          id={id}
          ref={inputRef}
          type="text"
          inputMode="email"
          autoComplete="off"
          role="combobox"
          aria-expanded={suggestions.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
          // biome-ignore lint/a11y/noAutofocus: the first field of a new message is where typing starts
          autoFocus={props.autoFocus}
          value={text}
          onChange={(e) => absorb(e.target.value, false)}
          onKeyDown={handleKeyDown}
          onPaste={handlePaste}
          onBlur={() => {
            // Let a click on a suggestion land before the list closes.
            setTimeout(() => {
              if (text.trim()) absorb(text, true)
              setSuggestions([])
            }, 150)
          }}
        />
        {suggestions.length > 0 && (
          <Suggestions id={listId} role="listbox" aria-label="Suggestions">
            {suggestions.map((a, i) => (
              <div
                tabIndex={-1}
                key={a.address}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                onMouseDown={(e) => {
                  e.preventDefault()
                  pick(a)
                }}
              >
                {a.name ? (
                  <>
                    <strong>{a.name}</strong> <span>{a.address}</span>
                  </>
                ) : (
                  a.address
                )}
              </div>
            ))}
          </Suggestions>
        )}
      </Chips>
    </Row>
  )
}

const Row = styled.div`
  display: flex;
  align-items: flex-start;
  gap: 8px;
  padding: 6px 0;
  border-bottom: 1px solid ${(p) => p.theme.color.border};
  label {
    width: 44px;
    padding-top: 6px;
    color: ${(p) => p.theme.color.textMuted};
  }
`

const Chips = styled.div`
  position: relative;
  flex: 1;
  display: flex;
  flex-wrap: wrap;
  gap: 4px;
  align-items: center;
  input {
    flex: 1;
    min-width: 160px;
    border: none;
    background: transparent;
    padding: 6px 2px;
    outline: none;
  }
`

const Chip = styled.span`
  display: inline-flex;
  align-items: center;
  gap: 2px;
  padding: 2px 4px 2px 10px;
  border-radius: 14px;
  background: ${(p) => p.theme.color.accentSoft};
  color: ${(p) => p.theme.color.text};
  font-size: 0.9rem;
  button {
    border: none;
    background: none;
    cursor: pointer;
    font-size: 1rem;
    line-height: 1;
    padding: 2px 6px;
    border-radius: 50%;
    color: ${(p) => p.theme.color.textMuted};
    &:hover {
      background: ${(p) => p.theme.color.hover};
    }
  }
`

const Invalid = styled.span`
  color: ${(p) => p.theme.color.danger};
  font-size: 0.85rem;
`

const Suggestions = styled.div`
  position: absolute;
  top: 100%;
  left: 0;
  z-index: 10;
  min-width: 280px;
  margin: 4px 0 0;
  padding: 4px 0;
  background: ${(p) => p.theme.color.surface};
  border: 1px solid ${(p) => p.theme.color.border};
  border-radius: ${(p) => p.theme.radius};
  box-shadow: ${(p) => p.theme.shadow};
  [role='option'] {
    padding: 8px 12px;
    cursor: pointer;
    span {
      color: ${(p) => p.theme.color.textMuted};
    }
    &[aria-selected='true'],
    &:hover {
      background: ${(p) => p.theme.color.hover};
    }
  }
`
