// The PR review as a person uses it, in the sandbox (issue 13): a PR holding a
// 5,000-character line keeps the sidebar and its buttons in the window at
// 1024 and 1440 px; the description and commits are shown; a line comment is
// written at the line in the diff and reaches GitHub with its path and line;
// merging with a failing check asks first and names it; a merged PR and a
// closed one say so and offer no merge; axe in light and dark.
import { expect, test, type Page } from '@playwright/test'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { SANDBOX_OWNER, SANDBOX_REPO, SANDBOX_TOKENS } from '../../src/forge/sandbox/index'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')
const LONG = 'x'.repeat(5_000)

let baton: RunningBaton
let forge: string
let work: string
let repoId: number | undefined

const headers = { authorization: `token ${SANDBOX_TOKENS.alice}`, accept: 'application/vnd.github+json' }
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }

function git(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-c', 'user.name=Alice Developer', '-c', 'user.email=alice@sandbox.baton.local', ...args], { cwd, env: gitEnv, encoding: 'utf8' }, (error, stdout, stderr) =>
      error ? reject(new Error(`git ${args.join(' ')}: ${stderr}`)) : resolve(stdout)
    )
  })
}

async function github<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${forge}/api/v3/repos/${SANDBOX_OWNER}/${SANDBOX_REPO}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return (text ? JSON.parse(text) : null) as T
}

/** Alice pushes a branch of commits from main (as a person would, over git) and opens a PR on it. */
async function openPull(branch: string, title: string, body: string, commits: Array<{ message: string; files: Record<string, string> }>): Promise<{ number: number; sha: string }> {
  await git(work, 'fetch', '-q', 'origin')
  await git(work, 'checkout', '-q', '-B', branch, 'origin/main')
  for (const c of commits) {
    for (const [path, content] of Object.entries(c.files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true })
      writeFileSync(join(work, path), content)
    }
    await git(work, 'add', '-A')
    await git(work, 'commit', '-q', '-m', c.message)
  }
  await git(work, 'push', '-q', 'origin', `${branch}:${branch}`)
  const pr = await github<{ number: number; head: { sha: string } }>('POST', '/pulls', { title, body, head: branch, base: 'main' })
  return { number: pr.number, sha: pr.head.sha }
}

const status = (sha: string, context: string, state: 'success' | 'failure' | 'pending', description: string) =>
  github('POST', `/statuses/${sha}`, { state, context, description })

async function review(page: Page, number: number): Promise<void> {
  await page.goto(baton.url)
  // The sandbox repository's id, as the app's own API names it.
  repoId ??= await page.evaluate(async (name) => {
    const res = await fetch('/api/repos.list', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}', credentials: 'same-origin' })
    const result = (await res.json()) as { ok: boolean; data: Array<{ id: number; name: string }> }
    return result.data.find((r) => r.name === name)!.id
  }, SANDBOX_REPO)
  await page.evaluate(([r, n]) => (location.hash = `/pr/${r}/${n}`), [repoId, number])
  await expect(page.locator('.d2h-file-wrapper').first()).toBeVisible({ timeout: 20_000 })
}

/** Where the sidebar, the merge button and its label sit, and whether anything scrolls the page sideways. */
function layout(page: Page) {
  return page.evaluate(() => {
    const aside = document.querySelector('aside.side')!
    const side = aside.getBoundingClientRect()
    const button = [...document.querySelectorAll('button')].find((b) => /Approve & merge/.test(b.textContent ?? ''))!
    const label = document.createRange()
    label.selectNodeContents(button)
    const text = label.getBoundingClientRect()
    const box = button.getBoundingClientRect()
    const main = document.querySelector('main')!
    const diffs = [...document.querySelectorAll<HTMLElement>('.d2h-file-diff, .d2h-file-side-diff')]
    return {
      width: window.innerWidth,
      sideRight: side.right,
      sideWidth: side.width,
      // Nothing inside the sidebar is wider than it (a long check description wraps).
      sideOverflows: aside.scrollWidth > aside.clientWidth + 1 || [...aside.querySelectorAll('*')].some((e) => e.getBoundingClientRect().right > side.right + 1),
      buttonRight: box.right,
      // The label is inside the button and inside the window.
      labelInside: text.left >= box.left - 0.5 && text.right <= box.right + 0.5 && text.right <= window.innerWidth && text.width > 40,
      pageScrolls: document.documentElement.scrollWidth > window.innerWidth || main.scrollWidth > main.clientWidth + 1,
      diffScrolls: diffs.some((d) => d.scrollWidth > d.clientWidth)
    }
  })
}

