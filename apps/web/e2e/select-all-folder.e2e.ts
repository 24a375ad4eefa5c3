import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mailCaller, type Network, startNetwork } from '@federizer/devnet'
import { buildDraft } from '@federizer/protocol/message'
import { insertMessage } from '@federizer/store'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, openPage, shot, signIn, type TestPage } from './browser.ts'

// Issue 16, bulk work: "Select all N in this folder" changes a flag on the server for messages the
// browser never loaded, and its one Undo restores exactly the messages whose flag changed — a message
// that was read (or starred) before stays so.

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
const DOMAIN = 'example.org'
const ALICE = 'alice@example.org'
const COUNT = 300
const subject = (i: number) => `Folder note ${i}`
const readBefore = (i: number) => i % 3 === 0
const starredBefore = (i: number) => i % 5 === 0

/** The folder's flags as the server has them: subject → keywords. */
async function flags(): Promise<Map<string, string[]>> {
  const caller = await mailCaller(network.node(DOMAIN), ALICE)
  const archive = (await caller.mailbox.list()).find((b) => b.role === 'archive')?.id as string
  const out = new Map<string, string[]>()
  let cursor: string | undefined
  do {
    const page = await caller.message.list({ mailboxId: archive, limit: 200, ...(cursor ? { cursor } : {}) })
    for (const m of page.items) out.set(m.subject ?? '', m.keywords)
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  return out
}

/** Which of the seeded messages have the keyword, as indexes. */
const having = (all: Map<string, string[]>, keyword: string) =>
  Array.from({ length: COUNT }, (_, i) => i).filter((i) => all.get(subject(i))?.includes(keyword))
const expected = (rule: (i: number) => boolean) => Array.from({ length: COUNT }, (_, i) => i).filter(rule)

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-folder-'))
  network = await startNetwork({
    dataRoot,
    domains: [{ domain: DOMAIN, users: [{ email: ALICE, password: 'alice-password-1', name: 'Alice' }] }],
  })
  // Written straight into the node's store as delivered mail would be; more than one page of the list.
  const db = await network.node(DOMAIN).db()
  for (let i = 0; i < COUNT; i++) {
    await insertMessage(db, {
      account: ALICE,
      mailboxRole: 'archive',
      placeholder: buildDraft({
        from: { name: `Sender ${i}`, address: `sender${i}@example.net` },
        to: [{ address: ALICE }],
        subject: subject(i),
        messageId: `<folder-${i}@example.net>`,
        text: {
          contentId: createHash('sha256').update(`body ${i}`).digest('base64url'),
          size: 6,
          mediaType: 'text/plain',
        },
      }),
      keywords: [...(readBefore(i) ? ['$seen'] : []), ...(starredBefore(i) ? ['$flagged'] : [])],
      receivedAt: 1_700_000_000 + i,
    })
  }
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

async function selectAllInFolder(page: Page) {
  const bar = page.getByTestId('bulk-toolbar')
  await bar.getByRole('checkbox').check()
  await bar.getByRole('button', { name: `Select all ${COUNT} in this folder` }).click()
  await bar.getByText(`All ${COUNT} selected`).waitFor()
  return bar
}

describe('select all in a folder, then one Undo', () => {
  it('mark read on all 300: Undo makes unread only those that were unread before', async () => {
    const page = alice.page
    await page
      .getByRole('navigation', { name: 'Mailboxes' })
      .getByRole('link', { name: /^Archive/ })
      .click()
    await page
      .getByTestId('message-row')
      .filter({ hasText: subject(COUNT - 1) })
      .waitFor({ timeout: 20_000 })
    const bar = await selectAllInFolder(page)
    await shot(page, '86-select-all-in-folder')
    await bar.getByRole('button', { name: 'Read', exact: true }).click()
    await page.getByText(`${COUNT} messages marked as read.`).waitFor()
    await expect.poll(async () => having(await flags(), '$seen').length, { timeout: 10_000 }).toBe(COUNT)

    await page.getByRole('button', { name: 'Undo' }).click()
    await expect
      .poll(async () => having(await flags(), '$seen'), { timeout: 10_000 })
      .toEqual(expected(readBefore))
    // Stars were not touched by either change.
    expect(having(await flags(), '$flagged')).toEqual(expected(starredBefore))
  })

  it('star all 300: Undo unstars only those that were not starred before', async () => {
    const page = alice.page
    const bar = await selectAllInFolder(page)
    await bar.getByRole('button', { name: 'Star', exact: true }).click()
    await page.getByText(`${COUNT} messages starred.`).waitFor()
    await expect.poll(async () => having(await flags(), '$flagged').length, { timeout: 10_000 }).toBe(COUNT)

    await page.getByRole('button', { name: 'Undo' }).click()
    await expect
      .poll(async () => having(await flags(), '$flagged'), { timeout: 10_000 })
      .toEqual(expected(starredBefore))
    expect(having(await flags(), '$seen')).toEqual(expected(readBefore))
  })
})
