// Settings as a person uses them: a role's model and instances, the trust
// policy, and the pipeline's owners, saved and still there after a reload;
// a bad value refused with the reason; the note when a repository's own
// .baton/pipeline.yml overrides Settings; by keyboard, in both themes, at 1024 px.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
import { startSeededBaton, type SeededBaton } from './fixtures/serve'
import type { RoleConfig, Settings } from '../../src/shared/api'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')

let baton: SeededBaton
const FILE_ERROR = '.baton/pipeline.yml: stages.1.owner: no role "wizard" (roles: architect, community, engineer, marketing, pm, reviewer-lint, reviewer-secrets, reviewer-tests, tester)'
test.beforeAll(async () => {
  baton = await startSeededBaton()
  // The seeded repository carries its own pipeline file, whose latest version is broken (as a sync would have recorded it).
  const lastGood = {
    stages: [
      { label: 'intake', owner: 'pm', title: 'Intake', description: 'PM triages', color: '1d76db', next: ['build'] },
      { label: 'build', owner: 'engineer', title: 'Build', description: 'Engineer implements', color: 'fbca04', next: ['review'] },
      { label: 'review', owner: null, title: 'Review', description: 'A person reviews', color: '0e8a16', next: ['shipped'] },
      { label: 'shipped', owner: null, title: 'Shipped', description: '', color: '5319e7', next: [] }
    ],
    entry: 'intake',
    done: 'shipped'
  }
  baton.core.db
    .prepare("INSERT INTO sync_state (repo_id, key, etag, cursor) VALUES (?, 'pipeline-file', NULL, ?)")
    .run(
      baton.repoId,
      JSON.stringify({ head: 'abc', present: true, sha: 'def', pipeline: lastGood, error: FILE_ERROR, checkedAt: new Date().toISOString() })
    )
  baton.core.db.prepare('UPDATE repos SET sync_error = ? WHERE id = ?').run(FILE_ERROR, baton.repoId)
})
test.afterAll(async () => {
  await baton?.stop()
})

async function openSettings(page: Page): Promise<void> {
  await page.goto(baton.url)
  await page.evaluate(() => (location.hash = '/settings'))
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible()
  await expect(page.getByLabel('Provider for engineer')).toBeVisible()
}

async function api<T>(method: string, input: unknown = {}): Promise<T> {
  const r = await baton.core.call(method, input)
  if (!r.ok) throw new Error(r.error.message)
  return r.data as T
}

test.describe.configure({ mode: 'serial' })

