import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Network, startNetwork } from '@federizer/devnet'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, openPage, rowWith, shot, signIn, type TestPage } from './browser.ts'

// The seed's scenario end to end (issue 7): three domains on a real DNS server, example.org published
// behind the redirect service with its gateway under /fz; Alice sends Bob the 3.5 MB Venice.png; Bob,
// whose mail auto-forwards to bobby@example.org (keeping a copy), reads it and downloads the photo;
// Bobby receives it through the forward, fetched from example.com, with two verified hops.

const SUBJECT = `Vacation photo ${Date.now().toString(36)}`
// A real PNG signature followed by 3.5 MB of noise (incompressible, like a photo).
const PHOTO = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(3_520_247 - 8)])
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
let bob: TestPage
let bobby: TestPage

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-seed-e2e-'))
  network = await startNetwork({
    dataRoot,
    undoSendSeconds: 2,
    domains: [
      {
        domain: 'example.com',
        users: [{ email: 'alice@example.com', password: 'alice-in-venice', name: 'Alice' }],
      },
      {
        domain: 'example.net',
        users: [
          {
            email: 'bob@example.net',
            password: 'bob-in-paris',
            name: 'Bob',
            autoForwardTo: ['bobby@example.org'],
            keepCopy: true,
          },
        ],
      },
      {
        domain: 'example.org',
        gatewayPath: '/fz',
        behindRedirect: true,
        users: [{ email: 'bobby@example.org', password: 'bobby-in-oslo', name: 'Bobby' }],
      },
    ],
  })
  browser = await launchBrowser()
  alice = await openPage(browser)
  bob = await openPage(browser)
  bobby = await openPage(browser)
})

afterAll(async () => {
  for (const p of [alice, bob, bobby])
    if (p?.errors.length) console.log('browser errors:', p.errors.join('\n'))
  await browser?.close()
  await network?.stop()
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true })
})

describe('the seed scenario in Chromium: Alice → Bob → (auto-forward) → Bobby', () => {
  it('Alice and Bob sign in at their own domains', async () => {
    await signIn(
      alice.page,
      network.node('example.com').apiUrl,
      'alice@example.com',
      'alice-in-venice',
      'seed-01-alice',
    )
    await signIn(
      bob.page,
      network.node('example.net').apiUrl,
      'bob@example.net',
      'bob-in-paris',
      'seed-02-bob',
    )
    await shot(bob.page, 'seed-03-bob-inbox-empty')
  })

  it('Alice writes to Bob with a text and Venice.png and sends', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.waitFor()
    await compose.getByLabel('To').fill('bob@example.net,')
    await compose.getByLabel('Subject').fill(SUBJECT)
    await compose.getByLabel('Message text').fill('Hi Bob,\nthe photo from Venice I promised.\nAlice')
    await compose
      .getByTestId('file-input')
      .setInputFiles({ name: 'Venice.png', mimeType: 'image/png', buffer: PHOTO })
    await compose.getByRole('button', { name: 'Remove Venice.png' }).waitFor({ timeout: 30_000 })
    await shot(page, 'seed-04-alice-compose')
    await compose.getByRole('button', { name: 'Send' }).click()
    const status = page.getByTestId('send-status').filter({ hasText: SUBJECT })
    await status.getByText('Delivered').waitFor({ timeout: 60_000 })
    await shot(page, 'seed-05-alice-delivered')
  })

  it("Bob's open webmail shows the message without a reload; he downloads the photo intact", async () => {
    const page = bob.page
    const row = rowWith(page, SUBJECT)
    await row.waitFor({ timeout: 60_000 })
    await shot(page, 'seed-06-bob-new-mail')
    await row.getByRole('link').click()
    const reader = page.getByRole('region', { name: 'Reading pane' })
    await reader
      .getByTestId('message-text')
      .getByText('the photo from Venice I promised.')
      .waitFor({ timeout: 60_000 })
    const download = reader.getByRole('button', { name: 'Download Venice.png' }).and(page.locator(':enabled'))
    await download.waitFor({ timeout: 60_000 })
    await shot(page, 'seed-07-bob-reads')
    const file = page.waitForEvent('download')
    await download.click()
    const chunks: Buffer[] = []
    for await (const c of await (await file).createReadStream()) chunks.push(c as Buffer)
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(PHOTO))
  })

  it('Bobby receives it through the forward, fetched from example.com, with two verified hops', async () => {
    const page = bobby.page
    await signIn(
      page,
      network.node('example.org').apiUrl,
      'bobby@example.org',
      'bobby-in-oslo',
      'seed-08-bobby',
    )
    const row = rowWith(page, SUBJECT)
    await row.waitFor({ timeout: 60_000 })
    await row.getByRole('link').click()
    const reader = page.getByRole('region', { name: 'Reading pane' })
    await reader
      .getByTestId('message-text')
      .getByText('the photo from Venice I promised.')
      .waitFor({ timeout: 60_000 })
    const download = reader.getByRole('button', { name: 'Download Venice.png' }).and(page.locator(':enabled'))
    await download.waitFor({ timeout: 60_000 })
    await reader.getByRole('button', { name: 'Show details' }).click()
    await reader.getByText('Every hop verified').waitFor()
    // One list item per hop; the list numbers them (no "Hop 1:" printed inside a numbered list).
    const hops = await reader
      .getByRole('region', { name: 'Message details' })
      .locator('ol > li')
      .allTextContents()
    expect(hops).toHaveLength(2)
    expect(hops[0]).toMatch(/^Sent by example\.com\s*verified/)
    expect(hops[1]).toMatch(/^Forwarded by example\.net\s*verified/)
    expect(hops.join(' ')).not.toMatch(/Hop \d/)
    await shot(page, 'seed-09-bobby-two-hops')
    // The bytes at example.org are the original's: they came from example.com (example.net only forwarded).
    const file = page.waitForEvent('download')
    await download.click()
    const chunks: Buffer[] = []
    for await (const c of await (await file).createReadStream()) chunks.push(c as Buffer)
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(PHOTO))
  })
})
