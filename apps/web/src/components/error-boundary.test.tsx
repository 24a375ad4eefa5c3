// @vitest-environment jsdom
import { act } from 'react'
import { createRoot } from 'react-dom/client'
import { ThemeProvider } from 'styled-components'
import { describe, expect, it, vi } from 'vitest'
import { lightTheme } from '../theme.ts'
import { ErrorBoundary } from './error-boundary.tsx'

;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

function Broken(props: { fail: boolean }) {
  if (props.fail) throw new Error('placeholder lacks From')
  return <p>fine</p>
}

describe('error boundary', () => {
  it('contains a failing part with its message and recovers when the user moves on', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    const container = document.createElement('div')
    document.body.append(container)
    const root = createRoot(container)
    const view = (fail: boolean, key: string) => (
      <ThemeProvider theme={lightTheme}>
        <ErrorBoundary label="reading pane" resetKey={key}>
          <Broken fail={fail} />
        </ErrorBoundary>
      </ThemeProvider>
    )
    await act(async () => root.render(view(true, 'm1')))
    expect(container.querySelector('[role="alert"]')?.textContent).toContain(
      'The reading pane ran into a problem.',
    )
    expect(container.textContent).toContain('placeholder lacks From')
    await act(async () => root.render(view(false, 'm2')))
    expect(container.textContent).toBe('fine')
    await act(async () => root.unmount())
    spy.mockRestore()
  })
})
