import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mailCaller, type Network, sendMail, startNetwork } from '@federizer/devnet'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, openPage, rowWith, shot, signIn, type TestPage } from './browser.ts'

// The whole user journey against real nodes: two domains (DNS, gateways, apis serving the built
// webmail) in this process, two people in two browser contexts.

let network: Network
let dataRoot: string
let browser: Browser
let alice: TestPage
let bob: TestPage
const SUBJECT = `Vacation photo ${Date.now().toString(36)}`
const PHOTO = Buffer.alloc(300_000, 7)

async function openInbox(page: Page) {
  await page
    .getByRole('navigation', { name: 'Mailboxes' })
    .getByRole('link', { name: /^Inbox/ })
    .click()
}

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(tmpdir(), 'fz-web-e2e-'))
  network = await startNetwork({
    dataRoot,
    undoSendSeconds: 4,
    domains: [
      {
        domain: 'example.com',
        users: [{ email: 'alice@example.com', password: 'alice-password-1', name: 'Alice' }],
      },
      {
        domain: 'example.net',
        users: [{ email: 'bob@example.net', password: 'bob-password-1', name: 'Bob' }],
      },
    ],
  })
  browser = await launchBrowser()
  alice = await openPage(browser)
  bob = await openPage(browser)
})

afterAll(async () => {
  for (const p of [alice, bob]) {
    if (p?.errors.length) console.log('browser errors:', p.errors.join('\n'))
  }
  await browser?.close()
  await network?.stop()
  if (dataRoot) await rm(dataRoot, { recursive: true, force: true })
})

