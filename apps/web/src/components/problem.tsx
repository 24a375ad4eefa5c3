import styled from 'styled-components'
import type { Explained } from '../lib/explain.ts'

/** A failure as a sentence, with the technical text behind a "Details" disclosure. */
export function Problem(props: { problem: Explained; role?: 'alert' | 'status'; className?: string }) {
  return (
    <Wrap role={props.role} className={props.className}>
      <span>{props.problem.sentence}</span>
      {props.problem.detail && (
        <details>
          <summary>Details</summary>
          <code>{props.problem.detail}</code>
        </details>
      )}
    </Wrap>
  )
}

const Wrap = styled.div`
  details {
    margin-top: 2px;
    font-weight: 400;
  }
  summary {
    cursor: pointer;
    color: ${(p) => p.theme.color.textMuted};
    font-size: 0.82rem;
  }
  code {
    display: block;
    font-family: ${(p) => p.theme.mono};
    font-size: 0.78rem;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    color: ${(p) => p.theme.color.textMuted};
  }
`
