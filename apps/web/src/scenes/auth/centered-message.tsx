import type { ReactNode } from 'react'
import styled, { keyframes } from 'styled-components'

/** Full-page status text (loading, fatal configuration error). */
export function CenteredMessage(props: { children: ReactNode; busy?: boolean; role?: 'alert' | 'status' }) {
  return (
    <Wrap role={props.role ?? 'status'} aria-busy={props.busy || undefined}>
      {props.busy && <Spinner aria-hidden="true" />}
      <div>{props.children}</div>
    </Wrap>
  )
}

const spin = keyframes`to { transform: rotate(360deg); }`

const Wrap = styled.main`
  display: flex;
  flex-direction: column;
  align-items: center;
  justify-content: center;
  gap: 12px;
  height: 100%;
  padding: 24px;
  text-align: center;
  color: ${(p) => p.theme.color.textMuted};
`

const Spinner = styled.span`
  width: 28px;
  height: 28px;
  border-radius: 50%;
  border: 3px solid ${(p) => p.theme.color.border};
  border-top-color: ${(p) => p.theme.color.accent};
  animation: ${spin} 0.8s linear infinite;
`
