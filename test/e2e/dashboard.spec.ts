// The dashboard as a person uses it, on a seeded data folder: the board and
// its filters, an issue's page, injection rendered inert, usage charts and
// CSV, the command palette, and an axe check of every screen in both themes.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
import { startSeededBaton, type SeededBaton } from './fixtures/serve'
import { XSS_ISSUE } from './fixtures/seed'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')

let baton: SeededBaton
test.beforeAll(async () => {
  baton = await startSeededBaton()
})
test.afterAll(async () => {
  await baton?.stop()
})

async function open(page: Page, hash = '/pipeline'): Promise<void> {
  await page.goto(baton.url)
  await page.evaluate((h) => (location.hash = h), hash)
}

const column = (page: Page, stage: string) => page.locator(`section.column[data-stage="${stage}"]`)
const card = (page: Page, stage: string, n: number) => column(page, stage).locator(`[data-issue="${n}"]`)

test('the board shows each issue in its stage with what is happening to it', async ({ page }) => {
  await open(page)
  await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
  await expect(card(page, 'needs-architecture', 3)).toHaveAttribute('data-activity', 'working')
  await expect(card(page, 'needs-architecture', 3)).toContainText('architect-1')
  await expect(card(page, 'in-progress', 5)).toHaveAttribute('data-activity', 'working')
  await expect(card(page, 'in-progress', 6)).toHaveAttribute('data-activity', 'queued')
  await expect(card(page, 'needs-testing', 7)).toHaveAttribute('data-activity', 'waiting')
  await expect(card(page, 'needs-testing', 7)).toContainText('Waiting for a person')
  await expect(card(page, 'in-progress', 12)).toHaveAttribute('data-activity', 'failed')
  await expect(card(page, 'in-progress', 12)).toContainText('timeout in bench/start.ts')
  await expect(card(page, 'needs-review', 8)).toContainText('PR #50')
  await expect(card(page, 'done', 9)).toHaveAttribute('data-activity', 'done')
  await expect(column(page, 'backlog').locator('.count')).toHaveText('4')
  // Elapsed time shows on active cards.
  await expect(card(page, 'in-progress', 5).locator('.since')).toHaveText(/\d+ min/)
})

test('search and filters narrow the board', async ({ page }) => {
  await open(page)
  await expect(page.locator('.board [data-issue]')).toHaveCount(15)
  await page.getByRole('searchbox').fill('upload')
  await expect(page.locator('.board [data-issue]')).toHaveCount(2)
  await expect(page.getByText('2 of 15 issues')).toBeVisible()
  await page.getByRole('searchbox').fill('#12')
  await expect(page.locator('.board [data-issue]')).toHaveCount(1)
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await page.getByLabel('Label').selectOption('bug')
  await expect(page.locator('.board [data-issue]')).toHaveCount(3)
  await page.getByLabel('Label').selectOption('')
  await page.getByLabel('Agent').selectOption('engineer-1')
  await expect(page.locator('.board [data-issue]')).toHaveCount(1)
  await expect(card(page, 'in-progress', 5)).toBeVisible()
  await page.getByLabel('Agent').selectOption('')
  await page.getByLabel('Repository').selectOption(String(baton.docsRepoId))
  await expect(page.locator('.board [data-issue]')).toHaveCount(2)
})

test('an issue page shows the body, the timeline with attempts, notes and spend', async ({ page }) => {
  await open(page)
  await card(page, 'needs-architecture', 3).click()
  await expect(page).toHaveURL(new RegExp(`#/issue/${baton.repoId}/3$`))
  await expect(page.getByRole('heading', { level: 1, name: 'Plan the plugin API' })).toBeVisible()
  await expect(page.getByText('Please keep the API small')).toBeVisible()
  // The seeded data folder has no signed-in account: a comment's marker alone never makes it a role's (issue #11).
  await expect(page.locator('.t-comment').first()).toContainText('baton-bot')
  await expect(page.locator('.t-comment').first()).not.toContainText('via Baton')
  // A stage move reads in words, with the stages' titles.
  await expect(page.getByText('from Backlog to Architecture')).toBeVisible()
  await page.getByText(/Attempt 1 · architect-1/).click()
  await expect(page.getByText('listing extension points')).toBeVisible()
  await expect(page.getByRole('region', { name: /Notes/ })).toContainText('src/plugins/registry.ts')
  await expect(page.getByRole('region', { name: 'Spent on this issue' })).toContainText('$')
  await expect(page.getByRole('link', { name: 'Open on GitHub' })).toHaveAttribute('href', 'http://127.0.0.1:9/acme/widgets/issues/3')
})

