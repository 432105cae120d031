// The issue page as a person uses it, in the sandbox (issue #13): comment and
// label from the page (checked on the forge, GitHub's side), close as not
// planned (the board shows it Closed) and reopen (back to a stage); the
// timeline names each stage once and speaks in words; code in the body is
// highlighted; axe in light and dark. The README's sandbox-issue.png is taken
// here, of the seeded issue the agents carried to review.
import { expect, test, type Page } from '@playwright/test'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SANDBOX_OWNER, SANDBOX_REPO, SANDBOX_TOKENS } from '../../src/forge/sandbox/index'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')
const STAGES = ['backlog', 'needs-architecture', 'ready-for-dev', 'in-progress', 'needs-testing', 'needs-review', 'done']

let baton: RunningBaton
let forge: string
const headers = { authorization: `token ${SANDBOX_TOKENS.alice}`, accept: 'application/vnd.github+json' }

async function github<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${forge}/api/v3/repos/${SANDBOX_OWNER}/${SANDBOX_REPO}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return (text ? JSON.parse(text) : null) as T
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
  })
}

const labelsOn = async (n: number) => (await github<{ labels: Array<{ name: string }> }>('GET', `/issues/${n}`)).labels.map((l) => l.name)

test.beforeAll(async () => {
  baton = await startBaton({ args: ['--sandbox'] })
  forge = `http://127.0.0.1:${readFileSync(join(baton.dataDir, 'sandbox-forge', 'port'), 'utf8').trim()}`
})
test.afterAll(async () => {
  await baton?.stop()
})
test.describe.configure({ mode: 'serial' })

let issueUrl = ''
let number = 0

test('comment and label from the issue page; code in the body is highlighted', async ({ page }) => {
  test.setTimeout(120_000)
  await page.setViewportSize({ width: 1440, height: 900 })
  const filed = await github<{ number: number }>('POST', '/issues', {
    title: 'Round half to even',
    body: 'Rounding should be banker\'s rounding:\n\n```js\nexport function round(x) {\n  return Math.round(x) // wrong for 2.5\n}\n```\n\n<span class="btn primary">not a button</span> <code class="dialog">x</code>\n'
  })
  number = filed.number
  await page.goto(baton.url)
  const card = page.locator(`.board [data-issue="${number}"] [data-card-link]`).first()
  await expect(card).toBeVisible({ timeout: 90_000 }).catch(async (e: unknown) => {
    await page.screenshot({ path: `${shots}/cockpit-issue-board-missing.png` })
    throw e
  })
  await card.click()
  await expect(page.getByRole('heading', { level: 1, name: 'Round half to even' })).toBeVisible()
  issueUrl = `${baton.origin}/${new URL(page.url()).hash}`
  // highlight.js marked the keyword and the comment; the sanitizer kept only its classes.
  const code = page.getByRole('article', { name: 'Issue description' }).locator('pre code.hljs.language-js')
  await expect(code.locator('.hljs-keyword').first()).toHaveText('export')
  await expect(code.locator('.hljs-comment')).toHaveText('// wrong for 2.5')
  // Issue text cannot borrow the app's classes: only highlight.js's pass the sanitizer.
  const description = page.getByRole('article', { name: 'Issue description' })
  expect(await description.getByText('not a button').getAttribute('class')).toBeNull()
  expect(await description.locator('code', { hasText: /^x$/ }).getAttribute('class')).toBeNull()

  await page.getByLabel('Add a comment').fill('Python rounds 2.5 to 2; we should too.')
  await page.getByRole('button', { name: 'Comment', exact: true }).click()
  await expect(page.getByText(`Commented on #${number}`, { exact: true })).toBeVisible()
  await expect(page.locator('.timeline .comment', { hasText: 'Python rounds 2.5 to 2' })).toBeVisible()
  // Shown as the person's own (no role, no "via Baton"), and posted once on GitHub.
  await expect(page.locator('.timeline .comment', { hasText: 'Python rounds 2.5 to 2' })).not.toContainText('via Baton')
  const comments = await github<Array<{ body: string }>>('GET', `/issues/${number}/comments`)
  expect(comments.filter((c) => c.body.startsWith('Python rounds 2.5 to 2'))).toHaveLength(1)
  await expect(page.getByLabel('Add a comment')).toHaveValue('')

  await page.getByLabel('Add a label').fill('docs')
  await page.getByRole('button', { name: 'Add', exact: true }).click()
  await expect(page.getByRole('button', { name: 'Remove label docs' })).toBeVisible()
  expect(await labelsOn(number)).toContain('docs')
  await page.getByRole('button', { name: 'Remove label docs' }).click()
  await expect(page.getByRole('button', { name: 'Remove label docs' })).toHaveCount(0)
  expect(await labelsOn(number)).not.toContain('docs')
  await page.screenshot({ path: `${shots}/cockpit-issue-actions.png`, fullPage: true })
})