test("a role's model and instances: saved, applied when the agents start, still there after a reload", async ({ page }) => {
  await openSettings(page)
  // A builtin role shows no model (it uses none); a model provider's role shows role.yml's.
  await expect(page.locator('tbody[data-role="engineer"] [data-model="none"]')).toHaveText('—')
  await expect(page.getByLabel('Model for engineer')).toHaveCount(0)
  await page.getByLabel('Provider for engineer').selectOption('claude-code')
  const model = page.getByLabel('Model for engineer')
  await expect(model).toHaveValue('claude-sonnet-4-5')
  await expect(page.getByRole('spinbutton', { name: 'Instances of engineer' })).toHaveValue('2')
  await model.fill('claude-opus-4-1')
  await page.getByRole('button', { name: 'More engineer instances' }).click()
  await expect(page.getByRole('spinbutton', { name: 'Instances of engineer' })).toHaveValue('3')
  await expect(page.locator('tbody[data-role="engineer"]')).toContainText('Unsaved')
  await page.getByRole('button', { name: 'Save engineer' }).click()
  await expect(page.locator('tbody[data-role="engineer"]')).toContainText('Saved. It applies when the agents start')
  // No sign-in in this app's environment: said, with what to do.
  await expect(page.locator('tbody[data-role="engineer"] [role="alert"]')).toContainText('Claude Code is not signed in: add an Anthropic API key in Settings → Providers, or run `claude /login`')
  await expect(page.locator('tbody[data-role="engineer"] .tag')).toHaveText('changed')

  // A bad model is refused with the reason, and nothing changes.
  await page.getByLabel('Provider for pm').selectOption('claude-code')
  const pm = page.getByLabel('Model for pm')
  await pm.fill('two words')
  await pm.press('Enter')
  await expect(page.locator('tbody[data-role="pm"]')).toContainText('a model is a name like claude-sonnet-4-5')
  await pm.press('Escape')
  await expect(pm).toHaveCount(0)
  expect((await api<RoleConfig[]>('roles.list')).find((r) => r.name === 'pm')).toMatchObject({ provider: 'builtin', overridden: [] })

  // By keyboard: the tester's provider and model, saved with Enter.
  await page.getByLabel('Provider for tester').selectOption('codex')
  const tester = page.getByLabel('Model for tester')
  await tester.focus()
  await page.keyboard.press('Control+a')
  await page.keyboard.type('claude-haiku-4-5')
  await page.keyboard.press('Enter')
  await expect(page.locator('tbody[data-role="tester"]')).toContainText('Saved.')

  await page.reload()
  await expect(page.getByLabel('Model for engineer')).toHaveValue('claude-opus-4-1')
  // On a provider that cannot sign in, the row keeps saying what to do.
  await expect(page.locator('tbody[data-role="engineer"] [data-not-ready]')).toContainText('Claude Code is not signed in')
  await expect(page.locator('tbody[data-role="tester"] [data-not-ready]')).toContainText('Codex is not signed in')
  await expect(page.locator('tbody[data-role="pm"] [data-not-ready]')).toHaveCount(0)
  await expect(page.getByRole('spinbutton', { name: 'Instances of engineer' })).toHaveValue('3')
  await expect(page.getByLabel('Model for tester')).toHaveValue('claude-haiku-4-5')
  const roles = await api<RoleConfig[]>('roles.list')
  expect(roles.find((r) => r.name === 'engineer')).toMatchObject({ provider: 'claude-code', model: 'claude-opus-4-1', instances: 3, overridden: ['provider', 'model', 'instances'] })
  expect((await api<Array<{ kind: string; message: string }>>('events.recent', { limit: 20 })).some((e) => e.kind === 'role.update' && e.message === 'engineer: provider builtin → claude-code, model claude-sonnet-4-5 → claude-opus-4-1, instances 2 → 3')).toBe(true)
})

test('the trust policy: another association and approval label, saved and kept', async ({ page }) => {
  await openSettings(page)
  const trust = page.locator('section[aria-labelledby="trust-h"]')
  await expect(trust.getByRole('checkbox', { name: /OWNER/ })).toBeDisabled()
  await expect(trust.getByRole('checkbox', { name: /OWNER/ })).toBeChecked()
  await trust.getByRole('checkbox', { name: /^CONTRIBUTOR/ }).check()
  await trust.getByLabel('Approval label').fill('backlog')
  await trust.getByRole('button', { name: 'Save trust policy' }).click()
  await expect(trust.getByRole('status')).toContainText('"backlog" is a pipeline stage; pick another label')
  await trust.getByLabel('Approval label').fill('ok-to-run')
  await trust.getByRole('button', { name: 'Save trust policy' }).click()
  await expect(trust.getByRole('status')).toContainText('Saved.')
  await page.reload()
  await expect(page.locator('section[aria-labelledby="trust-h"]').getByLabel('Approval label')).toHaveValue('ok-to-run')
  await expect(page.locator('section[aria-labelledby="trust-h"]').getByRole('checkbox', { name: /^CONTRIBUTOR/ })).toBeChecked()
  expect((await api<Settings>('settings.get')).trust).toEqual({ associations: ['OWNER', 'MEMBER', 'COLLABORATOR', 'CONTRIBUTOR'], approvalLabel: 'ok-to-run' })
})