test('an issue body full of script and HTML injection renders inert', async ({ browser }) => {
  // Without the page's CSP, so the sanitizer alone must hold.
  const context = await browser.newContext({ bypassCSP: true })
  const page = await context.newPage()
  const dialogs: string[] = []
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message())
    await dialog.dismiss()
  })
  await page.goto(baton.url)
  await page.evaluate(([r, n]) => (location.hash = `/issue/${r}/${n}`), [baton.repoId, XSS_ISSUE])
  const body = page.getByRole('article', { name: 'Issue description' })
  await expect(body.getByText('Bold stays')).toBeVisible()
  await expect(page.getByText('here.')).toBeVisible() // the comment with an <img onerror>
  await page.waitForTimeout(300)
  const found = await page.evaluate(() => {
    const md = [...document.querySelectorAll('.md')]
    const all = md.flatMap((m) => [...m.querySelectorAll('*')])
    return {
      scripts: md.reduce((k, m) => k + m.querySelectorAll('script, iframe, svg, form, object, embed').length, 0),
      handlers: all.filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
      styles: all.filter((el) => el.hasAttribute('style')).length,
      jsLinks: all.filter((el) => /javascript:/i.test(el.getAttribute('href') ?? '')).length,
      safeLink: md.flatMap((m) => [...m.querySelectorAll('a[href^="https://github.com"]')]).map((a) => [a.getAttribute('target'), a.getAttribute('rel')])
    }
  })
  expect(found).toEqual({ scripts: 0, handlers: 0, styles: 0, jsLinks: 0, safeLink: [['_blank', 'noopener noreferrer nofollow']] })
  // The injected text is shown as text or dropped, never run.
  await body.getByText('click me').click()
  await page.waitForTimeout(200)
  expect(dialogs).toEqual([])
  expect(page.url()).toContain(`#/issue/${baton.repoId}/${XSS_ISSUE}`)
  await context.close()
})

test('usage shows charts and tables and exports CSV', async ({ page }) => {
  await open(page, '/usage')
  await expect(page.getByRole('heading', { level: 1, name: 'Usage' })).toBeVisible()
  await expect(page.getByRole('img', { name: 'Cost by day, 7d' })).toBeVisible()
  await expect(page.getByRole('img', { name: 'Tokens by agent, 7d' })).toBeVisible()
  const painted = await page.locator('canvas').first().evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray()
    let n = 0
    for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++
    return n
  })
  expect(painted).toBeGreaterThan(500)
  await expect(page.getByRole('region', { name: 'By agent' }).getByRole('row')).toHaveCount(6)
  await expect(page.getByText("Cache reads' share")).toBeVisible()
  await page.getByRole('radio', { name: '30d' }).click()
  await expect(page.getByRole('img', { name: 'Cost by day, 30d' })).toBeVisible()
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()])
  expect(download.suggestedFilename()).toMatch(/^baton-usage-30d-\d{4}-\d{2}-\d{2}\.csv$/)
  const csv = readFileSync((await download.path()) as string, 'utf8')
  expect(csv.split('\r\n')[0]).toBe('at,repo,issue,task_id,agent,provider,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd')
  expect(csv.trim().split('\r\n').length).toBe(51)
})

test('the inbox lists requests and failures with a count badge', async ({ page }) => {
  await open(page, '/inbox')
  await expect(page.getByRole('navigation', { name: 'Main' }).locator('.count')).toHaveText(/2/)
  await expect(page.locator('li.item')).toHaveCount(2)
  await expect(page.getByText('May I skip it on CI')).toBeVisible()
  await expect(page.getByRole('button', { name: 'Retry with this' })).toBeDisabled()
  await page.getByLabel('Your answer').fill('Yes, run it nightly.')
  await expect(page.getByRole('button', { name: 'Answer', exact: true })).toBeEnabled()
})

