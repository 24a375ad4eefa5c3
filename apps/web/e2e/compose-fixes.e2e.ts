import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mailCaller, type Network, sendMail, startNetwork } from '@federizer/devnet'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, nav, openPage, rowWith, shot, signIn, type TestPage } from './browser.ts'

// Issue 16 bugs in compose and the reader, each as a person would meet it in Chromium.

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
const DOMAIN = 'example.org'
const ALICE = 'alice@example.org'
const BOBBY = 'bobby@example.org'
const LIMIT = 64 * 1024

async function subjectsIn(email: string, role: string): Promise<string[]> {
  const caller = await mailCaller(network.node(DOMAIN), email)
  const box = (await caller.mailbox.list()).find((b) => b.role === role)
  if (!box) return []
  return (await caller.message.list({ mailboxId: box.id, limit: 200 })).items.map((m) => m.subject)
}

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-compose-'))
  network = await startNetwork({
    dataRoot,
    limits: { maxResourceBytes: LIMIT },
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
  await sendMail(network.node(DOMAIN), { from: BOBBY, to: [ALICE], subject: 'Plans', text: 'Shall we?' })
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

describe('compose', () => {
  it('Tab goes from To to Subject (not to "Cc / Bcc"); a typed space stays in the subject', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').fill(BOBBY)
    await page.keyboard.press('Tab')
    const focused = await page.evaluate(() =>
      (
        globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }
      ).document.activeElement.getAttribute('placeholder'),
    )
    expect(focused).toBe('Subject')
    await page.keyboard.type('Hello there')
    await expect(compose.getByLabel('Subject').inputValue()).resolves.toBe('Hello there')
    await expect(compose.getByLabel('Cc', { exact: true }).count()).resolves.toBe(0)
    await shot(page, 'compose-tab-order')
    await compose.getByRole('button', { name: 'Discard draft' }).click()
    await page
      .getByRole('dialog', { name: 'Discard this draft?' })
      .getByRole('button', { name: 'Discard' })
      .click()
    await compose.waitFor({ state: 'detached' })
  })

  it('every toolbar icon is an SVG (no emoji that renders as an empty box)', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByRole('button', { name: 'Formatting' }).click()
    const toolbar = compose.getByRole('toolbar', { name: 'Formatting' })
    const buttons = toolbar.getByRole('button')
    await expect(buttons.count()).resolves.toBeGreaterThanOrEqual(6)
    for (const button of await buttons.all()) {
      await expect(button.locator('svg').count()).resolves.toBe(1)
      expect((await button.textContent())?.trim()).toBe('')
    }
    const text = (await page.locator('body').textContent()) ?? ''
    expect(text).not.toMatch(/\p{Extended_Pictographic}/u)
    await shot(page, 'compose-toolbar-svg')
    // "Insert link" asks in a real dialog (no window.prompt), refuses a non-web address, links the selection.
    const editor = compose.getByRole('textbox', { name: 'Message text' })
    await editor.click()
    await page.keyboard.type('the agenda')
    await page.keyboard.press('Shift+Home')
    await toolbar.getByRole('button', { name: 'Insert link' }).click()
    const ask = page.getByRole('dialog', { name: 'Insert link' })
    await ask.getByLabel('Link address').fill('javascript:alert(1)')
    await ask.getByRole('button', { name: 'Insert link' }).click()
    await ask
      .getByRole('alert')
      .getByText(/starting with https:\/\//)
      .waitFor()
    await ask.getByLabel('Link address').fill('https://example.org/agenda')
    await ask.getByRole('button', { name: 'Insert link' }).click()
    await ask.waitFor({ state: 'detached' })
    await expect(editor.locator('a').getAttribute('href')).resolves.toBe('https://example.org/agenda')
    await expect(editor.locator('a').textContent()).resolves.toBe('the agenda')
    await compose.getByRole('button', { name: 'Discard draft' }).click()
    await page
      .getByRole('dialog', { name: 'Discard this draft?' })
      .getByRole('button', { name: 'Discard' })
      .click()
    await compose.waitFor({ state: 'detached' })
  })

  it('an empty subject is sent after a confirmation dialog (no window.confirm), and arrives', async () => {
    const page = alice.page
    page.once('dialog', () => {
      throw new Error('window.confirm/alert/prompt must not be used')
    })
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').fill(`${BOBBY},`)
    await compose.getByLabel('Message text').fill('No subject on this one.')
    await compose.getByRole('button', { name: 'Send' }).click()
    const ask = page.getByRole('dialog', { name: 'Send without a subject?' })
    await ask.waitFor()
    await shot(page, 'compose-no-subject-dialog')
    await ask.getByRole('button', { name: 'Send anyway' }).click()
    await compose.waitFor({ state: 'detached' })
    await expect.poll(() => subjectsIn(BOBBY, 'inbox'), { timeout: 30_000 }).toContain('')
  })

  it('an attachment that failed blocks sending with a warning; nothing goes out', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').fill(`${BOBBY},`)
    await compose.getByLabel('Subject').fill('With the big file')
    await compose.getByTestId('file-input').setInputFiles({
      name: 'huge.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(LIMIT * 3, 1),
    })
    const failed = compose.locator('li[data-state="error"]')
    await failed.waitFor({ timeout: 20_000 })
    await compose.getByRole('button', { name: 'Send' }).click()
    await compose
      .getByText(/huge\.bin could not be attached\. Remove it or attach again; nothing was sent\./)
      .waitFor()
    await shot(page, 'compose-failed-attachment-blocks-send')
    expect(await subjectsIn(ALICE, 'sent')).not.toContain('With the big file')
    await compose.getByRole('button', { name: 'Remove huge.bin' }).click()
    await expect(failed.count()).resolves.toBe(0)
    await compose.getByRole('button', { name: 'Close (keep draft)' }).click()
    await compose.waitFor({ state: 'detached' })
  })
})

