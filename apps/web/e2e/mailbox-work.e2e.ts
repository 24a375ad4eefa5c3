import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mailCaller, type Network, sendMail, startNetwork } from '@federizer/devnet'
import { buildDraft } from '@federizer/protocol/message'
import { insertMessage } from '@federizer/store'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, nav, openPage, rowWith, shot, signIn, type TestPage } from './browser.ts'

// Everyday mailbox work in one domain: drafts that survive a reload, paste and drop of attachments,
// address autocomplete, search, j/k, delete and restore, auto-forward settings.

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
const DOMAIN = 'example.org'
const ALICE = 'alice@example.org'

// The browser globals used inside page.evaluate (this file is typed for Node, without lib "DOM").
interface DomGlobals {
  DataTransfer: new () => { items: { add(file: unknown): void } }
  File: new (parts: string[], name: string, options: { type: string }) => unknown
  ClipboardEvent: new (type: string, init: Record<string, unknown>) => unknown
  DragEvent: new (type: string, init: Record<string, unknown>) => unknown
}

const ARCHIVED = 1500

/** A big mailbox, written straight into the node's SQLite store as delivered mail would be. */
async function fillArchive(count: number) {
  // The node's own connection: its servers run in this process on it.
  const db = await network.node(DOMAIN).db()
  for (let i = 0; i < count; i++) {
    const placeholder = buildDraft({
      from: { name: `Sender ${i}`, address: `sender${i}@example.net` },
      to: [{ address: ALICE }],
      subject: `Archived ${i}`,
      messageId: `<archived-${i}@example.net>`,
      text: {
        contentId: createHash('sha256').update(`body ${i}`).digest('base64url'),
        size: 6,
        mediaType: 'text/plain',
      },
    })
    await insertMessage(db, {
      account: ALICE,
      mailboxRole: 'archive',
      placeholder,
      keywords: ['$seen'],
      receivedAt: 1_700_000_000 + i,
    })
  }
}

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-work-'))
  network = await startNetwork({
    dataRoot,
    domains: [
      {
        domain: DOMAIN,
        users: [
          { email: ALICE, password: 'alice-password-1', name: 'Alice' },
          { email: 'bobby@example.org', password: 'bobby-password-1', name: 'Bobby Tables' },
        ],
      },
    ],
  })
  for (const subject of ['Quarterly report', 'Lunch on Friday', 'Gardening tips']) {
    await sendMail(network.node(DOMAIN), {
      from: 'bobby@example.org',
      to: [ALICE],
      subject,
      text: `About ${subject}`,
    })
  }
  await fillArchive(ARCHIVED)
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

