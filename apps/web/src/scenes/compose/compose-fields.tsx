import { useCallback, useState } from 'react'
import styled from 'styled-components'
import type { DraftState } from '../../api/types.ts'
import { AddressField } from './address-field.tsx'

export type AddressFieldName = 'to' | 'cc' | 'bcc'

/**
 * To, Cc, Bcc and Subject. The "Cc / Bcc" toggle sits at the end of the To row but comes after the
 * subject in the document, so Tab goes To → Subject → … (typing a subject never presses it).
 */
export function ComposeFields(props: {
  draft: DraftState
  subjectId: string
  onChange: (patch: Partial<DraftState>) => void
  onInvalid: (field: AddressFieldName, invalid: string[]) => void
}) {
  const { draft, onChange, onInvalid } = props
  const [showCcBcc, setShowCcBcc] = useState(draft.cc.length + draft.bcc.length > 0)
  const onInvalidTo = useCallback((v: string[]) => onInvalid('to', v), [onInvalid])
  const onInvalidCc = useCallback((v: string[]) => onInvalid('cc', v), [onInvalid])
  const onInvalidBcc = useCallback((v: string[]) => onInvalid('bcc', v), [onInvalid])
  return (
    <Fields $toggle={!showCcBcc}>
      <AddressField
        label="To"
        value={draft.to}
        onChange={(to) => onChange({ to })}
        autoFocus={draft.to.length === 0}
        onInvalid={onInvalidTo}
      />
      {showCcBcc && (
        <>
          <AddressField
            label="Cc"
            value={draft.cc}
            onChange={(cc) => onChange({ cc })}
            onInvalid={onInvalidCc}
          />
          <AddressField
            label="Bcc"
            value={draft.bcc}
            onChange={(bcc) => onChange({ bcc })}
            onInvalid={onInvalidBcc}
          />
        </>
      )}
      <Subject>
        <label htmlFor={props.subjectId} className="visually-hidden">
          Subject
        </label>
        <input
          id={props.subjectId}
          placeholder="Subject"
          value={draft.subject}
          onChange={(e) => onChange({ subject: e.target.value })}
          // biome-ignore lint/a11y/noAutofocus: replies start with recipients filled in
          autoFocus={draft.to.length > 0 && !draft.subject}
        />
      </Subject>
      {!showCcBcc && (
        <CcBccToggle type="button" onClick={() => setShowCcBcc(true)}>
          Cc / Bcc
        </CcBccToggle>
      )}
    </Fields>
  )
}

const Fields = styled.div<{ $toggle: boolean }>`
  padding: 0 16px;
  position: relative;
  & > :first-child {
    padding-right: ${(p) => (p.$toggle ? '72px' : '0')};
  }
`

const Subject = styled.div`
  border-bottom: 1px solid ${(p) => p.theme.color.border};
  input {
    width: 100%;
    border: none;
    background: transparent;
    padding: 10px 0;
    outline: none;
    font-weight: 600;
  }
`

/** Drawn at the right end of the To row (the first row); in the tab order after the subject. */
const CcBccToggle = styled.button`
  position: absolute;
  top: 6px;
  right: 16px;
  border: none;
  background: ${(p) => p.theme.color.surface};
  color: ${(p) => p.theme.color.accent};
  cursor: pointer;
  padding: 6px 4px;
  font-size: 0.9rem;
  font-weight: 600;
`