describe('reader', () => {
  it('"Move to…" offers neither Drafts nor Sent for received mail', async () => {
    const page = alice.page
    await nav(page, 'Inbox').click()
    await rowWith(page, 'Plans').click()
    const reader = page.getByRole('region', { name: 'Reading pane' })
    await reader.getByRole('heading', { name: 'Plans' }).waitFor()
    const options = await reader.getByLabel('Move to mailbox').locator('option').allTextContents()
    expect(options).toContain('Archive')
    expect(options).not.toContain('Drafts')
    expect(options).not.toContain('Sent')
    expect(options).not.toContain('Inbox')
  })

  it('a draft opened in the reader offers Edit, not Reply / Forward', async () => {
    const page = alice.page
    await nav(page, 'Drafts').click()
    await rowWith(page, 'With the big file').click()
    const reader = page.getByRole('region', { name: 'Reading pane' })
    await reader.getByRole('button', { name: 'Edit draft' }).waitFor()
    for (const name of ['Reply', 'Reply all', 'Forward']) {
      await expect(reader.getByRole('button', { name, exact: true }).count()).resolves.toBe(0)
    }
    await page.keyboard.press('r')
    await page.waitForTimeout(300)
    await expect(page.getByTestId('compose').count()).resolves.toBe(0)
    await shot(page, 'reader-draft-no-reply')
  })
})

describe('notifications', () => {
  it('shows the unread count in the tab title and favicon, and a desktop notification when permitted', async () => {
    const tab = await openPage(browser)
    try {
      await tab.context.grantPermissions(['notifications'])
      // Record notifications (the real constructor still runs) and let the test put the tab in the background.
      await tab.context.addInitScript(() => {
        const w = globalThis as unknown as Record<string, unknown> & {
          Notification: new (...a: unknown[]) => unknown
        }
        const Real = w.Notification
        w.__notes = []
        const Recording = function (this: unknown, title: string, options?: { body?: string }) {
          ;(w.__notes as unknown[]).push({ title, body: options?.body })
          return new Real(title, options)
        } as unknown as { permission: string }
        Object.defineProperty(Recording, 'permission', {
          get: () => (Real as unknown as { permission: string }).permission,
        })
        w.Notification = Recording as never
        const doc = w.document as object
        Object.defineProperty(doc, 'visibilityState', { get: () => (w.__hidden ? 'hidden' : 'visible') })
      })
      await signIn(tab.page, network.node(DOMAIN).apiUrl, ALICE, 'alice-password-1')
      const unreadNow = async () => {
        const caller = await mailCaller(network.node(DOMAIN), ALICE)
        return (await caller.mailbox.list()).find((b) => b.role === 'inbox')?.unread ?? 0
      }
      const before = await unreadNow()
      await tab.page.evaluate(() => {
        ;(globalThis as unknown as { __hidden: boolean }).__hidden = true
      })
      await sendMail(network.node(DOMAIN), {
        from: BOBBY,
        to: [ALICE],
        subject: 'Ping',
        text: 'Are you there?',
      })
      await expect
        .poll(() => tab.page.title(), { timeout: 30_000 })
        .toBe(`(${before + 1}) Inbox · Federizer Mail`)
      const icon = await tab.page.locator('link[rel="icon"]').getAttribute('href')
      expect(decodeURIComponent(icon ?? '')).toContain(`>${before + 1}</text>`)
      await expect
        .poll(() => tab.page.evaluate(() => (globalThis as unknown as { __notes: unknown[] }).__notes), {
          timeout: 10_000,
        })
        .toEqual([{ title: 'New mail', body: 'New message from Bobby: Ping' }])
    } finally {
      await tab.context.close()
    }
  })
})

