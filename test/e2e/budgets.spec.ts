// Budgets as a person meets them (issue #12): Settings → Budgets with its
// defaults, a change saved and refused, a card waiting on a spent budget with
// the budget named, and Usage's spent-beside-budget panel — in the sandbox,
// where issue #1 has already spent $5.20 of its $5.00 (a usage row written
// before the app starts: the builtin agents cost nothing). Both themes.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { paths } from '../../src/main/data-dir'
import { openDatabase } from '../../src/main/store/open'
import { recordUsage } from '../../src/main/store/usage'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })

let baton: RunningBaton
test.beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-e2e-budget-'))
  const db = openDatabase(paths.database(dataDir))
  // The sandbox's repository is the first connected (id 1); its issue #1 spent this on an earlier day's work… today.
  recordUsage(db, { at: new Date().toISOString(), repoId: 1, issue: 1, taskId: 't_earlier', attempt: 1, answer: 1, agent: 'engineer', provider: 'claude-code', model: 'claude-sonnet-4-5', inputTokens: 1_700_000, outputTokens: 7_000, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 5.2 })
  db.close()
  baton = await startBaton({ args: ['--sandbox'], dataDir })
})
test.afterAll(async () => {
  await baton?.stop()
})

test.describe.configure({ mode: 'serial' })

async function open(page: Page, hash: string): Promise<void> {
  await page.goto(baton.url)
  await page.evaluate((h) => (location.hash = h), hash)
}

test('Settings → Budgets shows the defaults, saves a change, refuses a bad one with the reason', async ({ page }) => {
  await open(page, '/settings')
  const section = page.locator('section[aria-labelledby="budgets-h"]')
  await expect(section.getByLabel('Dollars per issue')).toHaveValue('5')
  await expect(section.getByLabel('Dollars per day', { exact: true })).toHaveValue('20')
  await expect(section.getByLabel('Tokens per issue')).toHaveValue('2000000')
  await expect(section.getByLabel('Dollars per day for engineer')).toHaveValue('0')
  await expect(section).toContainText('0 means none.')

  await section.getByLabel('Dollars per day for engineer').fill('-3')
  await section.getByRole('button', { name: 'Save budgets' }).click()
  await expect(section.getByRole('status')).toContainText('budgets.roles.engineer.usd: a budget is 0 (none) or more')
  await section.getByLabel('Dollars per day for engineer').fill('12.5')
  await section.getByRole('button', { name: 'Save budgets' }).click()
  await expect(section.getByRole('status')).toContainText('Saved.')
  await page.reload()
  await page.evaluate(() => (location.hash = '/settings'))
  await expect(page.locator('section[aria-labelledby="budgets-h"]').getByLabel('Dollars per day for engineer')).toHaveValue('12.5')
})

test('a card waits on its spent budget, with the budget named; the inbox has one item; Usage shows spent beside the budget', async ({ page }) => {
  await open(page, '/pipeline')
  const card = page.locator('.board .issue[data-issue="1"]', { hasText: 'budget: $5.20 of $5.00 spent on #1' }).first()
  await expect(card).toBeVisible({ timeout: 30_000 })
  await expect(card).toContainText('budget: $5.20 of $5.00 spent on #1')
  await open(page, '/inbox')
  await expect(page.getByText(/budget: \$5\.20 of \$5\.00 spent on #1: no \w+ task starts for #1/)).toHaveCount(1)
  await open(page, '/usage')
  const panel = page.locator('section[aria-labelledby="budgets-h"]')
  await expect(panel).toContainText('$5.20 of $5.00')
  await expect(panel).toContainText('Spent: waits for a person')
})

for (const theme of ['light', 'dark'] as const) {
  test(`budgets in the ${theme} theme`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: theme })
    await open(page, '/settings')
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    const section = page.locator('section[aria-labelledby="budgets-h"]')
    await section.scrollIntoViewIfNeeded()
    await section.screenshot({ path: `${shots}/budgets-settings-${theme}.png` })
    await open(page, '/pipeline')
    const card = page.locator('.board .issue[data-issue="1"]', { hasText: 'budget: $5.20' }).first()
    await expect(card).toBeVisible({ timeout: 30_000 })
    await page.screenshot({ path: `${shots}/budgets-board-${theme}.png` })
    await card.screenshot({ path: `${shots}/budgets-card-${theme}.png` })
    await open(page, '/usage')
    await expect(page.locator('section[aria-labelledby="budgets-h"]')).toBeVisible()
    await page.screenshot({ path: `${shots}/budgets-usage-${theme}.png`, fullPage: true })
  })
}
