// The issue page's Notes panel shows the memory (issue #14): entries
// remembered in its scope (`remember issue:owner/repo#n`), each with its key,
// author and expiry, beside the roles' notes; axe in light and dark, and a
// screenshot of each. The entries are written through the app's API, as the
// MCP tools do.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')
let baton: RunningBaton

async function api<T>(method: string, input: unknown): Promise<T> {
  const res = await fetch(`${baton.origin}/api/${method}`, { method: 'POST', headers: { authorization: `Bearer ${baton.token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) })
  const body = (await res.json()) as { ok: boolean; data: T; error?: { message: string } }
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`)
  return body.data
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
  })
}

test.beforeAll(async () => {
  baton = await startBaton({ args: ['--sandbox'] })
})
test.afterAll(async () => {
  await baton?.stop()
})

test("the Notes panel shows the issue's remembered entries with scope, author and expiry, in light and dark", async ({ page }) => {
  test.setTimeout(120_000)
  await page.setViewportSize({ width: 1440, height: 900 })
  await api('memory.remember', { scope: 'issue:baton-sandbox/calc#1', key: 'decision', text: 'power() throws a RangeError for a negative exponent: callers rely on it.' })
  await api('memory.remember', { scope: 'issue:baton-sandbox/calc#1', key: 'wip', text: 'Someone is rewriting src/calc.js this afternoon.', ttlSec: 3600 })
  await page.goto(baton.url)
  await page.goto(`${baton.origin}/#/issue/1/1`)
  await expect(page.getByRole('heading', { level: 1, name: /power/i })).toBeVisible({ timeout: 60_000 })
  const panel = page.locator('section[aria-labelledby="notes-h"]')
  await expect(panel.getByRole('heading', { name: /Remembered/ })).toContainText('issue:baton-sandbox/calc#1')
  const decision = panel.locator('[data-memory-key="decision"]')
  await expect(decision).toContainText('maintainer')
  await expect(decision).toContainText('power() throws a RangeError')
  await expect(decision).toContainText('kept until forgotten')
  await expect(panel.locator('[data-memory-key="wip"]')).toContainText(/expires in (59 min|1 h)$/)

  // Forgotten through the API: the page follows (the issues topic changed).
  await api('memory.forget', { scope: 'issue:baton-sandbox/calc#1', key: 'wip' })
  await expect(panel.locator('[data-memory-key="wip"]')).toHaveCount(0, { timeout: 20_000 })
  await api('memory.remember', { scope: 'issue:baton-sandbox/calc#1', key: 'wip', text: 'Someone is rewriting src/calc.js this afternoon.', ttlSec: 3600 })

  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme })
    await page.reload()
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    await expect(panel.locator('[data-memory-key="wip"]')).toBeVisible()
    await page.waitForTimeout(300)
    expect(await seriousViolations(page), theme).toEqual([])
    await page.screenshot({ path: `${shots}/issue-memory-${theme}.png`, fullPage: true })
    // The panel itself (the page scrolls inside its own pane, so the full page stops at the window).
    await panel.scrollIntoViewIfNeeded()
    await panel.screenshot({ path: `${shots}/issue-memory-panel-${theme}.png` })
  }
})