describe('mailbox work in Chromium', () => {
  it('lists the inbox with unread counts and walks it with j/k', async () => {
    const page = alice.page
    await rowWith(page, 'Gardening tips').waitFor({ timeout: 30_000 })
    await expect(nav(page, 'Inbox').getAttribute('aria-label')).resolves.toBe('Inbox, 3 unread')
    await expect.poll(() => page.getByTestId('message-row').count()).toBe(3)
    // The list order (newest first; same-second arrivals by id) decides what j and k open.
    const order = await page
      .getByTestId('message-row')
      .locator('a')
      .evaluateAll((links) =>
        links.map((a) =>
          ['Quarterly report', 'Lunch on Friday', 'Gardening tips'].find((s) =>
            (a.textContent ?? '').includes(s),
          ),
        ),
      )
    const reader = page.getByRole('region', { name: 'Reading pane' })
    await page.keyboard.press('j')
    await reader.getByRole('heading', { name: order[0] }).waitFor()
    await page.keyboard.press('j')
    await reader.getByRole('heading', { name: order[1] }).waitFor()
    await page.keyboard.press('k')
    await reader.getByRole('heading', { name: order[0] }).waitFor()
    await expect
      .poll(() => nav(page, 'Inbox').getAttribute('aria-label'), { timeout: 10_000 })
      .toBe('Inbox, 1 unread')
  })

  it('virtualises a large mailbox and pages in more as you scroll', async () => {
    const page = alice.page
    await nav(page, 'Archive').click()
    await rowWith(page, `Archived ${ARCHIVED - 1}`).waitFor({ timeout: 20_000 })
    const shown = async () =>
      Number((await page.getByText(/\d+ shown/).textContent())?.match(/\d+/)?.[0] ?? 0)
    const first = await shown()
    expect(first).toBeGreaterThanOrEqual(100)
    expect(await page.getByTestId('message-row').count()).toBeLessThan(60)
    for (let i = 0; i < 5; i++) {
      await page.getByTestId('message-list').evaluate((el) => {
        el.scrollTop = el.scrollHeight
      })
      await page.waitForFunction(
        (n) => {
          const text =
            (globalThis as unknown as { document: { body: { textContent: string | null } } }).document.body
              .textContent ?? ''
          return Number(/(\d+) shown/.exec(text)?.[1] ?? 0) > n
        },
        first + i * 100,
      )
    }
    expect(await shown()).toBeGreaterThan(first)
    expect(await page.getByTestId('message-row').count()).toBeLessThan(60)
    await shot(page, '35-large-archive')
    await nav(page, 'Inbox').click()
  })

  // A real dialog, not window.prompt (Playwright would dismiss a prompt and no dialog role would show).
  it('creates a folder in a real dialog (refusals explained in it) and moves a message into it', async () => {
    const page = alice.page
    await page.getByRole('button', { name: '+ New folder' }).click()
    const dialog = page.getByRole('dialog', { name: 'New folder' })
    await dialog.getByRole('button', { name: 'Create' }).click()
    await dialog.getByRole('alert').getByText('Type a name for the folder.').waitFor()
    await dialog.getByLabel('Folder name').fill('Inbox')
    await dialog.getByRole('button', { name: 'Create' }).click()
    await dialog
      .getByRole('alert')
      .getByText('The folder was not saved: A mailbox named "Inbox" already exists.')
      .waitFor({ timeout: 10_000 })
    await shot(page, '36-folder-dialog-refused')
    await dialog.getByLabel('Folder name').fill('Receipts')
    await dialog.getByRole('button', { name: 'Create' }).click()
    await dialog.waitFor({ state: 'detached' })
    await nav(page, 'Receipts').waitFor({ timeout: 10_000 })
    await nav(page, 'Inbox').click()
    await rowWith(page, 'Quarterly report').getByRole('link').click()
    const reader = page.getByRole('region', { name: 'Reading pane' })
    await reader.getByRole('heading', { name: 'Quarterly report' }).waitFor()
    await reader.getByLabel('Move to mailbox').selectOption({ label: 'Receipts' })
    await expect.poll(() => rowWith(page, 'Quarterly report').count()).toBe(0)
    await nav(page, 'Receipts').click()
    await rowWith(page, 'Quarterly report').waitFor({ timeout: 10_000 })
    await nav(page, 'Inbox').click()
  })

  it('searches with the full-text index', async () => {
    const page = alice.page
    await page.keyboard.press('/')
    await page.keyboard.type('report')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Search: report', level: 1 }).waitFor()
    await rowWith(page, 'Quarterly report').waitFor({ timeout: 10_000 })
    await expect(rowWith(page, 'Lunch on Friday').count()).resolves.toBe(0)
    // The matched word is marked and the folder of each result is shown.
    const hit = rowWith(page, 'Quarterly report')
    await hit.locator('mark').getByText('report', { exact: true }).first().waitFor()
    await expect(hit.getByTestId('result-folder').textContent()).resolves.toBe('Receipts')
    await shot(page, '30-search')
    // Operators: from: and subject: filter on the server; only the free/fielded words are marked.
    await page.getByLabel('Search mail').fill('from:bobby subject:lunch')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Search: from:bobby subject:lunch', level: 1 }).waitFor()
    await rowWith(page, 'Lunch on Friday').waitFor({ timeout: 10_000 })
    await expect(rowWith(page, 'Quarterly report').count()).resolves.toBe(0)
    await rowWith(page, 'Lunch on Friday').locator('mark').getByText('Lunch').first().waitFor()
    await shot(page, '31-search-operators')
    // Esc leaves the results.
    await page.keyboard.press('Escape')
    await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor()
  })

  it('moves to Trash with #, and restores from Trash', async () => {
    const page = alice.page
    await rowWith(page, 'Lunch on Friday').getByRole('link').click()
    await page
      .getByRole('region', { name: 'Reading pane' })
      .getByRole('heading', { name: 'Lunch on Friday' })
      .waitFor()
    await page.keyboard.press('#')
    await expect.poll(() => rowWith(page, 'Lunch on Friday').count()).toBe(0)
    await nav(page, 'Trash').click()
    await rowWith(page, 'Lunch on Friday').waitFor({ timeout: 10_000 })
    await rowWith(page, 'Lunch on Friday').getByRole('link').click()
    await page.getByRole('button', { name: 'Restore from Trash' }).click()
    // Leaving at once: the restore's completion must not drag the view back to Trash.
    await nav(page, 'Inbox').click()
    await rowWith(page, 'Lunch on Friday')
      .waitFor({ timeout: 10_000 })
      .catch(async (e: unknown) => {
        await shot(page, '29-restore-failed')
        throw e
      })
  })

  it('autocompletes past correspondents and keeps a draft across a reload', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').pressSequentially('bob')
    const option = page.getByRole('option', { name: /Bobby Tables/ })
    await option.waitFor({ timeout: 10_000 })
    await shot(page, '31-autocomplete')
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await compose.getByRole('button', { name: /Remove Bobby Tables/ }).waitFor()
    await compose.getByLabel('Subject').fill('Draft that survives')
    await compose.getByLabel('Message text').fill('Half-written thought')
    await compose.getByText('Draft saved').waitFor({ timeout: 15_000 })

    await page.reload()
    const reopened = page.getByTestId('compose')
    await reopened.waitFor({ timeout: 20_000 })
    await expect(reopened.getByLabel('Subject').inputValue()).resolves.toBe('Draft that survives')
    await expect(reopened.getByLabel('Message text').inputValue()).resolves.toBe('Half-written thought')
    await shot(page, '32-draft-after-reload')

    const caller = await mailCaller(network.node(DOMAIN), ALICE)
    const drafts = (await caller.mailbox.list()).find((m) => m.role === 'drafts')
    const list = await caller.message.list({ mailboxId: drafts?.id ?? '', limit: 50 })
    expect(list.items.filter((m) => m.subject === 'Draft that survives')).toHaveLength(1)
  })

  it('attaches files by paste and by drop, each uploaded once', async () => {
    const page = alice.page
    const compose = page.getByTestId('compose')
    await compose.evaluate((el) => {
      const g = globalThis as unknown as DomGlobals
      const data = new g.DataTransfer()
      data.items.add(new g.File(['pasted bytes'], 'pasted.txt', { type: 'text/plain' }))
      el.dispatchEvent(
        new g.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }) as never,
      )
    })
    await compose.getByRole('button', { name: 'Remove pasted.txt' }).waitFor({ timeout: 15_000 })
    await compose.evaluate((el) => {
      const g = globalThis as unknown as DomGlobals
      const data = new g.DataTransfer()
      data.items.add(new g.File(['dropped bytes'], 'dropped.txt', { type: 'text/plain' }))
      el.dispatchEvent(
        new g.DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }) as never,
      )
      el.dispatchEvent(
        new g.DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }) as never,
      )
    })
    await compose.getByRole('button', { name: 'Remove dropped.txt' }).waitFor({ timeout: 15_000 })
    await shot(page, '33-paste-and-drop')
    await compose.getByRole('button', { name: 'Send' }).click()
    await page
      .getByTestId('send-status')
      .filter({ hasText: 'Draft that survives' })
      .getByText('Delivered')
      .waitFor({ timeout: 30_000 })
  })

  it('refuses to send to an invalid address with a precise message', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').fill('not-an-address,')
    await compose.getByText('Not an address: not-an-address').waitFor()
    await compose.getByRole('button', { name: 'Send' }).click()
    await compose.getByText(/Fix the address: not-an-address/).waitFor()
    await compose.getByRole('button', { name: 'Discard draft' }).click()
  })

  it('turns auto-forwarding on in settings, validates it, and the api keeps it', async () => {
    const page = alice.page
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await dialog.getByRole('tab', { name: 'Forwarding' }).click()
    await dialog.getByLabel('Forward new mail automatically').check()
    await dialog.getByLabel('Forward to').fill('alice@example.org')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.getByText('You cannot forward your mail to yourself.').waitFor()
    await dialog.getByLabel('Forward to').fill('bobby@example.org')
    // Keeping a copy is the default; turning it off leaves only the headers here.
    await expect(dialog.getByLabel('Keep a copy in this mailbox').isChecked()).resolves.toBe(true)
    await dialog.getByLabel('Keep a copy in this mailbox').uncheck()
    await shot(page, '34-settings')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.getByText('Forwarding saved: new mail will be forwarded to bobby@example.org.').waitFor()
    await dialog.getByRole('button', { name: 'Close' }).click()
    await dialog.waitFor({ state: 'detached' })
    const caller = await mailCaller(network.node(DOMAIN), ALICE)
    await expect(caller.settings.get()).resolves.toMatchObject({
      autoForward: ['bobby@example.org'],
      keepCopy: false,
    })
  })

  it('sends rich text: the recipient reads it rendered in the sandboxed frame, with a text part too', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').fill('bobby@example.org,')
    await compose.getByLabel('Subject').fill('Rich text')
    await compose.getByRole('button', { name: 'Formatting' }).click()
    const editor = compose.getByRole('textbox', { name: 'Message text' })
    await editor.click()
    await compose.getByRole('button', { name: 'Bold' }).click()
    await page.keyboard.type('Important')
    await compose.getByRole('button', { name: 'Bold' }).click()
    await page.keyboard.type(' and plain')
    await shot(page, '36-rich-compose')
    await compose.getByRole('button', { name: 'Send' }).click()
    await page
      .getByTestId('send-status')
      .filter({ hasText: 'Rich text' })
      .getByText('Delivered')
      .waitFor({ timeout: 30_000 })

    const bobby = await openPage(browser)
    try {
      await signIn(bobby.page, network.node(DOMAIN).apiUrl, 'bobby@example.org', 'bobby-password-1')
      const row = rowWith(bobby.page, 'Rich text')
      await row.waitFor({ timeout: 30_000 })
      await row.getByRole('link').click()
      const frame = bobby.page.frameLocator('[data-testid="message-html"]')
      await expect(frame.locator('b').textContent()).resolves.toBe('Important')
      await shot(bobby.page, '37-rich-received')
      const caller = await mailCaller(network.node(DOMAIN), 'bobby@example.org')
      const inbox = (await caller.mailbox.list()).find((m) => m.role === 'inbox')
      const list = await caller.message.list({ mailboxId: inbox?.id ?? '', limit: 50 })
      const id = list.items.find((m) => m.subject === 'Rich text')?.id as string
      const got = await caller.message.get({ ids: [id] })
      expect(got.messages[0]?.text).toContain('Important and plain')
    } finally {
      await bobby.context.close()
    }
  })

  it('says clearly when the sign-in server cannot be reached', async () => {
    const node = network.node(DOMAIN)
    const stranger = await openPage(browser)
    try {
      await stranger.page.goto(`${node.apiUrl}/`)
      await stranger.page.getByRole('button', { name: 'Sign in' }).waitFor()
      await node.gateway?.close()
      node.gateway = undefined
      await stranger.page.getByRole('button', { name: 'Sign in' }).click()
      await stranger.page
        .getByRole('alert')
        .getByText(
          'The sign-in server of example.org cannot be reached. Check your connection and try again.',
          {
            exact: true,
          },
        )
        .waitFor()
      await stranger.page.getByRole('button', { name: 'Try again' }).waitFor()
      await shot(stranger.page, '39-as-unreachable')
    } finally {
      await stranger.context.close()
      await node.stop()
      await node.start()
    }
  })
})
