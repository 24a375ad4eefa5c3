import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mailCaller, type Network, startNetwork } from '@federizer/devnet'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, openPage, rowWith, shot, signIn, type TestPage } from './browser.ts'

// Issue 16, bulk work: checkboxes with shift-click ranges, a bulk archive with one Undo, drag and drop
// onto a folder, and folder rename / nest / delete in real dialogs — Chromium against a real node.

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
const DOMAIN = 'example.org'
const ALICE = 'alice@example.org'
const BOBBY = 'bobby@example.org'

const nav = (page: Page) => page.getByRole('navigation', { name: 'Mailboxes' })

async function aliceApi() {
  const caller = await mailCaller(network.node(DOMAIN), ALICE)
  const boxes = await caller.mailbox.list()
  const id = (name: string) => boxes.find((b) => b.name === name)?.id as string
  const subjectsIn = async (name: string) =>
    (await caller.message.list({ mailboxId: id(name), limit: 50 })).items.map((m) => m.subject).sort()
  return { caller, boxes, id, subjectsIn }
}

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-bulk-'))
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
  const bobby = await mailCaller(network.node(DOMAIN), BOBBY)
  for (const n of [1, 2, 3, 4]) {
    const draft = await bobby.draft.save({
      to: [{ address: ALICE }],
      subject: `Bulk ${n}`,
      text: `Note ${n}`,
    })
    await bobby.send.submit({ draftId: draft.id })
  }
  await (await mailCaller(network.node(DOMAIN), ALICE)).mailbox.create({ name: 'Projects' })
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

describe('bulk work in the message list', () => {
  it('shift-click selects a range; one bulk archive; one Undo brings all back', async () => {
    const page = alice.page
    await rowWith(page, 'Bulk 1').waitFor({ timeout: 30_000 })
    // The four arrive within a second: take the order the list shows.
    const rows = page.getByTestId('message-row')
    const subjects = (await rows.allTextContents()).map((t) => /Bulk \d/.exec(t)?.[0] as string)
    await rows.nth(0).getByRole('checkbox').click()
    await rows
      .nth(2)
      .getByRole('checkbox')
      .click({ modifiers: ['Shift'] })
    const bar = page.getByTestId('bulk-toolbar')
    await bar.getByText('3 selected').waitFor()
    expect(await rows.nth(1).getByRole('checkbox').isChecked()).toBe(true)
    expect(await rows.nth(3).getByRole('checkbox').isChecked()).toBe(false)
    const picked = subjects.slice(0, 3).sort()
    const left = subjects[3] as string
    await shot(page, '84-bulk-selection')

    await bar.getByRole('button', { name: 'Archive' }).click()
    await page.getByText('3 messages archived.').waitFor()
    await rowWith(page, picked[0] as string).waitFor({ state: 'detached' })
    await rowWith(page, left).waitFor()
    const api = await aliceApi()
    await expect.poll(() => api.subjectsIn('Archive'), { timeout: 10_000 }).toEqual(picked)

    await page.getByRole('button', { name: 'Undo' }).click()
    await rowWith(page, picked[0] as string).waitFor()
    await expect
      .poll(() => api.subjectsIn('Inbox'), { timeout: 10_000 })
      .toEqual(['Bulk 1', 'Bulk 2', 'Bulk 3', 'Bulk 4'])
    expect(await api.subjectsIn('Archive')).toEqual([])
  })

  it('a message dragged onto a folder in the sidebar moves there', async () => {
    const page = alice.page
    await rowWith(page, 'Bulk 1').dragTo(nav(page).getByRole('link', { name: 'Projects' }))
    await page.getByText('Message moved to Projects.').waitFor()
    const api = await aliceApi()
    await expect.poll(() => api.subjectsIn('Projects'), { timeout: 10_000 }).toEqual(['Bulk 1'])
  })

  it('renames a folder, nests one inside it and deletes the nested one, in dialogs', async () => {
    const page = alice.page
    await nav(page).getByRole('button', { name: 'Folder actions for Projects' }).click()
    await page.getByRole('menuitem', { name: 'Rename…' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('Folder name').fill('Clients')
    await dialog.getByRole('button', { name: 'Rename' }).click()
    await nav(page).getByRole('link', { name: 'Clients' }).waitFor()

    await nav(page).getByRole('button', { name: 'Folder actions for Clients' }).click()
    await page.getByRole('menuitem', { name: 'New folder inside…' }).click()
    await page.getByRole('dialog').getByLabel('Folder name').fill('Acme')
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click()
    await nav(page).getByRole('link', { name: 'Acme' }).waitFor()
    const api = await aliceApi()
    expect(api.boxes.find((b) => b.name === 'Acme')?.parentId).toBe(api.id('Clients'))

    // A folder that still holds a message is kept, and the notice says why.
    await nav(page).getByRole('button', { name: 'Folder actions for Clients' }).click()
    await page.getByRole('menuitem', { name: 'Delete…' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete folder' }).click()
    await page.getByText(/Could not delete “Clients”/).waitFor()
    await nav(page).getByRole('link', { name: 'Clients' }).waitFor()

    await nav(page).getByRole('button', { name: 'Folder actions for Acme' }).click()
    await page.getByRole('menuitem', { name: 'Delete…' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete folder' }).click()
    await page.getByText('Folder “Acme” deleted.').waitFor()
    await nav(page).getByRole('link', { name: 'Acme' }).waitFor({ state: 'detached' })
    expect((await aliceApi()).boxes.some((b) => b.name === 'Acme')).toBe(false)
  })

  it('deletes to Trash in bulk; in Trash "Delete for ever" asks in a dialog, never window.confirm', async () => {
    const page = alice.page
    page.on('dialog', () => {
      throw new Error('window.confirm/alert/prompt must not be used')
    })
    await nav(page)
      .getByRole('link', { name: /^Inbox/ })
      .click()
    await rowWith(page, 'Bulk 2').getByRole('checkbox').click()
    await page.getByTestId('bulk-toolbar').getByRole('button', { name: 'Delete' }).click()
    await page.getByText('Message moved to Trash.').waitFor()
    const api = await aliceApi()
    await expect.poll(() => api.subjectsIn('Trash'), { timeout: 10_000 }).toEqual(['Bulk 2'])

    await nav(page)
      .getByRole('link', { name: /^Trash/ })
      .click()
    await rowWith(page, 'Bulk 2').getByRole('link').click()
    // The reading pane's trash button is "Delete for ever" in Trash (no row is checked).
    const readerDelete = page.getByRole('button', { name: 'Delete for ever', exact: true }).first()
    await readerDelete.click()
    const ask = page.getByRole('dialog', { name: 'Delete for ever?' })
    await ask.getByRole('button', { name: 'Cancel' }).click()
    expect(await api.subjectsIn('Trash')).toEqual(['Bulk 2'])
    await readerDelete.click()
    await ask.getByRole('button', { name: 'Delete for ever' }).click()
    await expect.poll(() => api.subjectsIn('Trash'), { timeout: 10_000 }).toEqual([])
  })
})