test("the pipeline's owners for every repository; a repository's own file overrides them, and its error shows", async ({ page }) => {
  await openSettings(page)
  const section = page.locator('section[aria-labelledby="stages-h"]')
  await expect(section).toContainText('Comes from the default.')
  await section.getByLabel('Owner of needs-review').selectOption('tester')
  await section.getByRole('button', { name: 'Save owners' }).click()
  await expect(section.getByRole('status')).toContainText('Saved for every repository.')
  await expect(section).toContainText('Comes from Settings, for every repository.')

  // The repository's row says it too, in words.
  await expect(page.locator('section[aria-labelledby="repos-h"]')).toContainText(`Pipeline file refused (the last good pipeline stays): ${FILE_ERROR}`)
  await section.getByLabel('Pipeline of').selectOption({ label: 'acme/widgets' })
  await expect(section.getByTestId('file-override')).toContainText('follows its own .baton/pipeline.yml')
  await expect(section.getByRole('alert')).toContainText('stages.1.owner: no role "wizard"')
  await expect(section.getByRole('alert')).toContainText('The last good version of the file stays in charge')
  await expect(section.getByLabel('Owner of build')).toBeDisabled()
  await expect(section.getByRole('button', { name: 'Save owners' })).toHaveCount(0)

  await page.reload()
  await expect(page.locator('section[aria-labelledby="stages-h"]').getByLabel('Owner of needs-review')).toHaveValue('tester')
})

for (const theme of ['light', 'dark'] as const) {
  test(`Settings in the ${theme} theme: no serious axe violation, fits 1024 px`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: theme })
    await page.setViewportSize({ width: 1280, height: 900 })
    await openSettings(page)
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    await expect(page.locator('[aria-busy="true"]')).toHaveCount(0)
    await page.locator('section[aria-labelledby="stages-h"]').getByLabel('Pipeline of').selectOption({ label: 'acme/widgets' })
    await expect(page.getByTestId('file-override')).toBeVisible()
    await page.getByLabel('Provider for architect').selectOption('claude-code')
    await page.getByLabel('Model for architect').fill('claude-opus-4-1')
    await page.waitForTimeout(150)
    // The page scrolls inside its main area: shoot the view from the Roles section, and each new section whole.
    await page.locator('#roles-h').evaluate((h) => h.closest('section')?.scrollIntoView({ block: 'start' }))
    await page.waitForTimeout(100)
    await page.screenshot({ path: `${shots}/settings-${theme}.png` })
    for (const id of ['roles', 'stages', 'trust']) await page.locator(`section[aria-labelledby="${id}-h"]`).screenshot({ path: `${shots}/settings-${id}-${theme}.png` })
    // What agents run in, said in words (CI and this machine have bubblewrap).
    const isolation = page.locator('section[aria-labelledby="data-h"] [data-isolation]')
    await expect(isolation).toHaveAttribute('data-isolation', 'bubblewrap')
    await expect(isolation).toContainText('Sandboxed')
    await expect(isolation).toContainText('their own process namespace')
    await page.locator('section[aria-labelledby="data-h"]').screenshot({ path: `${shots}/settings-data-${theme}.png` })
    await page.evaluate(axeSource)
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe
      const result = await axe.run(document, { resultTypes: ['violations'] })
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
    })
    expect(violations).toEqual([])
    await page.setViewportSize({ width: 1024, height: 768 })
    await page.waitForTimeout(150)
    expect(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false)
    await page.locator('#stages-h').evaluate((h) => h.closest('section')?.scrollIntoView({ block: 'start' }))
    await page.waitForTimeout(100)
    await page.screenshot({ path: `${shots}/settings-1024-${theme}.png` })
    await page.locator('section[aria-labelledby="roles-h"]').screenshot({ path: `${shots}/settings-roles-1024-${theme}.png` })
  })
}
