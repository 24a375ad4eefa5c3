import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../artifacts/e2e')

/** Debian's Chromium, headless, with a fresh temporary profile. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

export interface TestPage {
  context: BrowserContext
  page: Page
  /** Console errors and page errors seen so far (printed when a test fails). */
  errors: string[]
}

/** A new browser context (its own storage, like a different person's browser). */
export async function openPage(
  browser: Browser,
  options: { width?: number; height?: number; dark?: boolean } = {},
): Promise<TestPage> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1360, height: options.height ?? 860 },
    colorScheme: options.dark ? 'dark' : 'light',
  })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  return { context, page, errors }
}

/** Saves a screenshot under artifacts/e2e/. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) })
}

/** Signs in through the AS login page and waits for the Inbox. */
export async function signIn(
  page: Page,
  apiUrl: string,
  email: string,
  password: string,
  shotPrefix?: string,
) {
  await page.goto(`${apiUrl}/`)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByLabel('Email address').waitFor()
  if (shotPrefix) await shot(page, `${shotPrefix}-as-login`)
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor({ timeout: 20_000 })
}

/** A folder's link in the sidebar (its name starts the link's accessible name; an unread count may follow). */
export const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Mailboxes' }).getByRole('link', { name: new RegExp(`^${name}`) })

/** The message-list rows whose text contains `text`. */
export const rowWith = (page: Page, text: string) => page.getByTestId('message-row').filter({ hasText: text })

/** The reading pane. */
export const reader = (page: Page) => page.getByRole('region', { name: 'Reading pane' })
