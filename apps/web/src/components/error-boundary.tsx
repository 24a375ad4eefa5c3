import { Component, type ErrorInfo, type ReactNode } from 'react'
import styled from 'styled-components'

/**
 * Keeps one broken part (say, a message the reader cannot render) from blanking the whole app: the
 * part shows what went wrong and a way out, the rest keeps working.
 */
export class ErrorBoundary extends Component<
  { children: ReactNode; label: string; resetKey?: string | undefined },
  { error?: Error }
> {
  override state: { error?: Error } = {}

  static getDerivedStateFromError(error: Error) {
    return { error }
  }

  override componentDidUpdate(previous: { resetKey?: string | undefined }) {
    // Moving to another message (or mailbox) clears the error.
    if (this.state.error && previous.resetKey !== this.props.resetKey) this.setState({ error: undefined })
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`${this.props.label} failed`, error, info.componentStack)
  }

  override render() {
    if (!this.state.error) return this.props.children
    return (
      <Box role="alert">
        <strong>The {this.props.label} ran into a problem.</strong>
        <span>{this.state.error.message}</span>
        <button type="button" onClick={() => this.setState({ error: undefined })}>
          Try again
        </button>
      </Box>
    )
  }
}

const Box = styled.div`
  margin: 24px;
  padding: 16px;
  display: flex;
  flex-direction: column;
  gap: 8px;
  align-items: flex-start;
  border: 1px solid ${(p) => p.theme.color.danger};
  border-radius: ${(p) => p.theme.radius};
  color: ${(p) => p.theme.color.danger};
  background: ${(p) => p.theme.color.surfaceAlt};
  button {
    border: 1px solid ${(p) => p.theme.color.border};
    background: ${(p) => p.theme.color.surface};
    color: ${(p) => p.theme.color.text};
    border-radius: ${(p) => p.theme.radius};
    padding: 6px 12px;
    cursor: pointer;
  }
`