async function axe(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const run = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe
    const result = await run.run(document, { resultTypes: ['violations'] })
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
  })
}

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  baton = await startBaton({ args: ['--sandbox'] })
  forge = `http://127.0.0.1:${readFileSync(join(baton.dataDir, 'sandbox-forge', 'port'), 'utf8').trim()}`
  work = join(mkdtempSync(join(tmpdir(), 'baton-cockpit-')), 'calc')
  const url = new URL(`${forge}/${SANDBOX_OWNER}/${SANDBOX_REPO}.git`)
  url.username = 'x-access-token'
  url.password = SANDBOX_TOKENS.alice
  await git(tmpdir(), 'clone', '-q', url.href, work)
})
test.afterAll(async () => {
  await baton?.stop()
  if (work) rmSync(dirname(work), { recursive: true, force: true })
})

test('a 5,000-character line scrolls in its own pane: the sidebar and the merge button stay in the window at 1024 and 1440 px', async ({ page }) => {
  const { number, sha } = await openPull('long-line', 'A table on one line', `A generated table.\n\n${LONG}\n\n\`\`\`\n${LONG}\n\`\`\``, [
    { message: `Add the table ${LONG}`, files: { 'src/table.js': `export const table = '${LONG}'\n` } }
  ])
  await status(sha, 'ci/test', 'failure', `3 of 14 tests failed ${'y'.repeat(100)}`)
  await review(page, number)
  for (const [width, height] of [
    [1440, 900],
    [1024, 768]
  ] as const) {
    await page.setViewportSize({ width, height })
    await page.waitForTimeout(200)
    await page.screenshot({ path: `${shots}/cockpit-pr-long-${width}.png` })
    const at = await layout(page)
    expect(at.sideRight, `the sidebar's right edge at ${width} px`).toBeLessThanOrEqual(width)
    expect(at.buttonRight).toBeLessThanOrEqual(width)
    expect(at.sideOverflows, `something in the sidebar is wider than it at ${width} px`).toBe(false)
    expect(at.labelInside, `the merge button's label at ${width} px`).toBe(true)
    expect(at.pageScrolls, JSON.stringify(at)).toBe(false)
    expect(at.diffScrolls, 'the long line scrolls inside the diff').toBe(true)
    await expect(page.getByRole('button', { name: /Approve & merge/ })).toBeInViewport()
  }
})

const gutter = (page: Page, path: string, line: number) => page.locator(`.d2h-file-wrapper[data-path="${path}"] button.bt-add[data-line="${line}"]`)

