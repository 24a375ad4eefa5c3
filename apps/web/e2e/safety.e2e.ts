import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mailCaller, type Network, sendMail, startNetwork } from '@federizer/devnet'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, openPage, shot, signIn, type TestPage } from './browser.ts'

// Issue 12 item 3: hostile mail HTML must never run script in the webmail's origin (where the access
// token lives), whichever way it enters the page; the page itself carries a strict CSP.

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
const DOMAIN = 'example.org'
const ALICE = 'alice@example.org'
const SUBJECT = 'Totally normal newsletter'

// Each vector sets a window flag if it runs; the <style> would paint the whole webmail red.
const HOSTILE_HTML = [
  '<p>Hello Alice</p>',
  '<img src="x" onerror="window.__xss = (window.__xss || []).concat(\'img\')">',
  '<script>window.__xss = (window.__xss || []).concat("script")</script>',
  '<details open ontoggle="window.__xss = (window.__xss || []).concat(\'details\')"><summary>x</summary></details>',
  '<svg><animate onbegin="window.__xss = (window.__xss || []).concat(\'svg\')" attributeName="x" dur="1s"/></svg>',
  '<a href="javascript:window.__xss=1">click</a>',
  '<style>body, #root { background: rgb(255, 0, 0) !important }</style>',
].join('')

type FlagWindow = { __xss?: string[]; __csp?: string[] }

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-safety-'))
  network = await startNetwork({
    dataRoot,
    domains: [
      {
        domain: DOMAIN,
        users: [
          { email: ALICE, password: 'alice-password-1', name: 'Alice' },
          { email: 'mallory@example.org', password: 'mallory-password-1', name: 'Mallory' },
        ],
      },
    ],
  })
  await sendMail(network.node(DOMAIN), {
    from: 'mallory@example.org',
    to: [ALICE],
    subject: SUBJECT,
    text: 'Hello Alice',
    html: HOSTILE_HTML,
  })
  // Alice (or a filter, or another client) moves the received message into Drafts.
  const caller = await mailCaller(network.node(DOMAIN), ALICE)
  const boxes = await caller.mailbox.list()
  const inbox = boxes.find((b) => b.role === 'inbox')
  const drafts = boxes.find((b) => b.role === 'drafts')
  if (!inbox || !drafts) throw new Error('no inbox or drafts')
  let id: string | undefined
  for (let i = 0; i < 100 && !id; i++) {
    const list = await caller.message.list({ mailboxId: inbox.id })
    id = list.items.find((m) => m.subject === SUBJECT)?.id
    if (!id) await new Promise((r) => setTimeout(r, 200))
  }
  if (!id) throw new Error('the hostile message did not arrive')
  await caller.message.move({ ids: [id], mailboxId: drafts.id })
  browser = await launchBrowser()
  alice = await openPage(browser)
  await signIn(alice.page, network.node(DOMAIN).apiUrl, ALICE, 'alice-password-1')
})

afterAll(async () => {
  if (alice?.errors.length) console.log('browser errors:', alice.errors.join('\n'))
  await browser?.close()
  await network?.stop()
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true })
})

describe('hostile mail HTML in the webmail origin', () => {
  it('a received HTML message moved to Drafts and opened with "Edit draft" runs no script', async () => {
    const page = alice.page
    await page
      .getByRole('navigation', { name: 'Mailboxes' })
      .getByRole('link', { name: /^Drafts/ })
      .click()
    await page.getByTestId('message-row').filter({ hasText: SUBJECT }).click()
    await page.getByRole('button', { name: 'Edit draft' }).click()
    const editor = page.getByTestId('compose').getByRole('textbox', { name: 'Message text' })
    await editor.waitFor()
    await expect.poll(() => editor.textContent()).toContain('Hello Alice')
    await page.waitForTimeout(1500) // give onerror / ontoggle / onbegin time to fire
    const flags = await page.evaluate(() => (globalThis as unknown as FlagWindow).__xss ?? [])
    expect(flags).toEqual([])
    const html = await editor.innerHTML()
    expect(html).not.toMatch(/onerror|ontoggle|onbegin|<script|<style|javascript:/i)
    // The mail's <style> did not restyle the app.
    const bg = await page.evaluate(() => {
      const g = globalThis as unknown as {
        getComputedStyle(e: unknown): { backgroundColor: string }
        document: { body: unknown }
      }
      return g.getComputedStyle(g.document.body).backgroundColor
    })
    expect(bg).not.toBe('rgb(255, 0, 0)')
    await shot(page, 'safety-hostile-draft-in-editor')
  })

  it('the page has a CSP that blocks inline script even if HTML slipped past the sanitiser', async () => {
    const page = alice.page
    const res = await page.request.get(`${network.node(DOMAIN).apiUrl}/mailbox/inbox`)
    const csp = res.headers()['content-security-policy'] ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    // Put unsanitised HTML straight into the document: the CSP must stop its handler.
    const ran = await page.evaluate(async () => {
      const g = globalThis as unknown as FlagWindow & {
        document: {
          createElement(t: string): { innerHTML: string }
          body: { append(e: unknown): void }
          addEventListener(t: string, f: (e: { violatedDirective: string }) => void): void
        }
      }
      g.__csp = []
      g.document.addEventListener('securitypolicyviolation', (e) => g.__csp?.push(e.violatedDirective))
      const div = g.document.createElement('div')
      div.innerHTML = '<img src="x" onerror="window.__xss = [\'bypass\']">'
      g.document.body.append(div)
      await new Promise((r) => setTimeout(r, 1000))
      return { flags: g.__xss ?? [], violations: g.__csp }
    })
    expect(ran.flags).toEqual([])
    expect(ran.violations.some((d) => d.startsWith('script-src'))).toBe(true)
  })

  it('the webmail cannot be framed by another site (frame-ancestors none)', async () => {
    const other = await openPage(browser)
    try {
      const target = `${network.node(DOMAIN).apiUrl}/`
      // A page on another site (127.0.0.1 is another origin than localhost) that frames the webmail.
      const attacker = http.createServer((_req, res) => {
        res.setHeader('content-type', 'text/html')
        res.end(`<iframe src="${target}" width="600" height="400"></iframe>`)
      })
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
      try {
        const refused = other.page.waitForEvent('console', {
          predicate: (m) => /frame-ancestors/i.test(m.text()),
          timeout: 15_000,
        })
        await other.page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`)
        await refused
        await other.page.waitForTimeout(500)
        const frame = other.page.frames().find((f) => f !== other.page.mainFrame())
        expect(frame?.url()).not.toContain(target)
        expect(frame ? await frame.locator('#root').count() : 0).toBe(0)
      } finally {
        attacker.close()
      }
    } finally {
      await other.context.close()
    }
  })
})
