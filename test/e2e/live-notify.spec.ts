// Live work and notifications as a person sees them (issue #12), on the
// sandbox with its real builtin agents: the Agents screen shows each idle
// agent's last run with every line tagged by its issue, #/agents/<name>
// focuses one agent, and Settings → Notifications turns kinds off and keeps
// a webhook whose URL is never shown back. Both themes, screenshots, no
// serious axe violation.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')
const HOOK = 'https://hooks.slack.com/services/T0000/B0000/e2eSecretPartOfTheUrl'

let baton: RunningBaton
test.beforeAll(async () => {
  baton = await startBaton({ args: ['--sandbox'] })
})
test.afterAll(async () => {
  await baton?.stop()
})
test.describe.configure({ mode: 'serial' })

async function open(page: Page, hash: string) {
  await page.goto(baton.url)
  await page.evaluate((h) => (location.hash = h), hash)
}

async function axe(page: Page) {
  await page.evaluate(axeSource)
  const serious = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (n: Document) => Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run(document)
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`)
  })
  expect(serious).toEqual([])
}

test('the Agents screen keeps each idle agent’s last run, every line tagged with its issue', async ({ page }) => {
  test.setTimeout(120_000)
  await open(page, '/agents')
  const pm = page.locator('li.agent[data-agent="pm"]')
  await expect(pm.locator('[data-testid="last-run"]')).toContainText(/Last run: #\d+/, { timeout: 90_000 })
  await expect(pm.locator('.tail .l[data-issue]').first()).toBeVisible()
  await expect(pm.locator('.tail .tag').first()).toHaveText(/^#\d+$/)
  const architect = page.locator('li.agent[data-agent="architect"]')
  await expect(architect.locator('.tail .l[data-issue="1"]').first()).toContainText('reading')
  // A person hides it and shows it again.
  await architect.getByRole('button', { name: 'Hide output' }).click()
  await expect(architect.locator('.tail')).toHaveCount(0)
  await architect.getByRole('button', { name: 'Output' }).click()
  await expect(architect.locator('.tail')).toBeVisible()
  // A card's agent opens its output here, that agent focused.
  await open(page, '/pipeline')
  const link = page.locator('.board .issue[data-issue="3"] a.live').first()
  await expect(link).toHaveText('pm', { timeout: 30_000 })
  await link.click()
  await expect(page).toHaveURL(/#\/agents\/pm$/)
  await expect(page.locator('li.agent.focused[data-agent="pm"] .tail')).toBeVisible()
  await open(page, '/agents/architect')
  await expect(page.locator('li.agent.focused[data-agent="architect"]')).toBeVisible()
})

test('Settings → Notifications: a kind turned off stays off, the webhook shows only its host', async ({ page }) => {
  await open(page, '/settings')
  const section = page.locator('section[aria-labelledby="notify-h"]')
  await section.scrollIntoViewIfNeeded()
  await expect(section.getByRole('heading', { name: 'Notifications' })).toBeVisible()
  const review = section.getByRole('checkbox', { name: /A PR is ready for review/ })
  await expect(review).toBeChecked()
  await review.uncheck()
  await page.reload()
  await expect(page.locator('section[aria-labelledby="notify-h"]').getByRole('checkbox', { name: /A PR is ready for review/ })).not.toBeChecked()
  const again = page.locator('section[aria-labelledby="notify-h"]')
  await again.getByLabel('Webhook URL').fill(HOOK)
  await again.getByRole('button', { name: 'Save webhook' }).click()
  await expect(again.locator('[data-testid="webhook-set"]')).toContainText('hooks.slack.com')
  await expect(page.locator('body')).not.toContainText('e2eSecretPartOfTheUrl')
  await again.getByRole('checkbox', { name: /A PR is ready for review/ }).check()
})

for (const theme of ['light', 'dark'] as const) {
  test(`live output and notifications in the ${theme} theme`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: theme })
    await open(page, '/agents')
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    await expect(page.locator('li.agent[data-agent="pm"] [data-testid="last-run"]')).toBeVisible({ timeout: 60_000 })
    await page.screenshot({ path: `${shots}/agents-live-${theme}.png`, fullPage: true })
    await axe(page)
    await open(page, '/settings')
    const section = page.locator('section[aria-labelledby="notify-h"]')
    await section.scrollIntoViewIfNeeded()
    await expect(section.locator('[data-testid="webhook-set"]')).toBeVisible()
    await section.screenshot({ path: `${shots}/notifications-settings-${theme}.png` })
    await axe(page)
    await open(page, '/pipeline')
    await page.screenshot({ path: `${shots}/board-live-${theme}.png` })
  })
}
