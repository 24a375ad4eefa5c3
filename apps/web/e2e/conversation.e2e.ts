import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mailCaller, type Network, startNetwork } from '@federizer/devnet'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, openPage, reader, rowWith, shot, signIn, type TestPage } from './browser.ts'

// Issue 16, conversations: a thread as stacked cards (older ones collapsed), quoted text folded in
// plain and HTML mail, live arrival, and replies/forwards that keep the HTML — all in Chromium
// against a real node.

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
const DOMAIN = 'example.org'
const ALICE = 'alice@example.org'
const BOBBY = 'bobby@example.org'
const THREAD = '<trip-to-oslo@example.org>'

const cards = (page: Page) => reader(page).getByTestId('thread-message')

/** Bobby writes to Alice through the api (as his webmail would), in the Oslo thread. */
async function bobbyWrites(subject: string, body: { text?: string; html?: string }, parent?: string) {
  const caller = await mailCaller(network.node(DOMAIN), BOBBY)
  const draft = await caller.draft.save({
    to: [{ address: ALICE }],
    subject,
    ...body,
    threadId: THREAD,
    ...(parent ? { inReplyTo: parent, references: [parent] } : {}),
  })
  await caller.send.submit({ draftId: draft.id })
  return draft.messageIdHeader
}

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-conversation-'))
  network = await startNetwork({
    dataRoot,
    domains: [
      {
        domain: DOMAIN,
        users: [
          { email: ALICE, password: 'alice-password-1', name: 'Alice' },
          { email: BOBBY, password: 'bobby-password-1', name: 'Bobby' },
        ],
      },
    ],
  })
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

let firstId = ''

