// @vitest-environment jsdom
import { act } from 'react'
import { createRoot } from 'react-dom/client'
import { ThemeProvider } from 'styled-components'
import { afterEach, describe, expect, it } from 'vitest'
import { lightTheme } from '../../theme.ts'
import { DeliveryStatusList } from './delivery-status.tsx'

;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true
const container = document.createElement('div')
afterEach(() => {
  container.innerHTML = ''
})

async function render(node: React.ReactNode) {
  const root = createRoot(container)
  await act(async () => root.render(<ThemeProvider theme={lightTheme}>{node}</ThemeProvider>))
  return root
}

describe('delivery status in the reader', () => {
  it('labels the automatic forward (issue 16 bug 10)', async () => {
    const root = await render(
      <DeliveryStatusList
        kind="forward"
        delivery={[{ recipient: 'bobby@example.org', state: 'delivered' }]}
      />,
    )
    const section = container.querySelector('section')
    expect(section?.getAttribute('aria-label')).toBe('Automatic forwarding')
    expect(section?.textContent).toMatch(/^Auto-forwarded to\s*bobby@example\.orgDelivered/)
    act(() => root.unmount())
  })

  it('a failed delivery says why in plain words, hides the technical text in details, offers Retry / Cancel', async () => {
    const raw = 'attempt 2 failed: querySrv ENOTFOUND _federizer._rs._tcp.exampel.com'
    let retried = 0
    const root = await render(
      <DeliveryStatusList
        kind="sent"
        delivery={[{ recipient: 'bob@exampel.com', state: 'delayed', detail: raw }]}
        onRetry={async () => {
          retried++
        }}
        onCancel={async () => undefined}
      />,
    )
    const text = container.textContent ?? ''
    expect(text).toContain('The domain exampel.com could not be found. Check the address for a typo.')
    const details = container.querySelector('details')
    expect(details?.textContent).toContain('querySrv ENOTFOUND')
    expect(details?.open).toBe(false)
    const buttons = [...container.querySelectorAll('button')].map((b) => b.textContent?.trim())
    expect(buttons).toEqual(['Retry now', 'Cancel delivery'])
    await act(async () => container.querySelector('button')?.click())
    expect(retried).toBe(1)
    act(() => root.unmount())
  })

  it('offers nothing to do for delivered mail', async () => {
    const root = await render(
      <DeliveryStatusList
        kind="sent"
        delivery={[{ recipient: 'bob@example.net', state: 'delivered' }]}
        onRetry={async () => undefined}
      />,
    )
    expect(container.querySelectorAll('button')).toHaveLength(0)
    act(() => root.unmount())
  })
})
