// Renders public/icon.svg to the PNG sizes the web manifest needs (run: npx tsx scripts/make-icons.ts).
import { readFile, writeFile } from 'node:fs/promises'
import { chromium } from 'playwright-core'

const svg = await readFile(new URL('../public/icon.svg', import.meta.url), 'utf8')
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
})
try {
  for (const size of [192, 512]) {
    const page = await browser.newPage({ viewport: { width: size, height: size } })
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`,
    )
    const png = await page.screenshot({ omitBackground: true })
    await writeFile(new URL(`../public/icon-${size}.png`, import.meta.url), png)
    await page.close()
  }
} finally {
  await browser.close()
}