test('a review with line comments written in the diff reaches GitHub with their paths and lines; the description and commits are shown', async ({ page }) => {
  const greet = ['// Greetings.', '', 'export function greet(name) {', "  return 'Hello, ' + name", '}', ''].join('\n')
  const { number } = await openPull('greeting', 'Add a greeting', 'Adds `greet(name)`.\n\n- **why**: the README promises one', [
    { message: 'Add greet', files: { 'src/greet.js': greet } },
    { message: 'Export greet\n\nSo the README example runs.', files: { 'src/index.js': "export { add, subtract, multiply, divide } from './calc.js'\nexport { capitalize, reverse, countWords } from './strings.js'\nexport { greet } from './greet.js'\n" } }
  ])
  await review(page, number)
  const description = page.getByRole('region', { name: 'Description' })
  await expect(description.locator('code', { hasText: 'greet(name)' })).toBeVisible()
  await expect(description.locator('strong', { hasText: 'why' })).toBeVisible()
  const commits = page.getByRole('region', { name: /^Commits/ })
  await expect(commits).toContainText('Commits (2)')
  await expect(commits.locator('li .title')).toHaveText(['Add greet', 'Export greet'])
  await expect(commits.locator('li').first()).toContainText('alice')

  // A click on line 3's number opens the editor under that very line.
  await page.locator('.d2h-file-wrapper[data-path="src/greet.js"] .d2h-code-linenumber', { has: page.locator('button.bt-add[data-line="3"]') }).locator('.line-num2').click()
  const editor = page.getByRole('textbox', { name: 'Comment on line 3' })
  await expect(editor).toBeFocused()
  const row = await page.evaluate(() => {
    const r = document.querySelector('.bt-row')!
    return { previousLine: r.previousElementSibling?.querySelector('.line-num2')?.textContent?.trim(), inFile: r.closest<HTMLElement>('.d2h-file-wrapper')?.dataset.path }
  })
  expect(row).toEqual({ previousLine: '3', inFile: 'src/greet.js' })
  await editor.fill('Say what name is: a string?')
  await page.getByRole('button', { name: 'Add to review' }).click()
  await expect(page.getByRole('note', { name: 'Line comment on src/greet.js line 3' })).toContainText('Say what name is')
  // By keyboard: Tab reaches line 4's +, Enter opens its editor.
  await gutter(page, 'src/greet.js', 4).focus()
  await page.keyboard.press('Enter')
  await page.keyboard.type('Template literal reads better')
  await page.keyboard.press('Control+Enter')
  await expect(page.getByRole('note', { name: 'Line comment on src/greet.js line 4' })).toBeVisible()
  // The split view keeps them at their lines.
  await page.getByRole('radio', { name: 'Split' }).click()
  await expect(page.getByRole('note', { name: 'Line comment on src/greet.js line 4' })).toBeVisible()
  await page.screenshot({ path: `${shots}/cockpit-pr-comments-split.png` })
  await page.getByRole('radio', { name: 'Unified' }).click()
  await page.getByRole('region', { name: 'Request changes' }).getByLabel('What should change').fill('Two small things, see the lines.')
  await page.getByRole('button', { name: 'Request changes (2 line comments)' }).click()
  await expect(page.getByText('Changes requested').first()).toBeVisible({ timeout: 20_000 })
  const onGitHub = await github<Array<{ path: string; line: number; body: string }>>('GET', `/pulls/${number}/comments`)
  expect(onGitHub.map((c) => [c.path, c.line, c.body])).toEqual([
    ['src/greet.js', 3, 'Say what name is: a string?'],
    ['src/greet.js', 4, 'Template literal reads better']
  ])
  const reviews = await github<Array<{ state: string; body: string }>>('GET', `/pulls/${number}/reviews`)
  expect(reviews.map((r) => r.state)).toEqual(['CHANGES_REQUESTED'])
})

test('merging with a failing check asks first and names it; by keyboard; the merged PR reads merged, a closed one closed', async ({ page }) => {
  const { number, sha } = await openPull('failing', 'Round the results', 'Rounds to 2 places.', [{ message: 'Round', files: { 'src/round.js': 'export const round = (x) => Math.round(x * 100) / 100\n' } }])
  await status(sha, 'ci/test', 'failure', '2 of 14 tests failed')
  await status(sha, 'ci/lint', 'success', 'clean')
  await review(page, number)
  await expect(page.locator('.status .badge', { hasText: '1 of 2 checks failing' })).toBeVisible()
  const approve = page.getByRole('button', { name: /Approve & merge/ })
  await approve.click()
  const dialog = page.getByRole('dialog', { name: `Merge #${number} with failing checks?` })
  await expect(dialog).toBeVisible()
  await expect(dialog.getByRole('listitem')).toHaveCount(1)
  await expect(dialog.getByRole('listitem')).toContainText('ci/test')
  await expect(dialog.getByRole('listitem')).toContainText('failed')
  await expect(dialog.getByRole('listitem')).toContainText('2 of 14 tests failed')
  // Cancel has the focus; Escape closes the question and focus returns to the button.
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused()
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await expect(approve).toBeFocused()
  expect((await github<{ merged: boolean }>('GET', `/pulls/${number}`)).merged).toBe(false)
  await page.keyboard.press('Enter')
  await expect(dialog).toBeVisible()
  await page.keyboard.press('Tab')
  await expect(dialog.getByRole('button', { name: 'Merge anyway' })).toBeFocused()
  await page.screenshot({ path: `${shots}/cockpit-pr-merge-failing.png` })
  await page.keyboard.press('Enter')
  const merged = page.getByRole('region', { name: 'Merged' })
  await expect(merged).toContainText('Merged by maintainer', { timeout: 30_000 })
  expect((await github<{ merged: boolean; merged_by: { login: string } }>('GET', `/pulls/${number}`)).merged_by.login).toBe('maintainer')
  // Read afresh, it still says merged, and offers no merge.
  await page.reload()
  await expect(page.getByRole('region', { name: 'Merged' })).toContainText(/Merged by maintainer into main, (just now|\d+ (s|sec|min))/)
  await expect(page.locator('.status .badge').first()).toHaveText('Merged')
  await expect(page.getByRole('button', { name: /Approve & merge/ })).toHaveCount(0)
  await expect(page.getByText('Mergeability being checked')).toHaveCount(0)
  // Nothing to send a line comment with any more: the diff offers none.
  await expect(page.locator('button.bt-add')).toHaveCount(0)
  await page.screenshot({ path: `${shots}/cockpit-pr-merged.png` })

  const closed = await openPull('abandoned', 'An idea we dropped', '', [{ message: 'Try', files: { 'src/idea.js': 'export {}\n' } }])
  await github('PATCH', `/pulls/${closed.number}`, { state: 'closed' })
  await review(page, closed.number)
  await expect(page.getByRole('region', { name: 'Closed without merging' })).toContainText('nothing was merged')
  await expect(page.getByRole('button', { name: /Approve & merge/ })).toHaveCount(0)
  await expect(page.getByRole('region', { name: 'Request changes' })).toHaveCount(0)
})

