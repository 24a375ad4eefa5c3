import styled from 'styled-components'

/** The "Show quoted text" / "Hide quoted text" button under a body with folded quotes. */
export function QuoteToggle(props: { shown: boolean; onToggle: () => void }) {
  return (
    <ToggleButton type="button" aria-expanded={props.shown} onClick={props.onToggle}>
      <span aria-hidden="true">•••</span> {props.shown ? 'Hide quoted text' : 'Show quoted text'}
    </ToggleButton>
  )
}

const ToggleButton = styled.button`
  align-self: flex-start;
  display: inline-flex;
  align-items: center;
  gap: 8px;
  margin: 8px 0 4px;
  padding: 2px 10px;
  border: 1px solid ${(p) => p.theme.color.border};
  border-radius: 999px;
  background: ${(p) => p.theme.color.surfaceAlt};
  color: ${(p) => p.theme.color.textMuted};
  font: inherit;
  font-size: 0.82rem;
  cursor: pointer;
  span {
    letter-spacing: 1px;
  }
`
