import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { deflateSync } from 'node:zlib'
import { mailCaller, type Network, sendMail, startNetwork } from '@federizer/devnet'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, nav, openPage, shot, signIn, type TestPage } from './browser.ts'

// Settings against a real node: name, layout and density, signature, forwarding target check, blocked
// senders filed in Junk, password change that signs out other sessions. Desktop and phone screenshots.

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
const DOMAIN = 'example.org'
const ALICE = 'alice@example.org'
const BOBBY = 'bobby@example.org'

/** A solid-colour PNG (RFC 2083): signature, IHDR, one IDAT, IEND. */
function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (buf: Buffer) => {
    let c = 0xffffffff
    for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const sum = Buffer.alloc(4)
    sum.writeUInt32BE(crc(body))
    return Buffer.concat([len, body, sum])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 2, 0, 0, 0], 8)
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3).fill(Buffer.from(rgb))])
  const raw = Buffer.concat(Array.from({ length: height }, () => row))
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const row = (page: Page, text: string) => page.getByTestId('message-row').filter({ hasText: text })
const settingsDialog = (page: Page) => page.getByRole('dialog', { name: 'Settings' })
async function openSettings(page: Page, tab: string) {
  const dialog = settingsDialog(page)
  if (!(await dialog.isVisible())) await page.getByRole('button', { name: 'Settings' }).click()
  await dialog.getByRole('tab', { name: tab }).click()
  return dialog
}

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-settings-'))
  network = await startNetwork({
    dataRoot,
    domains: [
      {
        domain: DOMAIN,
        users: [
          { email: ALICE, password: 'alice-password-1', name: 'Alice' },
          { email: BOBBY, password: 'bobby-password-1', name: 'Bobby Tables' },
        ],
      },
    ],
  })
  for (const subject of ['Welcome aboard', 'Minutes of Monday']) {
    await sendMail(network.node(DOMAIN), { from: BOBBY, to: [ALICE], subject, text: `About ${subject}` })
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

describe('settings in Chromium', () => {
  it('saves the name, the reading pane below the list and compact density; the layout follows', async () => {
    const page = alice.page
    await page.getByTestId('message-row').first().waitFor({ timeout: 30_000 })
    const dialog = await openSettings(page, 'General')
    await dialog.getByLabel('Your name').fill('Alice Liddell')
    await dialog.getByLabel('Reading pane').selectOption('bottom')
    await dialog.getByLabel('List density').selectOption('compact')
    await dialog.getByLabel('Load it for people I have written to; ask for others').check()
    await shot(page, '60-settings-general')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.getByRole('status').getByText('Saved.').waitFor()
    await dialog.getByRole('button', { name: 'Close' }).click()
    await expect(page.getByTestId('mail-columns').getAttribute('data-pane')).resolves.toBe('bottom')
    const row = page.getByTestId('message-row').first()
    await expect(row.getAttribute('data-density')).resolves.toBe('compact')
    expect((await row.boundingBox())?.height).toBe(56)
    await page.getByTestId('message-row').first().getByRole('link').click()
    await page
      .getByRole('region', { name: 'Reading pane' })
      .getByRole('heading', { name: /Minutes of Monday|Welcome aboard/ })
      .waitFor()
    await shot(page, '61-reading-pane-bottom')
    const caller = await mailCaller(network.node(DOMAIN), ALICE)
    const saved = await caller.settings.get()
    expect(saved.displayName).toBe('Alice Liddell')
    expect(saved.prefs).toMatchObject({
      readingPane: 'bottom',
      density: 'compact',
      remoteContent: 'contacts',
    })
    await expect(caller.account.me()).resolves.toMatchObject({ name: 'Alice Liddell' })
  })

  it('adds the signature to a new message under the RFC 3676 separator', async () => {
    const page = alice.page
    const dialog = await openSettings(page, 'Signature')
    await dialog.getByLabel(`Signature for ${ALICE}`).fill('Alice Liddell\nWonderland Ltd')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.getByText('Signature saved.').waitFor()
    await dialog.getByRole('button', { name: 'Close' }).click()
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    const body = compose.getByRole('textbox', { name: 'Message text' })
    await expect.poll(() => body.inputValue()).toBe('\n\n-- \nAlice Liddell\nWonderland Ltd')
    await compose.getByRole('button', { name: 'Close (keep draft)' }).click()
    await compose.waitFor({ state: 'detached' })
  })

  it('refuses a forwarding address whose domain does not receive mail, saying why', async () => {
    const page = alice.page
    const dialog = await openSettings(page, 'Forwarding')
    await dialog.getByLabel('Forward new mail automatically').check()
    await dialog.getByLabel('Forward to').fill('someone@nowhere.invalid')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog
      .getByRole('alert')
      .getByText(/nowhere\.invalid does not receive mail.*check the spelling/)
      .waitFor({ timeout: 20_000 })
    await dialog.getByLabel('Forward to').fill('nobody@example.org')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog
      .getByRole('alert')
      .getByText(/there is no mailbox nobody@example.org/)
      .waitFor()
    const caller = await mailCaller(network.node(DOMAIN), ALICE)
    await expect(caller.settings.get()).resolves.toMatchObject({ autoForward: null })
  })

  it('turning forwarding off keeps the address: after a reload it shows with the switch off', async () => {
    const page = alice.page
    let dialog = await openSettings(page, 'Forwarding')
    const toggle = dialog.getByLabel('Forward new mail automatically')
    await toggle.check()
    await dialog.getByLabel('Forward to').fill(BOBBY)
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.getByText(`Forwarding saved: new mail will be forwarded to ${BOBBY}.`).waitFor()
    await toggle.uncheck()
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.getByText('Forwarding saved: auto-forwarding is off.').waitFor()
    const caller = await mailCaller(network.node(DOMAIN), ALICE)
    await expect(caller.settings.get()).resolves.toMatchObject({
      autoForward: [BOBBY],
      forwardEnabled: false,
    })
    await page.reload()
    await page.getByRole('button', { name: 'Settings' }).waitFor()
    dialog = await openSettings(page, 'Forwarding')
    await expect.poll(() => dialog.getByLabel('Forward to').inputValue()).toBe(BOBBY)
    await expect(dialog.getByLabel('Forward new mail automatically').isChecked()).resolves.toBe(false)
    await expect(dialog.getByLabel('Forward to').isDisabled()).resolves.toBe(true)
    await dialog.getByRole('button', { name: 'Close' }).click()
    await dialog.waitFor({ state: 'detached' })
  })

  it('files mail from a blocked sender in Junk, and unblocks', async () => {
    const page = alice.page
    const dialog = await openSettings(page, 'Blocked senders')
    await dialog.getByLabel('Address or @domain to block').fill('not an address')
    await dialog.getByRole('button', { name: 'Block' }).click()
    // The api's refusal in plain words; its validation report only under Details.
    await dialog
      .getByRole('alert')
      .getByText('Enter an address (name@example.com) or a whole domain (@example.com).', { exact: true })
      .waitFor()
    await dialog.getByLabel('Address or @domain to block').fill(BOBBY)
    await dialog.getByRole('button', { name: 'Block' }).click()
    await dialog.getByRole('list', { name: 'Blocked senders' }).getByText(BOBBY).waitFor()
    await shot(page, '62-settings-blocked')
    await sendMail(network.node(DOMAIN), { from: BOBBY, to: [ALICE], subject: 'Buy now', text: 'Spam' })
    const caller = await mailCaller(network.node(DOMAIN), ALICE)
    const boxes = await caller.mailbox.list()
    const junk = boxes.find((m) => m.role === 'junk')?.id as string
    const inbox = boxes.find((m) => m.role === 'inbox')?.id as string
    await expect
      .poll(
        async () => (await caller.message.list({ mailboxId: junk, limit: 10 })).items.map((m) => m.subject),
        {
          timeout: 30_000,
        },
      )
      .toEqual(['Buy now'])
    const inInbox = (await caller.message.list({ mailboxId: inbox, limit: 10 })).items.map((m) => m.subject)
    expect(inInbox).not.toContain('Buy now')
    await dialog.getByRole('button', { name: `Unblock ${BOBBY}` }).click()
    await dialog.getByText('Nobody is blocked.').waitFor()
  })

  it('changes the password with the current one; other sign-ins end, this one stays', async () => {
    const node = network.node(DOMAIN)
    const other = await openPage(browser)
    try {
      await signIn(other.page, node.apiUrl, ALICE, 'alice-password-1')
      const page = alice.page
      const dialog = await openSettings(page, 'Password')
      await dialog.getByLabel('Current password').fill('not-my-password')
      await dialog.getByLabel('New password', { exact: true }).fill('new-password-2')
      await dialog.getByLabel('New password again').fill('new-password-2')
      await dialog.getByRole('button', { name: 'Change password' }).click()
      await dialog.getByRole('alert').getByText('Your current password is not right.').waitFor()
      await dialog.getByLabel('Current password').fill('alice-password-1')
      await dialog.getByRole('button', { name: 'Change password' }).click()
      await dialog
        .getByRole('status')
        .getByText(/Password changed\. 1 other sign-in was signed out\./)
        .waitFor()
      await shot(page, '63-settings-password')
      await dialog.getByRole('button', { name: 'Close' }).click()
      // This tab keeps working after its access token is refreshed; the other tab cannot refresh.
      await page.reload()
      await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor({ timeout: 20_000 })
      await other.page.reload()
      // Said in plain words; the AS's technical answer sits behind "Details".
      const notice = other.page.getByRole('alert')
      await notice
        .getByText('You were signed out because your password was changed', { exact: false })
        .waitFor({ timeout: 20_000 })
      expect(await notice.textContent()).not.toMatch(/^[^D]*invalid_grant/)
      await notice.getByText('Details').click()
      await notice.getByText(/invalid_grant: the refresh token has been revoked/).waitFor()
      await other.page.getByRole('button', { name: 'Sign in again' }).waitFor()
      await shot(other.page, '63-signed-out-after-password-change')
      await signIn(other.page, node.apiUrl, ALICE, 'new-password-2')
    } finally {
      await other.context.close()
    }
  })

  it('the vacation reply set here is sent by the server: Bobby gets one reply for two messages, kept in Sent', async () => {
    const page = alice.page
    const dialog = await openSettings(page, 'Vacation reply')
    await dialog.getByLabel('Send an automatic reply').check()
    await dialog.getByLabel('Reply subject').fill('Away this week')
    await dialog.getByLabel('Reply text').fill('I read mail again on Monday.')
    await dialog.getByRole('button', { name: 'Save' }).click()
    await dialog.getByText('Vacation reply is on.').waitFor()
    await dialog.getByRole('button', { name: 'Close' }).click()
    await dialog.waitFor({ state: 'detached' })
    const node = network.node(DOMAIN)
    await sendMail(node, { from: BOBBY, to: [ALICE], subject: 'Are you in?', text: 'Coffee?' })
    await sendMail(node, { from: BOBBY, to: [ALICE], subject: 'Are you in? (2)', text: 'Tea then?' })
    const bobby = await mailCaller(node, BOBBY)
    const inbox = (await bobby.mailbox.list()).find((m) => m.role === 'inbox')
    const replies = async () =>
      (await bobby.message.list({ mailboxId: inbox?.id ?? '', limit: 50 })).items.filter(
        (m) => m.subject === 'Away this week',
      )
    await expect.poll(async () => (await replies()).length, { timeout: 30_000 }).toBe(1)
    // Both messages reached Alice: a reply is queued in the same transaction that stores a message, so
    // one job means one reply for the two.
    await row(page, 'Are you in? (2)').first().waitFor({ timeout: 20_000 })
    const jobs = await node.gateway?.ctx.db
      .selectFrom('vacation_jobs')
      .select('state')
      .where('account', '=', ALICE)
      .execute()
    expect(jobs).toEqual([{ state: 'done' }])
    expect(await replies()).toHaveLength(1)
    const [reply] = await replies()
    // Bobby's mailbox fetches the text from Alice's, as for any message.
    const text = async () => (await bobby.message.get({ ids: [reply?.id ?? ''] })).messages[0]?.text
    await expect.poll(text, { timeout: 20_000 }).toBe('I read mail again on Monday.')
    // Alice sees the reply she sent in her Sent folder.
    await nav(page, 'Sent').click()
    await row(page, 'Away this week').first().waitFor({ timeout: 20_000 })
    await shot(page, '66-vacation-reply-sent')
    await nav(page, 'Inbox').click()
    const off = await openSettings(page, 'Vacation reply')
    await off.getByLabel('Send an automatic reply').uncheck()
    await off.getByRole('button', { name: 'Save' }).click()
    await off.getByText('Vacation reply is off.').waitFor()
    await off.getByRole('button', { name: 'Close' }).click()
  })

  it('lays settings out for a 390×844 phone', async () => {
    const phone = await openPage(browser, { width: 390, height: 844 })
    try {
      await signIn(phone.page, network.node(DOMAIN).apiUrl, ALICE, 'new-password-2')
      const dialog = await openSettings(phone.page, 'General')
      await dialog.getByLabel('Your name').waitFor()
      await shot(phone.page, '64-settings-phone')
      const box = await dialog.boundingBox()
      expect(box?.width).toBeLessThanOrEqual(390)
      await dialog.getByRole('tab', { name: 'Vacation reply' }).click()
      await dialog.getByLabel('Send an automatic reply').check()
      await dialog.getByLabel('Reply text').fill('Away until Monday.')
      await dialog.getByRole('button', { name: 'Save' }).click()
      await dialog.getByText('Vacation reply is on.').waitFor()
      await shot(phone.page, '65-settings-vacation-phone')
    } finally {
      await phone.context.close()
    }
  })

  it('shows image attachments as thumbnails and in a viewer with next/previous and keys', async () => {
    await sendMail(network.node(DOMAIN), {
      from: BOBBY,
      to: [ALICE],
      subject: 'Holiday photos',
      text: 'Two pictures',
      attachments: [
        { filename: 'beach.png', mediaType: 'image/png', bytes: png(320, 200, [40, 120, 200]) },
        { filename: 'forest.png', mediaType: 'image/png', bytes: png(200, 320, [30, 140, 60]) },
      ],
    })
    const page = alice.page
    const row = page.getByTestId('message-row').filter({ hasText: 'Holiday photos' })
    await row.waitFor({ timeout: 30_000 })
    await row.getByRole('link').click()
    const attachments = page.getByRole('region', { name: 'Attachments' })
    await attachments.getByRole('button', { name: 'View beach.png' }).waitFor({ timeout: 30_000 })
    await attachments.getByRole('button', { name: 'View forest.png' }).waitFor()
    await attachments.getByRole('button', { name: 'View beach.png' }).click()
    const viewer = page.getByTestId('lightbox')
    await viewer.getByText('1 of 2').waitFor()
    await expect(
      viewer
        .getByRole('img', { name: 'beach.png' })
        .evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
    ).resolves.toBe(320)
    await shot(page, '67-lightbox')
    await page.keyboard.press('ArrowRight')
    await viewer.getByText('2 of 2').waitFor()
    await viewer.getByRole('img', { name: 'forest.png' }).waitFor()
    await viewer.getByRole('button', { name: 'Next image' }).click()
    await viewer.getByText('1 of 2').waitFor()
    await page.keyboard.press('ArrowLeft')
    await viewer.getByText('2 of 2').waitFor()
    await page.keyboard.press('Escape')
    await viewer.waitFor({ state: 'detached' })
    // The thumbnails' blob: URLs die with the message view: leaving it revokes them (no pinned bytes).
    const thumb = attachments.getByRole('button', { name: 'View beach.png' }).locator('img')
    const blobUrl = (await thumb.getAttribute('src')) ?? ''
    expect(blobUrl).toMatch(/^blob:/)
    // Loaded as an image (the page CSP allows blob: images, not blob: fetches): a revoked URL fails.
    const alive = (url: string) =>
      page.evaluate(
        (u) =>
          new Promise<boolean>((resolve) => {
            const img = new (
              globalThis as unknown as {
                Image: new () => { src: string; onload: () => void; onerror: () => void }
              }
            ).Image()
            img.onload = () => resolve(true)
            img.onerror = () => resolve(false)
            img.src = u
          }),
        url,
      )
    await expect(alive(blobUrl)).resolves.toBe(true)
    await page.getByTestId('message-row').filter({ hasText: 'Minutes of Monday' }).getByRole('link').click()
    await attachments.getByRole('button', { name: 'View beach.png' }).waitFor({ state: 'detached' })
    await expect.poll(() => alive(blobUrl)).toBe(false)
  })

  it('opens a PDF attachment in the browser with inline disposition and its own type', async () => {
    const pdf = Buffer.from(
      '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    )
    await sendMail(network.node(DOMAIN), {
      from: BOBBY,
      to: [ALICE],
      subject: 'The contract',
      text: 'Attached',
      attachments: [{ filename: 'contract.pdf', mediaType: 'application/pdf', bytes: pdf }],
    })
    const page = alice.page
    const row = page.getByTestId('message-row').filter({ hasText: 'The contract' })
    await row.waitFor({ timeout: 30_000 })
    await row.getByRole('link').click()
    const open = page.getByRole('button', { name: 'Open contract.pdf in the browser' })
    await expect.poll(() => open.isEnabled(), { timeout: 30_000 }).toBe(true)
    const responses: Array<{ url: string; headers: Record<string, string> }> = []
    alice.context.on('response', (r) => {
      if (r.url().includes('/resources/')) responses.push({ url: r.url(), headers: r.headers() })
    })
    const [tab] = await Promise.all([alice.context.waitForEvent('page'), open.click()])
    await expect
      .poll(() => responses.find((r) => r.headers['content-type'] === 'application/pdf'), { timeout: 20_000 })
      .toBeDefined()
    const pdfResponse = responses.find((r) => r.headers['content-type'] === 'application/pdf')
    expect(pdfResponse?.headers['content-disposition']).toMatch(/^inline; filename\*=UTF-8''contract\.pdf/)
    expect(pdfResponse?.headers['content-security-policy']).not.toContain('sandbox')
    await tab.close()
  })

  it('shows an image the HTML body references by cid: from the message’s own attachment', async () => {
    const logo = png(120, 40, [200, 60, 40])
    const cid = createHash('sha256').update(logo).digest('base64url')
    await sendMail(network.node(DOMAIN), {
      from: BOBBY,
      to: [ALICE],
      subject: 'Our new logo',
      html: `<p>Here it is:</p><img src="cid:${cid}" alt="logo"><img src="cid:not-in-this-message" alt="x">`,
      attachments: [{ filename: 'logo.png', mediaType: 'image/png', bytes: logo }],
    })
    const page = alice.page
    const row = page.getByTestId('message-row').filter({ hasText: 'Our new logo' })
    await row.waitFor({ timeout: 30_000 })
    await row.getByRole('link').click()
    const img = page.frameLocator('[data-testid="message-html"]').getByRole('img', { name: 'logo' })
    // The frame's document is replaced when the inline images arrive (its srcdoc changes): each poll
    // resolves the image afresh instead of one 30 s wait on an element of the first document.
    const attempt = { timeout: 2_000 }
    await expect
      .poll(() => img.getAttribute('src', attempt).catch(() => null), { timeout: 30_000 })
      .toMatch(/^data:image\/png;base64,/)
    await expect
      .poll(() =>
        img
          .evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth, undefined, attempt)
          .catch(() => 0),
      )
      .toBe(120)
    const stray = page.frameLocator('[data-testid="message-html"]').getByRole('img', { name: 'x' })
    await expect(stray.getAttribute('src')).resolves.toBeNull()
    await shot(page, '68-cid-inline-image')
  })
})
