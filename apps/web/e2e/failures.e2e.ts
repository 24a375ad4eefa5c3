import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mailCaller, type Network, startNetwork } from '@federizer/devnet'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, nav, openPage, rowWith, shot, signIn, type TestPage } from './browser.ts'

// Issue 16: failures a person understands — an unreachable server is not "offline", mail sent offline
// waits visibly in an outbox, and a delivery that cannot succeed says why with Retry now / Cancel.

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
const DOMAIN = 'example.org'
const ALICE = 'alice@example.org'
const BOBBY = 'bobby@example.org'

async function inboxSubjects(email: string): Promise<string[]> {
  const caller = await mailCaller(network.node(DOMAIN), email)
  const box = (await caller.mailbox.list()).find((b) => b.role === 'inbox')
  return box ? (await caller.message.list({ mailboxId: box.id })).items.map((m) => m.subject) : []
}

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-failures-'))
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
  // A domain whose Federizer records point at a port where nothing listens: it exists, so it is retried
  // (a domain that does not exist fails at once, issue 12 item 15).
  network.dns.setRecords({
    ...network.dns.records(),
    srv: [
      ...(network.dns.records().srv ?? []),
      { name: '_federizer._as._tcp.down.example', target: 'localhost', port: 1 },
      { name: '_federizer._rs._tcp.down.example', target: 'localhost', port: 1 },
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

describe('failures in Chromium', () => {
  it('says the server cannot be reached (not "offline") while the network is up, and recovers', async () => {
    const page = alice.page
    await network.node(DOMAIN).stop()
    try {
      await page.getByText(`Can’t reach ${DOMAIN} right now — retrying`).waitFor({ timeout: 30_000 })
      await expect(page.getByText('You are offline').count()).resolves.toBe(0)
      await shot(page, 'failures-server-unreachable')
    } finally {
      await network.node(DOMAIN).start()
    }
    await page.getByRole('button', { name: 'Retry now' }).click()
    await page.getByText(/Can’t reach/).waitFor({ state: 'detached', timeout: 30_000 })
  })

  it('sending while offline puts the message in a visible outbox; it goes out when the connection returns', async () => {
    const page = alice.page
    await alice.context.setOffline(true)
    await page.getByText('You are offline.').waitFor({ timeout: 10_000 })
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').fill(`${BOBBY},`)
    await compose.getByLabel('Subject').fill('Written on the train')
    await compose.getByLabel('Message text').fill('No signal here.')
    await compose.getByRole('button', { name: 'Send' }).click()
    await compose.waitFor({ state: 'detached' })
    const queued = page.getByTestId('outbox-item').filter({ hasText: 'Written on the train' })
    await queued.getByText('it will be sent when the connection returns').waitFor()
    await expect(page.getByText(/Failed to fetch/).count()).resolves.toBe(0)
    await shot(page, 'failures-offline-outbox')
    expect(await inboxSubjects(BOBBY)).not.toContain('Written on the train')
    await alice.context.setOffline(false)
    await queued.waitFor({ state: 'detached', timeout: 30_000 })
    await expect.poll(() => inboxSubjects(BOBBY), { timeout: 30_000 }).toContain('Written on the train')
  })

  it('a domain that does not exist fails at once and says so in plain words', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').fill('carol@nowhere.example,')
    await compose.getByLabel('Subject').fill('To a domain that does not exist')
    await compose.getByLabel('Message text').fill('Hello?')
    await compose.getByRole('button', { name: 'Send' }).click()
    await compose.waitFor({ state: 'detached' })
    await nav(page, 'Sent').click()
    await rowWith(page, 'To a domain that does not exist').click()
    const status = page
      .getByRole('region', { name: 'Reading pane' })
      .getByRole('region', { name: 'Delivery status' })
    await status
      .getByText('The domain nowhere.example could not be found. Check the address for a typo.')
      .waitFor({ timeout: 60_000 })
    // biome-ignore lint/performance/useDomNodeTextContent: innerText is what is rendered (closed details hidden)
    const visible = await status.evaluate((el) => (el as unknown as { innerText: string }).innerText)
    expect(visible).not.toMatch(/ENOTFOUND|querySrv/)
    // Final after one attempt, not left queued for days.
    await status.getByText('Not delivered', { exact: true }).waitFor({ timeout: 30_000 })
  })

  it('a delivery that cannot succeed yet says why in plain words, with Retry now and Cancel', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.getByLabel('To').fill('carol@down.example,')
    await compose.getByLabel('Subject').fill('To a server that is down')
    await compose.getByLabel('Message text').fill('Hello?')
    await compose.getByRole('button', { name: 'Send' }).click()
    await compose.waitFor({ state: 'detached' })
    await nav(page, 'Sent').click()
    await rowWith(page, 'To a server that is down').click()
    const reader = page.getByRole('region', { name: 'Reading pane' })
    const status = reader.getByRole('region', { name: 'Delivery status' })
    await status
      .getByText('The mail server of down.example did not answer. Federizer keeps trying.')
      .waitFor({ timeout: 60_000 })
    // The technical text is only behind "Details".
    // biome-ignore lint/performance/useDomNodeTextContent: innerText is what is rendered (closed details hidden)
    const visible = await status.evaluate((el) => (el as unknown as { innerText: string }).innerText)
    expect(visible).not.toMatch(/ECONNREFUSED|fetch failed/)
    await status.getByText('Details').click()
    await expect(status.locator('details code').textContent()).resolves.toMatch(/down\.example/)
    await shot(page, 'failures-sent-view-reason')
    await status.getByRole('button', { name: 'Retry now' }).click()
    await page.getByText('Trying again now.').first().waitFor()
    await status.getByRole('button', { name: 'Cancel delivery' }).waitFor({ timeout: 60_000 })
    // Cancel may meet an attempt in progress; it then says so and a second press works.
    for (let i = 0; i < 10; i++) {
      await status.getByRole('button', { name: 'Cancel delivery' }).click()
      const done = await status
        .getByText('Cancelled', { exact: true })
        .waitFor({ timeout: 3_000 })
        .then(() => true)
        .catch(() => false)
      if (done) break
    }
    await status.getByText('Cancelled', { exact: true }).waitFor()
    await status.getByText('You cancelled this delivery.').waitFor()
    await expect(status.getByRole('button', { name: 'Retry now' }).count()).resolves.toBe(0)
    await shot(page, 'failures-sent-view-cancelled')
  })
})