for (const theme of ['light', 'dark'] as const) {
  test(`the review in the ${theme} theme, with a comment being written and the merge question open: no serious axe violation`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: theme })
    await page.setViewportSize({ width: 1440, height: 900 })
    const { number, sha } = await openPull(`themed-${theme}`, `Describe the ${theme} theme`, 'A short **description**.', [
      { message: 'Add notes', files: { [`docs/${theme}.md`]: `# ${theme}\n\nOne line.\nAnother line.\n` } }
    ])
    await status(sha, 'ci/test', 'pending', 'running')
    await review(page, number)
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    await gutter(page, `docs/${theme}.md`, 3).click()
    await page.getByRole('textbox', { name: 'Comment on line 3' }).fill('Clearer?')
    await page.getByRole('button', { name: 'Add to review' }).click()
    await gutter(page, `docs/${theme}.md`, 4).focus()
    await page.keyboard.press('Enter')
    await page.waitForTimeout(150)
    await page.screenshot({ path: `${shots}/cockpit-pr-${theme}.png` })
    expect(await axe(page)).toEqual([])
    await page.getByRole('button', { name: /Approve & merge/ }).click()
    const dialog = page.getByRole('dialog', { name: `Merge #${number} before its checks finish?` })
    await expect(dialog).toContainText('still running')
    await page.waitForTimeout(150)
    await page.screenshot({ path: `${shots}/cockpit-pr-dialog-${theme}.png` })
    expect(await axe(page)).toEqual([])
    await dialog.getByRole('button', { name: 'Close' }).click()
    await expect(dialog).toBeHidden()
  })
}

test("the agents' own PR, as the README shows it: the Tester's report, a passing check, a line comment being written", async ({ page }) => {
  test.setTimeout(180_000)
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(baton.url)
  const card = page.getByRole('list', { name: 'Review issues' }).getByRole('link', { name: 'Add a power function' })
  await expect(card).toBeVisible({ timeout: 150_000 })
  await card.click()
  await page.getByRole('link', { name: /Review PR #/ }).first().click()
  await expect(page.locator('.d2h-file-wrapper').first()).toBeVisible({ timeout: 20_000 })
  await expect(page.getByRole('region', { name: "Tester's report" })).not.toContainText('has not reported')
  const number = Number(/#\/pr\/\d+\/(\d+)/.exec(page.url())?.[1])
  const pull = await github<{ head: { sha: string } }>('GET', `/pulls/${number}`)
  await status(pull.head.sha, 'ci/test', 'success', '14 tests passed')
  await page.getByRole('button', { name: 'Refresh checks' }).click()
  // The Tester publishes its verdict as a status too (baton/tester): both pass.
  await expect(page.getByRole('region', { name: 'Checks' }).getByText('14 tests passed')).toBeVisible({ timeout: 20_000 })
  await expect(page.locator('.status .badge', { hasText: /^\d+ checks? passed$/ })).toBeVisible()
  await expect(page.getByRole('region', { name: /^Commits/ })).not.toContainText('Commits (0)')
  await gutter(page, 'src/calc.js', 21).click()
  await page.getByRole('textbox', { name: 'Comment on line 21' }).fill('Could this say which exponent it got?')
  await page.setViewportSize({ width: 1440, height: 1400 })
  // The app scrolls inside its main pane: from the top, the whole review is in the shot.
  await page.locator('main').evaluate((m) => m.scrollTo(0, 0))
  await page.waitForTimeout(200)
  await page.screenshot({ path: `${shots}/sandbox-pr.png` })
})
