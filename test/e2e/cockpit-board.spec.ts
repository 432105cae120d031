// The board as the person's cockpit (issue #13), driven as a person would:
// every stage in view at 1440 px, the sidebar collapsed at 1024, a "Needs you"
// lane with what to do on each card (Review PR #n, an answer, a Retry), j/k
// between cards, Enter opens one, c writes a new issue; Stop and Retry from the card;
// axe in both themes at both widths. Then the sandbox, with real agents and
// the forge: approve an outsider's issue from its card, answer an agent's
// question inline, and unblock a card by merging the PR it names.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
import { startSeededBaton, type SeededBaton } from './fixtures/serve'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')
const STAGES = ['backlog', 'needs-architecture', 'ready-for-dev', 'in-progress', 'needs-testing', 'needs-review', 'done']

async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
  })
}

test.describe('the seeded board', () => {
  let baton: SeededBaton
  test.beforeAll(async () => {
    baton = await startSeededBaton()
  })
  test.afterAll(async () => {
    await baton?.stop()
  })
  test.describe.configure({ mode: 'serial' })

  const open = async (page: Page, width: number) => {
    await page.setViewportSize({ width, height: 900 })
    await page.goto(baton.url)
    await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
    await expect(page.locator('.board [data-issue]').first()).toBeVisible()
  }
  const lane = (page: Page) => page.locator('[data-lane="needs-you"]')

  test('at 1440 px every stage is in view without scrolling sideways; Needs you says what to do', async ({ page }) => {
    await open(page, 1440)
    for (const stage of STAGES) {
      const box = await page.locator(`section.column[data-stage="${stage}"]`).boundingBox()
      expect(box, stage).not.toBeNull()
      expect(box!.x + box!.width, `${stage}'s right edge`).toBeLessThanOrEqual(1440)
    }
    expect(await page.locator('.board').evaluate((b) => b.scrollWidth <= b.clientWidth)).toBe(true)
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    // The review card says what to do, not "Idle"; the question and the failure are there too.
    const review = lane(page).locator('[data-issue="8"]')
    await expect(review).toHaveAttribute('data-needs', 'review')
    await expect(review).toContainText(/Review (PR #\d+|it)/)
    await expect(review).not.toContainText('Idle')
    await expect(lane(page).locator('[data-issue="7"]')).toHaveAttribute('data-needs', 'answer')
    await expect(lane(page).locator('[data-issue="12"]')).toHaveAttribute('data-needs', 'retry')
    // A card that only works is not in the lane.
    await expect(lane(page).locator('[data-activity="working"]')).toHaveCount(0)
  })

  test('j/k move a visible focus ring between cards, Enter opens the focused one, c writes a new issue', async ({ page }) => {
    await open(page, 1440)
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('j')
    const links = page.locator('[data-card-link]')
    await expect(links.nth(0)).toBeFocused()
    await page.keyboard.press('j')
    await expect(links.nth(1)).toBeFocused()
    await page.keyboard.press('k')
    await expect(links.nth(0)).toBeFocused()
    // The ring is the card's: its shadow is drawn while its link has the focus.
    const shadow = await page.locator('.issue:has([data-card-link]:focus-visible)').first().evaluate((el) => getComputedStyle(el).boxShadow)
    expect(shadow).not.toBe('none')
    await page.locator('.needs').screenshot({ path: `${shots}/cockpit-focus.png` })
    const href = await links.nth(0).getAttribute('href')
    await page.keyboard.press('Enter')
    await expect(page).toHaveURL(new RegExp(`${href!.replace(/[/#]/g, (c) => `\\${c}`)}$`))
    await page.goBack()
    await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('c')
    await expect(page.getByRole('dialog')).toBeVisible()
    await expect(page.getByLabel('Title')).toBeVisible()
    await page.keyboard.press('Escape')
  })

  for (const theme of ['light', 'dark'] as const) {
    for (const width of [1024, 1440]) {
      test(`${theme}, ${width} px: no serious axe violation${width === 1024 ? ', the sidebar collapsed' : ''}`, async ({ page }) => {
        await page.emulateMedia({ colorScheme: theme })
        await open(page, width)
        await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
        const sidebar = await page.locator('nav.sidebar').boundingBox()
        if (width === 1024) expect(sidebar!.width).toBeLessThan(80)
        else expect(sidebar!.width).toBeGreaterThan(200)
        // The collapsed sidebar keeps its names for screen readers.
        await expect(page.getByRole('link', { name: /Inbox/ })).toBeVisible()
        await page.waitForTimeout(150)
        await page.screenshot({ path: `${shots}/cockpit-board-${theme}-${width}.png` })
        expect(await seriousViolations(page)).toEqual([])
      })
    }
  }

  test('Stop on a working card stops its task; the card then offers Retry', async ({ page }) => {
    await open(page, 1440)
    const working = page.locator('.board .issue[data-issue="5"][data-activity="working"]')
    await working.getByRole('button', { name: 'Stop #5' }).click()
    await expect(page.getByText('Stopped #5')).toBeVisible()
    const stopped = lane(page).locator('[data-issue="5"]')
    await expect(stopped).toHaveAttribute('data-needs', 'retry')
    await expect(stopped).toContainText(/stopped by .*Retry runs it again/)
    await expect(stopped.getByRole('button', { name: 'Retry #5' })).toBeVisible()
  })

  // Last: a Retry lets the engine run the seeded issues (they fail without a GitHub here).
  test('Retry on a failed card queues its stage again', async ({ page }) => {
    await open(page, 1440)
    const failed = lane(page).locator('[data-issue="12"]')
    await failed.getByRole('button', { name: 'Retry #12' }).click()
    await expect(page.getByText('Retrying #12')).toBeVisible()
    await expect(lane(page).locator('[data-issue="12"]')).toHaveCount(0)
    // Queued again (and maybe already running: the seeded core has no GitHub, so it fails again later, within its new budget).
    await expect(page.locator('.board [data-issue="12"]')).toHaveAttribute('data-activity', /queued|working/)
  })
})

test.describe('the sandbox', () => {
  let baton: RunningBaton
  test.beforeAll(async () => {
    baton = await startBaton({ args: ['--sandbox'] })
  })
  test.afterAll(async () => {
    await baton?.stop()
  })
  test.describe.configure({ mode: 'serial' })

  test("approve an outsider's issue from its card; unblock a card by merging the PR it names", async ({ page }) => {
    test.setTimeout(240_000)
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.goto(baton.url)
    const lane = page.locator('[data-lane="needs-you"]')
    // The outsider's issue waits for a maintainer: Approve on its card adds the label.
    const outsider = lane.locator('[data-needs="approve"]').first()
    await expect(outsider).toBeVisible({ timeout: 90_000 })
    const number = await outsider.getAttribute('data-issue')
    // The review is in the lane with what to do, and a card held by the one-PR rule names that PR.
    await expect(lane.locator('[data-needs="review"]').first()).toContainText(/Review PR #\d+/, { timeout: 90_000 })
    const held = page.locator('.board .issue', { hasText: /Waits for PR #\d+/ }).first()
    await expect(held).toBeVisible({ timeout: 60_000 })
    await page.waitForTimeout(300)
    await page.screenshot({ path: `${shots}/sandbox-board.png` })

    await outsider.getByRole('button', { name: `Approve #${number}` }).click()
    await expect(page.getByText(`Approved #${number}`)).toBeVisible()
    await expect(lane.locator(`[data-issue="${number}"][data-needs="approve"]`)).toHaveCount(0, { timeout: 30_000 })
    await page.locator(`.board [data-issue="${number}"] [data-card-link]`).first().click()
    await expect(page.locator('main')).toContainText('approved', { timeout: 15_000 })
    await page.goBack()

    // An agent's question is answered on its card, inline.
    const asked = lane.locator('[data-needs="answer"]').first()
    await expect(asked).toBeVisible({ timeout: 30_000 })
    const askedNumber = await asked.getAttribute('data-issue')
    await asked.getByRole('button', { name: 'Answer…' }).click()
    await asked.getByLabel(`Your answer to #${askedNumber}`).fill('Make the error message name the bad input, with a test.')
    await asked.getByRole('button', { name: 'Send' }).click()
    await expect(page.getByText(`Answered #${askedNumber}`)).toBeVisible()
    await expect(lane.locator(`[data-issue="${askedNumber}"][data-needs="answer"]`)).toHaveCount(0, { timeout: 30_000 })

    // The held card links the PR holding the slot; merging it lets the card go on.
    const heldNumber = await held.getAttribute('data-issue')
    const prLink = held.getByRole('link', { name: /PR #\d+/ })
    const pr = (await prLink.textContent())!.replace(/\D/g, '')
    await prLink.click()
    await expect(page).toHaveURL(new RegExp(`#/pr/\\d+/${pr}$`))
    await page.getByRole('button', { name: /Approve & merge/ }).click()
    await page.getByRole('button', { name: /^Merge/ }).last().click()
    await expect(page.getByText(/merged/i).first()).toBeVisible({ timeout: 30_000 })
    await page.goto(baton.origin + '/#/pipeline')
    await expect(page.locator(`.board .issue[data-issue="${heldNumber}"]`).first()).not.toContainText(/Waits for PR #/, { timeout: 60_000 })
  })
})

