import type { Network } from '@federizer/devnet'
import { describe, expect, it } from 'vitest'
import { printDemoBanner } from '../src/banner.ts'
import { type Demo, POSTFIX_MISSING } from '../src/demo.ts'

// Issue 15: the demo says whether legacy.test (mail over SMTP through a private Postfix) is on, and
// how to turn it on when Postfix is missing.

const demo = (extra: Partial<Demo>): Demo => ({
  network: { nodes: new Map() } as unknown as Network,
  webmail: [],
  logFile: 'data/demo.log',
  stop: async () => {},
  ...extra,
})

const banner = (d: Demo) => {
  const lines: string[] = []
  printDemoBanner(d, (l) => lines.push(l))
  return lines.join('\n')
}

describe('the demo banner and legacy.test', () => {
  it('without Postfix: says legacy.test is off and the command that installs Postfix', () => {
    const text = banner(demo({ legacyOff: POSTFIX_MISSING }))
    expect(text).toContain('legacy.test (mail over SMTP) is off: Postfix is not installed.')
    expect(text).toContain('sudo apt-get install postfix')
    expect(text).toContain('start the demo again')
  })

  it('with Postfix: tells where to write, where Carol’s Maildir is and the listener ports', () => {
    const text = banner(
      demo({
        legacy: {
          maildir: 'data/legacy.test/mail/legacy.test/carol',
          listeners: new Map([['example.com', { port: 4125, close: async () => {} }]]),
        } as unknown as Demo['legacy'],
      }),
    )
    expect(text).toContain('write to carol@legacy.test')
    expect(text).toContain("Carol's Maildir: data/legacy.test/mail/legacy.test/carol")
    expect(text).toContain('SMTP listeners: example.com :4125')
    expect(text).not.toContain('is off')
  })
})