test('close as not planned: the board shows it Closed; reopen: back in a stage', async ({ page }) => {
  test.setTimeout(120_000)
  await page.setViewportSize({ width: 1440, height: 900 })
  // A new page signs in through the printed address first (its token), then goes to the issue.
  await page.goto(baton.url)
  await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
  await page.goto(issueUrl)
  await page.getByRole('button', { name: 'Close as not planned' }).click()
  await expect(page.getByText(`Closed #${number} as not planned`, { exact: true })).toBeVisible()
  const there = await github<{ state: string; state_reason: string }>('GET', `/issues/${number}`)
  expect([there.state, there.state_reason]).toEqual(['closed', 'not_planned'])
  await expect(page.getByRole('button', { name: 'Reopen' })).toBeVisible()

  await page.goto(baton.origin + '/#/pipeline')
  const closedColumn = page.locator('section.column').filter({ has: page.getByRole('heading', { name: 'Closed' }) })
  await expect(closedColumn.locator(`[data-issue="${number}"]`)).toBeVisible({ timeout: 20_000 })

  await page.goto(issueUrl)
  await page.getByRole('button', { name: 'Reopen' }).click()
  await expect(page.getByText(`Reopened #${number}`, { exact: true })).toBeVisible()
  expect((await github<{ state: string }>('GET', `/issues/${number}`)).state).toBe('open')
  await page.goto(baton.origin + '/#/pipeline')
  await expect(closedColumn.locator(`[data-issue="${number}"]`)).toHaveCount(0, { timeout: 20_000 })
  const back = page.locator(STAGES.map((s) => `section[data-stage="${s}"] [data-issue="${number}"]`).join(', '))
  await expect(back.first()).toBeVisible({ timeout: 20_000 })
})

test('the timeline names each stage once and speaks in words (the seeded issue in review); light and dark with axe', async ({ page }) => {
  test.setTimeout(180_000)
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(baton.url)
  const review = page.locator('section[data-stage="needs-review"] [data-issue="1"]').first()
  await expect(review).toBeVisible({ timeout: 120_000 })
  await review.locator('[data-card-link]').first().click()
  await expect(page.getByRole('heading', { level: 1, name: /power/i })).toBeVisible()
  const events = page.locator('.timeline .event')
  await expect(events.first()).toBeVisible()
  const kinds = await events.locator('.kind').allTextContents()
  for (const k of kinds) expect(k, 'an audit kind shown as is').not.toMatch(/^[a-z]+\.[a-z._-]+$/)
  // Each visit of a stage is named once: no move repeated, and a task card does not name the stage its move named.
  const moves = (await events.allTextContents()).filter((t) => t.startsWith('Moved'))
  expect(moves.length).toBeGreaterThan(1)
  for (let i = 1; i < moves.length; i++) expect(moves[i]!.replace(/\d+\s*\w+ ago$/, ''), 'the same move twice in a row').not.toBe(moves[i - 1]!.replace(/\d+\s*\w+ ago$/, ''))
  const stageNames = await page.locator('.timeline li').evaluateAll((lis) =>
    lis.map((li) => (li.querySelector('.event .kind')?.textContent === 'Moved' ? `move:${/to (.+?)(?: ·|$)/.exec(li.querySelector('.event span:nth-child(2)')?.textContent ?? '')?.[1] ?? ''}` : li.querySelector('.task .c-head .muted')?.textContent ?? ''))
  )
  let current = ''
  for (const s of stageNames) {
    if (s.startsWith('move:')) current = s.slice(5)
    else if (s) expect(s, 'a task card repeating the stage its move named').not.toBe(current)
  }
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme })
    await page.reload()
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    await expect(page.getByRole('heading', { level: 1, name: /power/i })).toBeVisible()
    await page.waitForTimeout(300)
    expect(await seriousViolations(page), theme).toEqual([])
    await page.screenshot({ path: `${shots}/cockpit-issue-${theme}.png`, fullPage: true })
  }
  await page.emulateMedia({ colorScheme: 'light' })
  await page.reload()
  await expect(page.getByRole('heading', { level: 1, name: /power/i })).toBeVisible()
  await page.waitForTimeout(300)
  await page.screenshot({ path: `${shots}/sandbox-issue.png` })
  copyFileSync(`${shots}/sandbox-issue.png`, 'docs/screenshots/sandbox-issue.png')
})
