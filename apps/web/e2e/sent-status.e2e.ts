import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mailCaller, type Network, startNetwork } from '@federizer/devnet'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, nav, openPage, reader, rowWith, shot, signIn, type TestPage } from './browser.ts'

// Issue 16 polish from the review: the Sent view never says "Sending soon" once the message was
// delivered (the send tracker and the reader show one state), and the list's "N shown" never wraps.

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
const DOMAIN = 'example.org'
const ALICE = 'alice@example.org'
const BOBBY = 'bobby@example.org'
const LONG_FOLDER = 'Quarterly reports, invoices and receipts 2026'

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-sent-'))
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
  const caller = await mailCaller(network.node(DOMAIN), ALICE)
  await caller.mailbox.create({ name: LONG_FOLDER })
  // An undo window long enough to open the message while it is held.
  await caller.settings.setPrefs({ undoSendSeconds: 8 })
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

describe('Sent view and list polish', () => {
  it('a sent message opened while held shows "Delivered" at once when opened again after delivery', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').fill(`${BOBBY},`)
    await compose.getByLabel('Subject').fill('Status check')
    await compose.getByLabel('Message text').fill('Hello Bobby')
    await compose.getByRole('button', { name: 'Send' }).click()
    await compose.waitFor({ state: 'detached' })
    // Opened during the undo window: the reader shows it held.
    await nav(page, 'Sent').click()
    await rowWith(page, 'Status check').click()
    const status = reader(page).getByRole('region', { name: 'Delivery status' })
    await status.getByText('Sending soon').waitFor({ timeout: 10_000 })
    await nav(page, 'Inbox').click()
    const tracker = page.getByTestId('send-status').filter({ hasText: 'Status check' })
    await tracker.getByText('Delivered').waitFor({ timeout: 30_000 })
    // Opened again: the state the tracker showed, with no "Sending soon" left over from the first look.
    await nav(page, 'Sent').click()
    await rowWith(page, 'Status check').click()
    await status.waitFor()
    expect(await status.getByText('Sending soon').count()).toBe(0)
    await status.getByText('Delivered', { exact: true }).waitFor({ timeout: 1000 })
    await shot(page, '88-sent-delivered')
  })

  it('"N shown" stays on one line beside a long folder name on a phone', async () => {
    const phone = await openPage(browser, { width: 390, height: 844 })
    try {
      // One message in the folder, so the count is there.
      const caller = await mailCaller(network.node(DOMAIN), ALICE)
      const boxes = await caller.mailbox.list()
      const folder = boxes.find((b) => b.name === LONG_FOLDER)?.id as string
      const sent = boxes.find((b) => b.role === 'sent')?.id as string
      const [first] = (await caller.message.list({ mailboxId: sent })).items
      await caller.message.move({ ids: [first?.id as string], mailboxId: folder })
      await signIn(phone.page, network.node(DOMAIN).apiUrl, ALICE, 'alice-password-1')
      const page = phone.page
      await nav(page, 'Quarterly').click()
      await page.getByRole('heading', { name: LONG_FOLDER, level: 1 }).waitFor()
      const count = page.getByText('1 shown', { exact: true })
      await count.waitFor({ timeout: 10_000 })
      const box = await count.evaluate((el) => {
        const e = el as unknown as { getBoundingClientRect(): { height: number } }
        const style = (
          globalThis as unknown as { getComputedStyle(e: unknown): { lineHeight: string } }
        ).getComputedStyle(el)
        return { height: e.getBoundingClientRect().height, line: Number.parseFloat(style.lineHeight) }
      })
      expect(box.height).toBeLessThan(box.line * 1.5)
      await shot(page, '89-phone-long-folder-count')
    } finally {
      await phone.context.close()
    }
  })
})