test('the command palette works by keyboard', async ({ page }) => {
  await open(page)
  await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
  await page.keyboard.press('Control+k')
  const palette = page.getByRole('dialog', { name: 'Command palette' })
  await expect(palette).toBeVisible()
  await page.keyboard.type('usage')
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { level: 1, name: 'Usage' })).toBeVisible()
  await expect(palette).toBeHidden()

  await page.keyboard.press('Control+k')
  await page.keyboard.type('#7')
  await expect(page.getByRole('option', { name: /#7 Flaky test/ })).toBeVisible()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { level: 1, name: 'Flaky test: upload resumes after restart' })).toBeVisible()

  await page.keyboard.press('Control+k')
  await page.keyboard.type('new issue')
  await page.keyboard.press('Enter')
  const dialog = page.getByRole('dialog', { name: 'New issue' })
  await expect(dialog).toBeVisible()
  await expect(page.getByLabel('Title')).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()

  const before = await page.locator('html').getAttribute('data-theme')
  await page.keyboard.press('Control+k')
  await page.keyboard.type('theme')
  await page.keyboard.press('Enter')
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', before ?? '')
  await page.evaluate(() => fetch('/api/settings.update', { method: 'POST', body: JSON.stringify({ theme: 'system' }) }))
})

test('the new issue dialog previews sanitized Markdown and keeps the text when creating fails', async ({ page }) => {
  await open(page)
  await page.getByRole('button', { name: 'New issue' }).click()
  await page.getByLabel('Title').fill('A new idea')
  await page.getByLabel('Description (Markdown)').fill('**bold** <img src=x onerror="alert(1)">')
  await page.getByRole('tab', { name: 'Preview' }).click()
  const preview = page.getByRole('tabpanel')
  await expect(preview.locator('strong')).toHaveText('bold')
  await expect(preview.locator('[onerror]')).toHaveCount(0)
  await page.getByRole('button', { name: 'Create issue' }).click()
  // Not signed in to GitHub: either an error or a kept draft; the text stays.
  await expect(page.getByRole('dialog', { name: 'New issue' }).getByRole('alert')).toBeVisible()
  await expect(page.getByLabel('Title')).toHaveValue('A new idea')
})

const screens = [
  { id: 'pipeline', heading: 'Pipeline' },
  { id: 'agents', heading: 'Agents' },
  { id: 'inbox', heading: 'Inbox' },
  { id: 'usage', heading: 'Usage' },
  { id: 'settings', heading: 'Settings' },
  { id: 'issue', heading: 'Plan the plugin API' },
  { id: 'issue-xss', heading: 'Injection attempt in the issue body' }
]

for (const theme of ['light', 'dark'] as const) {
  test(`every screen passes axe with no serious or critical violation (${theme})`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: theme })
    await page.goto(baton.url)
    const report: string[] = []
    for (const screen of screens) {
      const hash = screen.id === 'issue' ? `/issue/${baton.repoId}/3` : screen.id === 'issue-xss' ? `/issue/${baton.repoId}/${XSS_ISSUE}` : `/${screen.id}`
      await page.evaluate((h) => (location.hash = h), hash)
      await expect(page.getByRole('heading', { level: 1, name: screen.heading })).toBeVisible()
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
      await expect(page.locator('[aria-busy="true"]')).toHaveCount(0)
      await page.waitForTimeout(150)
      await page.screenshot({ path: `${shots}/dashboard-${screen.id}-${theme}.png` })
      await page.evaluate(axeSource)
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe
        const result = await axe.run(document, { resultTypes: ['violations'] })
        return result.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
      })
      for (const v of violations) report.push(`${screen.id}: ${v}`)
    }
    // Dialogs too: the palette and the new issue form.
    await page.evaluate(() => (location.hash = '/pipeline'))
    await page.keyboard.press('Control+k')
    await expect(page.getByRole('dialog', { name: 'Command palette' })).toBeVisible()
    await page.screenshot({ path: `${shots}/dashboard-palette-${theme}.png` })
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'New issue' }).click()
    await page.getByLabel('Title').fill('Add a changelog')
    await page.getByLabel('Description (Markdown)').fill('## Why\n\nPeople ask **what changed**. See [Keep a Changelog](https://keepachangelog.com).\n\n- one\n- two')
    await page.getByRole('tab', { name: 'Preview' }).click()
    await page.screenshot({ path: `${shots}/dashboard-new-issue-${theme}.png` })
    const dialogViolations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Element, opts: object) => Promise<{ violations: Array<{ id: string; impact: string }> }> } }).axe
      const result = await axe.run(document.querySelector('dialog[open]') as Element, { resultTypes: ['violations'] })
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)
    })
    for (const v of dialogViolations) report.push(`new-issue dialog: ${v}`)
    expect(report).toEqual([])
  })
}

test('usable at 1024 px wide', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 720 })
  await open(page)
  await expect(card(page, 'backlog', 1)).toBeVisible()
  await page.screenshot({ path: `${shots}/dashboard-pipeline-1024.png` })
  await page.evaluate((r) => (location.hash = `/issue/${r}/3`), baton.repoId)
  await expect(page.getByRole('heading', { level: 1, name: 'Plan the plugin API' })).toBeVisible()
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)
  expect(overflow).toBe(false)
  await page.screenshot({ path: `${shots}/dashboard-issue-1024.png` })
})
