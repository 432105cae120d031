// The sandbox end to end, as a person uses it: open the dashboard, watch the
// agents carry the seeded issues, create an issue, read the PR's diff, merge
// it, see it done; answer a REQUEST and see the agent continue; an issue body
// full of script and HTML renders inert.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SANDBOX_OWNER, SANDBOX_TOKENS } from '../../src/forge/sandbox/index'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })

let baton: RunningBaton
test.beforeAll(async () => {
  baton = await startBaton({ args: ['--sandbox'] })
})
test.afterAll(async () => {
  await baton?.stop()
})

/** Posts a commit status on the open PR's head, through the sandbox forge's API, as a CI system would. */
async function reportStatus(page: Page, context: string, state: 'success' | 'failure' | 'pending', description: string): Promise<void> {
  const port = readFileSync(join(baton.dataDir, 'sandbox-forge', 'port'), 'utf8').trim()
  const api = `http://127.0.0.1:${port}/api/v3/repos/${SANDBOX_OWNER}/calc`
  const headers = { authorization: `token ${SANDBOX_TOKENS.alice}`, accept: 'application/vnd.github+json' }
  const number = /#\/pr\/\d+\/(\d+)/.exec(page.url())?.[1]
  const pull = (await (await fetch(`${api}/pulls/${number}`, { headers })).json()) as { head: { sha: string } }
  const res = await fetch(`${api}/statuses/${pull.head.sha}`, { method: 'POST', headers, body: JSON.stringify({ state, context, description }) })
  expect(res.status).toBe(201)
}

const card = (page: Page, stage: string, issue: number) => page.locator(`section[data-stage="${stage}"] [data-issue="${issue}"]`)

test.describe.configure({ mode: 'serial' })

test('the agents carry the seeded issues; a person reads the diff and merges; the issue is done', async ({ page }) => {
  test.setTimeout(180_000)
  await page.goto(baton.url)
  await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
  await expect(card(page, 'needs-review', 1)).toBeVisible({ timeout: 90_000 })
  await expect(page.locator('.board [data-issue="5"]')).toContainText(/blocked by #1/i)
  await expect(page.locator('.board [data-issue="4"]')).toContainText(/approve/i)
  await page.screenshot({ path: `${shots}/sandbox-board.png` })

  await card(page, 'needs-review', 1).click()
  await expect(page.getByRole('heading', { level: 1, name: /power/i })).toBeVisible()
  await page.screenshot({ path: `${shots}/sandbox-issue.png`, fullPage: true })
  await page.getByRole('link', { name: /Review PR #/ }).first().click()
  await expect(page.getByText('src/calc.js').first()).toBeVisible()
  await expect(page.locator('.d2h-file-wrapper').first()).toBeVisible()
  // The Tester's verdict is on the head commit (baton/tester); a CI system reports there too: the review shows both.
  await expect(page.getByRole('region', { name: 'Checks' }).getByText('baton/tester')).toBeVisible()
  await expect(page.locator('.status .badge', { hasText: '1 check passed' })).toBeVisible()
  await reportStatus(page, 'ci/test', 'success', '14 tests passed')
  await page.getByRole('button', { name: 'Refresh checks' }).click()
  await expect(page.locator('.status .badge', { hasText: '2 checks passed' })).toBeVisible({ timeout: 20_000 })
  await expect(page.getByRole('region', { name: 'Checks' }).getByText('14 tests passed')).toBeVisible()
  // The app scrolls inside its own pane: a tall window shows the whole review.
  await page.setViewportSize({ width: 1280, height: 1500 })
  await page.screenshot({ path: `${shots}/sandbox-pr.png` })
  await page.setViewportSize({ width: 1280, height: 800 })
  await page.getByRole('button', { name: /Approve & merge/ }).click()
  await page.getByRole('button', { name: /^Merge$/ }).click()
  await expect(page.getByText(/merged/i).first()).toBeVisible({ timeout: 30_000 })

  await page.goto(baton.origin + '/#/pipeline')
  await expect(card(page, 'done', 1)).toBeVisible({ timeout: 30_000 })
  await page.screenshot({ path: `${shots}/sandbox-done.png` })

  // Every agent instance is a real process with a pid.
  await page.goto(baton.origin + '/#/agents')
  for (const name of ['pm', 'architect', 'engineer', 'engineer-2', 'tester', 'marketing', 'community']) {
    await expect(page.getByText(name, { exact: true }).first()).toBeVisible()
  }
  await page.screenshot({ path: `${shots}/sandbox-agents.png`, fullPage: true })
})

test('a person answers a REQUEST in the inbox and the agent continues', async ({ page }) => {
  test.setTimeout(120_000)
  await page.goto(baton.url) // each test is a new browser: sign in with the printed address
  await page.goto(baton.origin + '/#/inbox')
  await expect(page.getByText(/too thin/i).first()).toBeVisible({ timeout: 60_000 })
  await page.screenshot({ path: `${shots}/sandbox-inbox.png` })
  const answer = page.getByPlaceholder('Answer the agent…').first()
  await answer.fill('Make `countWords` ignore punctuation: "a, b!" should count 2 words. Acceptance: countWords("a, b!") === 2, and the existing tests keep passing.')
  await page.getByRole('button', { name: 'Answer' }).first().click()
  await page.goto(baton.origin + '/#/pipeline')
  // The PM asked about #3; with the answer it triages and hands the issue on.
  await expect(page.locator('section[data-stage="needs-architecture"] [data-issue="3"], section[data-stage="ready-for-dev"] [data-issue="3"]')).toBeVisible({
    timeout: 60_000
  })
})

test('a person creates an issue; an issue body full of script and HTML renders inert', async ({ page }) => {
  test.setTimeout(120_000)
  const dialogs: string[] = []
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })
  await page.goto(baton.url)
  await page.getByRole('button', { name: /New issue/ }).click()
  await page.getByLabel('Title').fill('Render me safely')
  await page
    .locator('#ni-body')
    .fill(
      'Hello <script>alert("xss")</script> <img src=x onerror="alert(1)"> <iframe src="javascript:alert(2)"></iframe> [click](javascript:alert(3)) <a href="javascript:alert(4)">a</a> <svg onload="alert(5)"></svg>\n\nIt should say hello to everyone who opens the calculator, in the README, with a test.'
    )
  await page.getByRole('button', { name: 'Create issue' }).click()
  // Created on GitHub, the new issue opens; the agents have already started on it.
  await expect(page.getByRole('heading', { level: 1, name: 'Render me safely' })).toBeVisible({ timeout: 30_000 })
  await expect(page.getByText(/Triaged #\d+/).first()).toBeVisible({ timeout: 30_000 })
  await page.waitForTimeout(500)
  const body = page.locator('main')
  expect(await body.locator('script').count()).toBe(0)
  expect(await body.locator('iframe').count()).toBe(0)
  expect(await body.locator('[onerror], [onload]').count()).toBe(0)
  expect(await body.locator('a[href^="javascript:"]').count()).toBe(0)
  expect(dialogs).toEqual([])
  await page.screenshot({ path: `${shots}/sandbox-injection.png`, fullPage: true })
})