describe('conversation view', () => {
  it('stacks the thread as cards: the older, read one collapsed; plain quoted text folded', async () => {
    const page = alice.page
    firstId = await bobbyWrites('Trip to Oslo', { text: 'Shall we go to Oslo in March?' })
    await rowWith(page, 'Trip to Oslo').waitFor({ timeout: 30_000 })
    // Alice has read the first message already.
    const caller = await mailCaller(network.node(DOMAIN), ALICE)
    const inbox = (await caller.mailbox.list()).find((b) => b.role === 'inbox')?.id as string
    const first = (await caller.message.list({ mailboxId: inbox, limit: 10 })).items[0]
    await caller.message.setKeywords({ ids: [first?.id as string], add: ['$seen'] })
    await bobbyWrites(
      'Re: Trip to Oslo',
      {
        text: 'March works, tickets are cheap.\n\nOn 3 Dec 2026, Bobby wrote:\n> Shall we go to Oslo in March?',
      },
      firstId,
    )
    await rowWith(page, 'Re: Trip to Oslo').getByRole('link').click()
    await reader(page).getByText('Conversation · 2 messages').waitFor({ timeout: 30_000 })
    await expect(cards(page).count()).resolves.toBe(2)
    const [older, newer] = [cards(page).nth(0), cards(page).nth(1)]
    await expect(older.getAttribute('data-expanded')).resolves.toBe('false')
    await expect(newer.getAttribute('data-expanded')).resolves.toBe('true')
    // Collapsed: one line with the sender and the snippet, no body.
    await older.getByText('Shall we go to Oslo in March?').waitFor()
    await expect(older.getByTestId('message-text').count()).resolves.toBe(0)
    // The reply shows what is new; its quote is folded until asked.
    const text = newer.getByTestId('message-text')
    await text.getByText('March works, tickets are cheap.').waitFor()
    await expect(newer.getByTestId('quoted-text').count()).resolves.toBe(0)
    expect(await text.textContent()).not.toContain('Bobby wrote:')
    await newer.getByRole('button', { name: 'Show quoted text' }).click()
    await newer.getByTestId('quoted-text').getByText('> Shall we go to Oslo in March?').waitFor()
    await newer.getByRole('button', { name: 'Hide quoted text' }).click()
    // Clicking the collapsed card opens it.
    await older.getByRole('button', { expanded: false }).click()
    await older
      .getByTestId('message-text')
      .getByText('Shall we go to Oslo in March?')
      .waitFor({ timeout: 10_000 })
    await expect(older.getAttribute('data-expanded')).resolves.toBe('true')
    await older.getByRole('button', { expanded: true }).click()
    await expect(older.getAttribute('data-expanded')).resolves.toBe('false')
  })

  it('a new message of the thread joins the open conversation live, its HTML quote folded', async () => {
    const page = alice.page
    await bobbyWrites(
      'Re: Trip to Oslo',
      {
        html:
          '<p>Booked! <b>Flight SK 4012</b> on <i>March 14</i>.</p>' +
          '<img src="x" onerror="window.__xss = 1"><script>window.__xss = 2</script>' +
          '<div>On 3 Dec 2026, Alice wrote:</div><blockquote type="cite"><p>Which flight?</p></blockquote>',
      },
      firstId,
    )
    await reader(page).getByText('Conversation · 3 messages').waitFor({ timeout: 30_000 })
    const newest = cards(page).nth(2)
    await expect(newest.getAttribute('data-expanded')).resolves.toBe('true')
    const frame = newest.frameLocator('[data-testid="message-html"]')
    await frame.getByText('Flight SK 4012').waitFor({ timeout: 30_000 })
    await expect(frame.getByText('Which flight?').count()).resolves.toBe(0)
    await expect(frame.getByText('Alice wrote:').count()).resolves.toBe(0)
    await newest.getByRole('button', { name: 'Show quoted text' }).click()
    await frame.getByText('Which flight?').waitFor()
    await newest.getByRole('button', { name: 'Hide quoted text' }).click()
    await expect.poll(() => frame.getByText('Which flight?').count()).toBe(0)
    await reader(page).getByRole('heading', { name: 'Re: Trip to Oslo' }).scrollIntoViewIfNeeded()
    await shot(page, '80-conversation-view')
  })

  it('reply keeps the HTML, quoted in a blockquote under "On <date>, <name> wrote:"', async () => {
    const page = alice.page
    await rowWith(page, 'Re: Trip to Oslo').first().getByRole('link').click()
    await cards(page)
      .nth(2)
      .frameLocator('[data-testid="message-html"]')
      .getByText('Flight SK 4012')
      .waitFor({
        timeout: 30_000,
      })
    await page.keyboard.press('r')
    const compose = page.getByTestId('compose')
    const editor = compose.getByRole('textbox', { name: 'Message text' })
    await editor.locator('blockquote b').getByText('Flight SK 4012').waitFor()
    await editor.locator('blockquote i').getByText('March 14').waitFor()
    await editor.getByText(/^On .*, Bobby <bobby@example\.org> wrote:$/).waitFor()
    // The quoted HTML went through the reader's sanitiser: no handler, no script survived.
    await expect(editor.locator('[onerror], script').count()).resolves.toBe(0)
    await expect(page.evaluate(() => (globalThis as { __xss?: number }).__xss)).resolves.toBeUndefined()
    await editor.click({ position: { x: 8, y: 8 } })
    await page.keyboard.press('Control+Home')
    await page.keyboard.type('Great, see you at the gate!')
    await shot(page, '81-reply-html-quote')
    await compose.getByRole('button', { name: 'Send' }).click()
    await compose.waitFor({ state: 'detached' })
    // Bobby receives the formatting and the quote as HTML.
    const bobby = await mailCaller(network.node(DOMAIN), BOBBY)
    const inbox = (await bobby.mailbox.list()).find((b) => b.role === 'inbox')?.id as string
    let html = ''
    await expect
      .poll(
        async () => {
          const items = (await bobby.message.list({ mailboxId: inbox, limit: 10 })).items
          const reply = items.find(
            (m) => m.subject === 'Re: Re: Trip to Oslo' || m.subject === 'Re: Trip to Oslo',
          )
          if (!reply) return false
          const got = (await bobby.message.get({ ids: [reply.id] })).messages[0] as
            | { html?: string }
            | undefined
          html = got?.html ?? ''
          return html.includes('<blockquote')
        },
        { timeout: 30_000 },
      )
      .toBe(true)
    expect(html).toMatch(/Great, see you at the gate!/)
    expect(html).toMatch(/<blockquote[^>]*>.*<b>Flight SK 4012<\/b>/s)
    expect(html).not.toMatch(/onerror|<script/i)
  })

  it('forward keeps the HTML below the forwarded-message header', async () => {
    const page = alice.page
    await rowWith(page, 'Re: Trip to Oslo').first().getByRole('link').click()
    await cards(page)
      .nth(2)
      .frameLocator('[data-testid="message-html"]')
      .getByText('Flight SK 4012')
      .waitFor({
        timeout: 30_000,
      })
    await page.keyboard.press('f')
    const compose = page.getByTestId('compose')
    const editor = compose.getByRole('textbox', { name: 'Message text' })
    await editor.getByText('---------- Forwarded message ----------', { exact: false }).waitFor()
    await editor.locator('b').getByText('Flight SK 4012').waitFor()
    await compose.getByRole('button', { name: 'Discard draft' }).click()
    await page
      .getByRole('dialog', { name: 'Discard this draft?' })
      .getByRole('button', { name: 'Discard' })
      .click()
    await compose.waitFor({ state: 'detached' })
  })

  it('lists one row per conversation with its count and participants; the setting turns it off', async () => {
    const page = alice.page
    const threadRow = rowWith(page, 'Re: Trip to Oslo')
    await expect.poll(() => threadRow.count()).toBe(1)
    await expect(threadRow.getByTestId('thread-count').textContent()).resolves.toBe('3')
    await threadRow.getByText('Bobby').first().waitFor()
    await expect(rowWith(page, 'Trip to Oslo').count()).resolves.toBe(1)
    await shot(page, '83-threaded-list')
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await dialog.getByLabel(/Group messages by conversation/).uncheck()
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.getByRole('status').getByText('Saved.').waitFor()
    await dialog.getByRole('button', { name: 'Close' }).click()
    await expect.poll(() => rowWith(page, 'Trip to Oslo').count(), { timeout: 10_000 }).toBe(3)
    await expect(page.getByTestId('thread-count').count()).resolves.toBe(0)
    const caller = await mailCaller(network.node(DOMAIN), ALICE)
    await expect(caller.settings.get()).resolves.toMatchObject({ conversationView: false })
    await caller.settings.setConversationView({ on: true })
  })

  it('lays the conversation out for a 390×844 phone', async () => {
    const phone = await openPage(browser, { width: 390, height: 844 })
    try {
      await signIn(phone.page, network.node(DOMAIN).apiUrl, ALICE, 'alice-password-1')
      await rowWith(phone.page, 'Re: Trip to Oslo').first().click()
      await reader(phone.page)
        .getByText(/Conversation · \d messages/)
        .waitFor({ timeout: 30_000 })
      const box = await cards(phone.page).first().boundingBox()
      expect(box && box.x + box.width).toBeLessThanOrEqual(390)
      await shot(phone.page, '82-conversation-phone')
    } finally {
      await phone.context.close()
    }
  })
})
