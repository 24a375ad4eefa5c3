// @vitest-environment jsdom
import { act } from 'react'
import { createRoot } from 'react-dom/client'
import { ThemeProvider } from 'styled-components'
import { afterEach, describe, expect, it } from 'vitest'
import { lightTheme } from '../../theme.ts'
import { ChainDetails } from './chain-details.tsx'

;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true
const container = document.createElement('div')
afterEach(() => {
  container.innerHTML = ''
})

describe('chain details of legacy (SMTP) mail', () => {
  it('says it is legacy mail and shows SPF, DKIM and DMARC', async () => {
    const root = createRoot(container)
    await act(async () =>
      root.render(
        <ThemeProvider theme={lightTheme}>
          <ChainDetails
            envelope={[]}
            legacy={{
              summary:
                'Received over SMTP from mx.legacy.test [127.0.0.1]; SPF pass; DKIM fail d=legacy.test; DMARC pass',
              client: { helo: 'mx.legacy.test', ip: '127.0.0.1' },
              spf: { result: 'pass', domain: 'legacy.test' },
              dkim: [{ result: 'fail', domain: 'legacy.test', comment: 'body hash did not verify' }],
              dmarc: { result: 'pass', domain: 'legacy.test', policy: 'reject' },
            }}
          />
        </ThemeProvider>,
      ),
    )
    const text = container.textContent ?? ''
    expect(text).toContain('Legacy mail: received over SMTP, not through a Federizer chain')
    expect(text).toContain('DKIMfail (d=legacy.test): body hash did not verify')
    expect(text).toContain('DMARCpass (legacy.test, p=reject)')
    expect(text).toContain('ARCnone (not forwarded with an ARC seal)')
    expect(text).not.toContain('Your own message')
    root.unmount()
  })

  it('shows the ARC result beside SPF/DKIM/DMARC, with the domain that sealed the last hop', async () => {
    const root = createRoot(container)
    await act(async () =>
      root.render(
        <ThemeProvider theme={lightTheme}>
          <ChainDetails
            envelope={[]}
            legacy={{
              summary:
                'Received over SMTP from mx.lists.test [127.0.0.1]; SPF pass; DKIM fail d=author.test; DMARC fail; ARC pass d=lists.test',
              client: { helo: 'mx.lists.test', ip: '127.0.0.1' },
              spf: { result: 'pass', domain: 'lists.test' },
              dkim: [{ result: 'fail', domain: 'author.test' }],
              dmarc: { result: 'fail', domain: 'author.test', policy: 'none' },
              arc: { result: 'pass', instance: 1, domain: 'lists.test' },
            }}
          />
        </ThemeProvider>,
      ),
    )
    const arc = [...container.querySelectorAll('dt')].find((dt) => dt.textContent === 'ARC')
    expect(arc?.nextElementSibling?.textContent).toBe('pass (sealed by lists.test, 1 forwarding hop)')
    expect(arc?.nextElementSibling?.getAttribute('data-result')).toBe('pass')
    root.unmount()
  })
})