/** Bobby writes to Alice through the api (as his webmail would), optionally in a thread. */
async function bobbyWrites(subject: string, thread: { messageId?: string; threadId?: string } = {}) {
  const caller = await mailCaller(network.node(DOMAIN), BOBBY)
  const parent = thread.messageId
  const draft = await caller.draft.save({
    to: [{ address: ALICE }],
    subject,
    text: `About ${subject}`,
    ...(parent ? { inReplyTo: parent, references: [parent] } : {}),
    ...(thread.threadId ? { threadId: thread.threadId } : {}),
  })
  await caller.send.submit({ draftId: draft.id })
  return draft
}

describe('live conversation and phone layout', () => {
  it('an open conversation counts a message that arrives while it is open', async () => {
    const page = alice.page
    const threadId = '<trip-to-oslo@example.org>'
    const first = await bobbyWrites('Trip to Oslo', { threadId })
    await bobbyWrites('Re: Trip to Oslo', { messageId: first.messageIdHeader, threadId })
    await nav(page, 'Inbox').click()
    // One row for the conversation (either message may be its newest: they arrive in the same second).
    await rowWith(page, 'Trip to Oslo').click()
    const reader = page.getByRole('region', { name: 'Reading pane' })
    await reader.getByText('Conversation · 2 messages').waitFor({ timeout: 30_000 })
    await bobbyWrites('Re: Trip to Oslo (tickets)', { messageId: first.messageIdHeader, threadId })
    await reader.getByText('Conversation · 3 messages').waitFor({ timeout: 30_000 })
  })

  it('on a phone the Compose button does not cover the download button of an attachment', async () => {
    const phone = await openPage(browser, { width: 390, height: 844 })
    try {
      await sendMail(network.node(DOMAIN), {
        from: BOBBY,
        to: [ALICE],
        subject: 'Boarding pass',
        text: Array.from({ length: 30 }, (_, i) => `Line ${i + 1} of the itinerary.`).join('\n'),
        attachments: [
          {
            filename: 'boarding-pass-oslo-gardermoen-to-venice-marco-polo-seat-14c.pdf',
            mediaType: 'application/pdf',
            bytes: Buffer.from('%PDF-1.4 pass'),
          },
        ],
      })
      await signIn(phone.page, network.node(DOMAIN).apiUrl, ALICE, 'alice-password-1')
      await rowWith(phone.page, 'Boarding pass').click()
      const download = phone.page.getByRole('button', {
        name: 'Download boarding-pass-oslo-gardermoen-to-venice-marco-polo-seat-14c.pdf',
      })
      await download.waitFor({ timeout: 30_000 })
      // Scrolled so the attachment row sits at the bottom edge of the screen, as it does on the way down.
      await download.evaluate((el) =>
        (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'end' }),
      )
      const fab = phone.page.getByRole('button', { name: 'Compose' })
      const a = await download.boundingBox()
      const b = (await fab.isVisible()) ? await fab.boundingBox() : null
      const overlaps =
        !!a &&
        !!b &&
        a.x < b.x + b.width &&
        b.x < a.x + a.width &&
        a.y < b.y + b.height &&
        b.y < a.y + a.height
      expect(overlaps).toBe(false)
      await download.click({ trial: true }) // nothing on top of it receives the click
      await shot(phone.page, 'phone-attachment-download-uncovered')
      await phone.page.getByRole('button', { name: 'Back to the list' }).click()
      await fab.waitFor() // the list still has its Compose button
    } finally {
      await phone.context.close()
    }
  })
})