describe('webmail in Chromium against real nodes', () => {
  it('signs in through the AS login page (PKCE) and shows the mailboxes', async () => {
    await signIn(
      alice.page,
      network.node('example.com').apiUrl,
      'alice@example.com',
      'alice-password-1',
      '01-alice',
    )
    await shot(alice.page, '02-alice-inbox')
    const nav = alice.page.getByRole('navigation', { name: 'Mailboxes' })
    for (const name of ['Inbox', 'Sent', 'Drafts', 'Trash']) {
      await expect(nav.getByRole('link', { name: new RegExp(`^${name}`) }).count()).resolves.toBe(1)
    }
    // The access token lives in memory; only the refresh token is in sessionStorage, never localStorage.
    // (runs in the page; globalThis is the window there)
    const stored = await alice.page.evaluate(() => {
      const w = globalThis as unknown as { sessionStorage: object; localStorage: object }
      return { session: Object.keys(w.sessionStorage), local: JSON.stringify(w.localStorage) }
    })
    expect(stored.session).toContain('fz:auth:refresh')
    expect(stored.local).not.toMatch(/eyJ/)
    await signIn(bob.page, network.node('example.net').apiUrl, 'bob@example.net', 'bob-password-1', '03-bob')
  })

  it('rejects a wrong password on the AS page and stays signed out', async () => {
    const stranger = await openPage(browser)
    try {
      await stranger.page.goto(`${network.node('example.com').apiUrl}/`)
      await stranger.page.getByRole('button', { name: 'Sign in' }).click()
      await stranger.page.getByLabel('Email address').fill('alice@example.com')
      await stranger.page.getByLabel('Password').fill('wrong-password')
      await stranger.page.getByRole('button', { name: 'Sign in' }).click()
      await stranger.page.getByLabel('Password').waitFor()
      expect(stranger.page.url()).toContain(network.node('example.com').gatewayUrl)
      await shot(stranger.page, '04-wrong-password')
    } finally {
      await stranger.context.close()
    }
  })

  it('composes with an attachment (upload progress) and sends: held → delivered', async () => {
    const page = alice.page
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.waitFor()
    await compose.getByLabel('To').fill('bob@example.net,')
    await expect(compose.getByRole('button', { name: /Remove bob@example.net/ }).count()).resolves.toBe(1)
    await compose.getByLabel('Subject').fill(SUBJECT)
    await compose.getByLabel('Message text').fill('Hello Bob,\nhere is the photo from Venice.\n\nAlice')
    await compose
      .getByTestId('file-input')
      .setInputFiles({ name: 'Venice.png', mimeType: 'image/png', buffer: PHOTO })
    await compose.getByRole('button', { name: 'Remove Venice.png' }).waitFor({ timeout: 15_000 })
    await shot(page, '05-compose-with-attachment')
    await compose.getByRole('button', { name: 'Send' }).click()
    const status = page.getByTestId('send-status').filter({ hasText: SUBJECT })
    await status.waitFor()
    await shot(page, '06-send-held')
    await status.getByText('Delivered').waitFor({ timeout: 30_000 })
    await shot(page, '07-send-delivered')
  })

  it('shows the new mail in the recipient’s open webmail without a reload', async () => {
    const page = bob.page
    const row = rowWith(page, SUBJECT)
    await row.waitFor({ timeout: 30_000 })
    await shot(page, '08-bob-new-mail')
    await row.getByRole('link').click()
    const reader = page.getByRole('region', { name: 'Reading pane' })
    await reader.getByRole('heading', { name: SUBJECT }).waitFor()
    await reader
      .getByTestId('message-text')
      .getByText('here is the photo from Venice.')
      .waitFor({ timeout: 30_000 })
    const attachments = reader.getByRole('region', { name: 'Attachments' })
    await attachments.getByText('Venice.png').waitFor()
    await attachments
      .getByRole('button', { name: 'Download Venice.png' })
      .and(page.locator(':enabled'))
      .waitFor({ timeout: 30_000 })
    await shot(page, '09-bob-reads')
    // The details view shows the verified chain.
    await reader.getByRole('button', { name: 'Show details' }).click()
    await reader.getByText('Every hop verified').waitFor()
    await shot(page, '10-bob-chain-details')
    await reader.getByRole('button', { name: 'Show details' }).click()
  })

  it('downloads the attachment with the exact bytes', async () => {
    const page = bob.page
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download Venice.png' }).click()
    const file = await download
    const stream = await file.createReadStream()
    const chunks: Buffer[] = []
    for await (const c of stream) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).equals(PHOTO)).toBe(true)
  })

  it('replies with threading and the sender sees it arrive without a reload', async () => {
    const page = bob.page
    await page.keyboard.press('r')
    const compose = page.getByTestId('compose')
    await compose.waitFor()
    await expect(
      compose.getByRole('button', { name: /Remove Alice <alice@example.com>/ }).count(),
    ).resolves.toBe(1)
    await expect(compose.getByLabel('Subject').inputValue()).resolves.toBe(`Re: ${SUBJECT}`)
    const body = compose.getByLabel('Message text')
    await expect(body.inputValue()).resolves.toContain('> here is the photo from Venice.')
    await body.press('Control+Home')
    await body.pressSequentially('Thanks Alice, lovely! ')
    await shot(page, '11-bob-reply')
    await compose.getByRole('button', { name: 'Send' }).click()
    await page
      .getByTestId('send-status')
      .filter({ hasText: `Re: ${SUBJECT}` })
      .getByText('Delivered')
      .waitFor({ timeout: 30_000 })

    const row = rowWith(alice.page, `Re: ${SUBJECT}`)
    await openInbox(alice.page)
    await row.waitFor({ timeout: 30_000 })
    await row.getByRole('link').click()
    const reader = alice.page.getByRole('region', { name: 'Reading pane' })
    await reader.getByTestId('message-text').getByText('Thanks Alice, lovely!').waitFor({ timeout: 30_000 })
    await reader.getByText(/Conversation · 2 messages/).waitFor({ timeout: 10_000 })
    await shot(alice.page, '12-alice-reads-reply')
  })

  it('forwards by reference: nothing is uploaded again and the recipient gets the attachment', async () => {
    const page = bob.page
    await openInbox(page)
    await rowWith(page, SUBJECT).first().getByRole('link').click()
    await page.getByRole('region', { name: 'Reading pane' }).getByRole('heading', { name: SUBJECT }).waitFor()
    const uploads: string[] = []
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/resources') uploads.push(r.url())
    })
    await page.keyboard.press('f')
    const compose = page.getByTestId('compose')
    await compose.waitFor()
    await expect(compose.getByLabel('Subject').inputValue()).resolves.toBe(`Fwd: ${SUBJECT}`)
    await compose.getByRole('button', { name: 'Remove Venice.png' }).waitFor()
    await compose.getByLabel('To').fill('alice@example.com,')
    await shot(page, '13-bob-forward')
    await compose.getByRole('button', { name: 'Send' }).click()
    await page
      .getByTestId('send-status')
      .filter({ hasText: `Fwd: ${SUBJECT}` })
      .getByText('Delivered')
      .waitFor({ timeout: 30_000 })
    expect(uploads).toEqual([])

    const row = rowWith(alice.page, `Fwd: ${SUBJECT}`)
    await row.waitFor({ timeout: 30_000 })
    await row.getByRole('link').click()
    const reader = alice.page.getByRole('region', { name: 'Reading pane' })
    await reader
      .getByTestId('message-text')
      .getByText('---------- Forwarded message ----------')
      .waitFor({ timeout: 30_000 })
    await reader.getByRole('region', { name: 'Attachments' }).getByText('Venice.png').waitFor()
    await shot(alice.page, '14-alice-reads-forward')
  })

  it('archives with the keyboard and undoes it', async () => {
    const page = alice.page
    await openInbox(page)
    const row = rowWith(page, `Fwd: ${SUBJECT}`)
    await row.getByRole('link').click()
    await page.keyboard.press('e')
    await expect(row.count()).resolves.toBe(0)
    await page.getByRole('button', { name: 'Undo' }).click()
    await row.waitFor()
    await page.keyboard.press('?')
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor()
    await shot(page, '15-shortcuts-help')
    await page.keyboard.press('Escape')
  })

  it('keeps cached mail readable offline, even after a reload, and replays queued actions', async () => {
    const { page, context } = alice
    await openInbox(page)
    const row = rowWith(page, `Re: ${SUBJECT}`)
    await row.getByRole('link').click()
    const reader = page.getByRole('region', { name: 'Reading pane' })
    await reader.getByTestId('message-text').getByText('Thanks Alice, lovely!').waitFor()
    // Let the offline copy be written (debounced) and the service worker take control.
    await page.waitForFunction(
      () =>
        !!(globalThis as unknown as { navigator: { serviceWorker?: { controller: unknown } } }).navigator
          .serviceWorker?.controller,
      undefined,
      { timeout: 20_000 },
    )
    await page.waitForFunction(
      (subject) =>
        (
          (
            globalThis as unknown as { localStorage: { getItem(k: string): string | null } }
          ).localStorage.getItem('fz:offline:alice@example.com') ?? ''
        ).includes(subject),
      `Re: ${SUBJECT}`,
      { timeout: 20_000 },
    )

    await context.setOffline(true)
    await page.getByText('You are offline.').waitFor({ timeout: 10_000 })
    await reader.getByRole('button', { name: 'Star', exact: true }).click()
    await page.getByText(/1 change will be saved when the connection returns/).waitFor()
    await shot(page, '16-offline-banner')

    await page.reload()
    await row.waitFor({ timeout: 20_000 }).catch(async (e: unknown) => {
      await shot(page, '17-offline-reload-failed')
      throw e
    })
    await page.getByText('You are offline.').waitFor({ timeout: 20_000 })
    await row.getByRole('link').click()
    await reader.getByTestId('message-text').getByText('Thanks Alice, lovely!').waitFor({ timeout: 10_000 })
    await shot(page, '17-offline-after-reload')

    await context.setOffline(false)
    await page.getByText('You are offline.').waitFor({ state: 'detached', timeout: 30_000 })
    // The queued star reached the server: a fresh tRPC read shows the keyword.
    const caller = await mailCaller(network.node('example.com'), 'alice@example.com')
    await expect
      .poll(
        async () => {
          const inbox = (await caller.mailbox.list()).find((m) => m.role === 'inbox')
          const list = await caller.message.list({ mailboxId: inbox?.id ?? '', limit: 50 })
          return list.items.find((m) => m.subject === `Re: ${SUBJECT}`)?.keywords
        },
        { timeout: 20_000 },
      )
      .toContain('$flagged')
  })

  it('works single-pane on a phone in dark mode', async () => {
    const phone = await openPage(browser, { width: 390, height: 844, dark: true })
    try {
      const { page } = phone
      await signIn(page, network.node('example.net').apiUrl, 'bob@example.net', 'bob-password-1')
      const row = rowWith(page, SUBJECT).first()
      await row.waitFor({ timeout: 20_000 })
      await expect(page.getByRole('region', { name: 'Reading pane' }).count()).resolves.toBe(0)
      await shot(page, '18-phone-list-dark')
      await row.getByRole('link').click()
      const reader = page.getByRole('region', { name: 'Reading pane' })
      await reader
        .getByTestId('message-text')
        .getByText('here is the photo from Venice.')
        .waitFor({ timeout: 20_000 })
      await expect(page.getByTestId('message-list').count()).resolves.toBe(0)
      await shot(page, '19-phone-reader-dark')
      await reader.getByRole('button', { name: 'Back to the list' }).click()
      await row.waitFor()
      await page.keyboard.press('c')
      await page.getByTestId('compose').waitFor()
      await shot(page, '20-phone-compose-dark')
    } finally {
      await phone.context.close()
    }
  })

  it('shows HTML mail sanitised in a sandboxed frame with remote content blocked until asked', async () => {
    const subject = `HTML newsletter ${Date.now().toString(36)}`
    await sendMail(network.node('example.com'), {
      from: 'alice@example.com',
      to: ['bob@example.net'],
      subject,
      text: 'plain version',
      html:
        '<h2 id="title">Spring news</h2><script>parent.document.title="pwned"</script>' +
        '<img id="pixel" src="https://tracker.invalid/p.gif" alt="pixel">' +
        '<a id="bad" href="javascript:alert(1)">click</a><p style="background:url(https://tracker.invalid/bg)">styled</p>',
    })
    const page = bob.page
    await openInbox(page)
    const row = rowWith(page, subject)
    await row.waitFor({ timeout: 30_000 })
    await row.getByRole('link').click()
    const frameEl = page.getByTestId('message-html')
    await frameEl.waitFor({ timeout: 30_000 })
    await expect(frameEl.getAttribute('sandbox')).resolves.toBe('allow-popups allow-popups-to-escape-sandbox')
    const frame = page.frameLocator('[data-testid="message-html"]')
    await frame.getByRole('heading', { name: 'Spring news' }).waitFor()
    await expect(frame.locator('script').count()).resolves.toBe(0)
    await expect(frame.locator('#pixel').getAttribute('src')).resolves.toBeNull()
    await expect(frame.locator('#bad').getAttribute('href')).resolves.toBeNull()
    expect(await page.title()).not.toBe('pwned')
    await shot(page, '21-html-remote-blocked')
    await page.getByRole('button', { name: 'Load remote content' }).click()
    await expect.poll(() => frame.locator('#pixel').getAttribute('src')).toBe('https://tracker.invalid/p.gif')
    await expect(frame.locator('script').count()).resolves.toBe(0)
  })

  it('undoes a send during the hold window and reopens the draft', async () => {
    const page = alice.page
    const subject = `Oops ${Date.now().toString(36)}`
    await page.keyboard.press('c')
    const compose = page.getByTestId('compose')
    await compose.waitFor()
    await compose.getByLabel('To').fill('bob@example.net,')
    await compose.getByLabel('Subject').fill(subject)
    await compose.getByLabel('Message text').fill('I did not mean to send this.')
    await compose.getByRole('button', { name: 'Send' }).click()
    const status = page.getByTestId('send-status').filter({ hasText: subject })
    await status.getByRole('button', { name: /Undo/ }).click()
    await page.getByTestId('compose').getByLabel('Subject').waitFor()
    await expect(page.getByTestId('compose').getByLabel('Subject').inputValue()).resolves.toBe(subject)
    await shot(page, '22-undo-send-reopened')
    const caller = await mailCaller(network.node('example.com'), 'alice@example.com')
    const drafts = (await caller.mailbox.list()).find((m) => m.role === 'drafts')
    const list = await caller.message.list({ mailboxId: drafts?.id ?? '', limit: 50 })
    expect(list.items.some((m) => m.subject === subject)).toBe(true)
    await page.getByTestId('compose').getByRole('button', { name: 'Discard draft' }).click()
    // A draft with content is discarded only after a confirmation (issue 16 bug 11).
    const confirm = page.getByRole('dialog', { name: 'Discard this draft?' })
    await confirm.getByRole('button', { name: 'Discard' }).click()
    await page.getByTestId('compose').waitFor({ state: 'detached' })
    await expect
      .poll(async () =>
        (await caller.message.list({ mailboxId: drafts?.id ?? '', limit: 50 })).items.map((m) => m.subject),
      )
      .not.toContain(subject)
  })

  it('signs out: revokes, forgets the session and returns to the sign-in page', async () => {
    const page = alice.page
    // The app goes to the AS's logout endpoint, which redirects back to the webmail.
    const loggedOut = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/logout'))
    await page.getByRole('button', { name: 'Sign out' }).click()
    await loggedOut
    await page.waitForURL(`${network.node('example.com').apiUrl}/`)
    await page.waitForLoadState('load')
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 20_000 })
    const left = await page.evaluate(() => {
      const w = globalThis as unknown as { sessionStorage: object; localStorage: object }
      return { session: Object.keys(w.sessionStorage), local: Object.keys(w.localStorage) }
    })
    expect(left.session).not.toContain('fz:auth:refresh')
    expect(left.local.filter((k) => k.startsWith('fz:offline'))).toEqual([])
    await shot(page, '23-signed-out')
  })
})
