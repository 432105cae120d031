// Parallel attempts as a person meets them (issue #15), in the sandbox: the
// issue page's Attempts panel side by side — each attempt's branch, provider,
// state, test result and cost — for a repository where the person picks, a
// pick made from the panel (attempts.pick) — the board's card asking for it
// first —, and Settings → Repositories'
// attempts, pick and providers saved and a bad provider refused. Both themes,
// axe clean. The group is written into SQLite once the sandbox's repository
// exists (three Engineer attempts and their Testers, answered, their usage):
// what the engine leaves when every attempt is tested and a person picks.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
import { paths } from '../../src/main/data-dir'
import { openDatabase } from '../../src/main/store/open'
import { recordUsage } from '../../src/main/store/usage'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')

let baton: RunningBaton

async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
  })
}

async function api<T>(method: string, input: unknown): Promise<T> {
  const res = await fetch(`${baton.origin}/api/${method}`, { method: 'POST', headers: { authorization: `Bearer ${baton.token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) })
  const body = (await res.json()) as { ok: boolean; data: T; error?: { message: string } }
  if (!body.ok) throw new Error(`${method}: ${body.error?.message}`)
  return body.data
}

/** Three attempts at the sandbox's issue #2, every one tested: 1 and 3 passed, 2 failed; the person picks. */
function seedGroup(dataDir: string): void {
  const db = openDatabase(paths.database(dataDir))
  try {
    const at = new Date().toISOString()
    const base = 'baton/2-attempts-e2e'
    const runs = [
      { idx: 1, provider: 'claude-code', model: 'claude-sonnet-4-5', verdict: 'pass', summary: 'Added divide() with a zero check', test: 'Tests pass: npm test (1.2 s)', usd: 0.41 },
      { idx: 2, provider: 'codex', model: 'gpt-5', verdict: 'fail', summary: 'Added divide() returning Infinity for zero', test: 'Tests fail: npm test exited with code 1 after 1.1 s', usd: 0.27 },
      { idx: 3, provider: 'builtin', model: null, verdict: 'pass', summary: 'Applied the patch from the issue', test: 'Tests pass: npm test (0.9 s)', usd: 0 }
    ]
    const task = db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, answers, created_at, updated_at) VALUES (?, 1, 2, 'in-progress', ?, ?, 'applied', 1, 1, ?, ?)")
    db.prepare("INSERT INTO parallel_groups (id, repo_id, issue, stage, size, pick, state, created_at) VALUES ('g_e2e', 1, 2, 'in-progress', 3, 'person', 'choosing', ?)").run(at)
    for (const r of runs) {
      task.run(`t_e2e_eng${r.idx}`, 'engineer', r.idx === 1 ? 'engineer' : `engineer-${r.idx}`, at, at)
      task.run(`t_e2e_tst${r.idx}`, 'tester', 'tester', at, at)
      db.prepare(
        'INSERT INTO parallel_runs (group_id, idx, branch, provider, model, engineer_task, tester_task, pushed, move_to, summary, body, verdict, test_result, tested_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)'
      ).run('g_e2e', r.idx, r.idx === 1 ? base : `${base}-a${r.idx}`, r.provider, r.model, `t_e2e_eng${r.idx}`, `t_e2e_tst${r.idx}`, 'needs-testing', r.summary, r.summary, r.verdict, r.test, at)
      recordUsage(db, { at, repoId: 1, issue: 2, taskId: `t_e2e_eng${r.idx}`, attempt: 1, answer: 1, agent: 'engineer', provider: r.provider, model: r.model, inputTokens: 20_000, outputTokens: 2_000, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: r.usd })
    }
  } finally {
    db.close()
  }
}

test.beforeAll(async () => {
  baton = await startBaton({ args: ['--sandbox'] })
  // The sandbox connects its repository and adopts its issues as it starts.
  for (let i = 0; i < 120; i++) {
    const issues = await api<Array<{ number: number }>>('issues.board', {}).catch(() => [])
    if (issues.some((c) => c.number === 2)) break
    await new Promise((r) => setTimeout(r, 500))
  }
  seedGroup(baton.dataDir)
})
test.afterAll(async () => {
  await baton?.stop()
})
test.describe.configure({ mode: 'serial' })

test('the issue page shows the attempts side by side; a person picks one that passed', async ({ page }) => {
  test.setTimeout(120_000)
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(baton.url)
  // The board's card waits for the person, in words, and links the issue page.
  const card = page.locator('.board [data-issue="2"]').first()
  await expect(card).toHaveAttribute('data-needs', 'pick', { timeout: 30_000 })
  await expect(card).toContainText('Pick the attempt that becomes the PR on #2')
  await card.getByRole('link', { name: '#2' }).click()
  const panel = page.getByTestId('attempts')
  await expect(panel.getByRole('heading', { name: '3 attempts: 2 passed, 1 failed' })).toBeVisible({ timeout: 30_000 })
  await expect(panel).toContainText('Pick the attempt that becomes the pull request')
  const cols = panel.getByRole('article')
  await expect(cols).toHaveCount(3)
  await expect(cols.nth(0)).toContainText('baton/2-attempts-e2e')
  await expect(cols.nth(0)).toContainText('claude-code · claude-sonnet-4-5')
  await expect(cols.nth(0)).toContainText('$0.41')
  await expect(cols.nth(1)).toContainText('Tests fail: npm test exited with code 1')
  await expect(cols.nth(2)).toContainText('baton/2-attempts-e2e-a3')
  // Only the passed ones can become the PR.
  await expect(cols.nth(0).getByRole('button', { name: 'Make this the PR' })).toBeVisible()
  await expect(cols.nth(1).getByRole('button', { name: 'Make this the PR' })).toHaveCount(0)
  // A branch that is not there says so in its diff.
  await cols.nth(1).getByText('Diff').click()
  await expect(cols.nth(1)).toContainText('Its branch is not there')
  // Every attempt's cost counts on the issue.
  await expect(page.locator('section[aria-labelledby="spent-h"]')).toContainText('$0.68')

  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme })
    await page.reload()
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    await expect(panel.getByRole('heading', { name: '3 attempts: 2 passed, 1 failed' })).toBeVisible()
    await page.waitForTimeout(300)
    expect(await seriousViolations(page), theme).toEqual([])
    await panel.screenshot({ path: `${shots}/parallel-attempts-${theme}.png` })
  }
  await page.emulateMedia({ colorScheme: 'light' })

  await cols.nth(2).getByRole('button', { name: 'Make this the PR' }).click()
  await expect(panel).toContainText('Attempt 3 became the pull request', { timeout: 30_000 })
  await expect(cols.nth(2)).toContainText('the PR')
  const events = await api<Array<{ kind: string; message: string }>>('events.recent', { limit: 100 })
  expect(events.find((e) => e.kind === 'attempts.pick')?.message).toMatch(/picked attempt 3 of 3 at #2/)
})

test('Settings → Repositories: attempts, who picks and providers are saved; a bad provider is refused', async ({ page }) => {
  await page.goto(baton.url)
  await page.evaluate(() => (location.hash = '/settings'))
  const count = page.getByLabel(/Parallel attempts at the Engineer stage in/)
  await expect(count).toHaveValue('1')
  await count.selectOption('3')
  const pick = page.getByLabel(/Who picks the attempt that becomes the PR in/)
  await expect(pick).toBeVisible()
  await pick.selectOption('person')
  await expect.poll(async () => (await api<{ pick: string }>('attempts.settings', { repoId: 1 })).pick).toBe('person')
  const providers = page.getByLabel(/Providers the attempts take in turn in/)
  await providers.fill('claude-code:claude-sonnet-4-5, gpt:4')
  await providers.press('Tab')
  await expect(page.getByRole('alert').filter({ hasText: 'each provider is builtin, claude-code, codex or command' })).toBeVisible()
  await providers.fill('claude-code:claude-sonnet-4-5, codex:gpt-5, builtin')
  await providers.press('Tab')
  await expect.poll(async () => (await api<{ attempts: number; pick: string; providers: string[] }>('attempts.settings', { repoId: 1 })).providers).toEqual(['claude-code:claude-sonnet-4-5', 'codex:gpt-5', 'builtin'])
  expect(await api('attempts.settings', { repoId: 1 })).toEqual({ repoId: 1, attempts: 3, pick: 'person', providers: ['claude-code:claude-sonnet-4-5', 'codex:gpt-5', 'builtin'] })
  await page.screenshot({ path: `${shots}/parallel-attempts-settings.png` })
})
