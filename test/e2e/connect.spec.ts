// Connecting a repository as a person does it, against the forge standing in
// for a GitHub Enterprise Server: sign in with a token, connect, create an
// issue, see it in the pipeline at backlog.
import { expect, test } from '@playwright/test'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })

let forge: ChildProcess
let apiUrl = ''
let baton: RunningBaton

test.beforeAll(async () => {
  forge = spawn(process.execPath, ['bin/baton.js', 'forge', '--port', '0', '--seed', 'test/fixtures/forge/seed.json'], { stdio: ['ignore', 'pipe', 'inherit'] })
  apiUrl = await new Promise<string>((resolve, reject) => {
    let out = ''
    forge.stdout?.on('data', (c) => {
      out += c
      const m = /API base URL \(Octokit baseUrl\): (\S+)/.exec(out)
      if (m?.[1]) resolve(m[1])
    })
    forge.once('exit', (code) => reject(new Error(`forge exited ${code}: ${out}`)))
  })
  baton = await startBaton({ env: { BATON_GITHUB_API_URL: apiUrl } })
})
test.afterAll(async () => {
  await baton?.stop()
  forge?.kill('SIGTERM')
})

test('sign in with a token, connect a repository, create an issue: it shows at backlog', async ({ page }) => {
  test.setTimeout(120_000)
  await page.goto(baton.url)
  await page.getByRole('link', { name: /Settings/ }).first().click()

  // A wrong token gets a clear message, and the field keeps what was typed.
  await page.getByLabel('Or paste a personal access token').fill('wrong-token-123')
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await expect(page.getByText(/GitHub rejected the token/)).toBeVisible()

  await page.getByLabel('Or paste a personal access token').fill('forge-owner-token')
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await expect(page.getByText('octo-owner').first()).toBeVisible()

  // An unknown repository is named; then the real one connects.
  await page.getByLabel('Repository to connect').fill('acme/nope')
  await page.getByRole('button', { name: 'Connect', exact: true }).click()
  await expect(page.getByText(/acme\/nope does not exist/)).toBeVisible()
  await page.getByLabel('Repository to connect').fill(`${new URL(apiUrl).origin}/acme/shop.git`)
  await page.getByRole('button', { name: 'Connect', exact: true }).click()
  await expect(page.getByText('acme/shop').first()).toBeVisible({ timeout: 30_000 })
  await page.screenshot({ path: `${shots}/connect-settings.png`, fullPage: true })

  // Hold the PM so the new issue stays where it lands.
  await page.getByRole('link', { name: /Agents/ }).first().click()
  await page.getByRole('button', { name: 'Pause pm', exact: true }).click()
  await expect(page.locator('li[data-agent="pm"]')).toContainText('paused')

  await page.getByRole('link', { name: /Pipeline/ }).first().click()
  await page.getByRole('button', { name: /New issue/ }).click()
  await page.getByLabel('Title').fill('Show the cart total with tax')
  await page.locator('#ni-body').fill('The cart total should include tax, rounded to cents, with a test.')
  await page.getByRole('button', { name: 'Create issue' }).click()
  await page.getByRole('link', { name: /Pipeline/ }).first().click()
  await expect(page.locator('section[data-stage="backlog"] a', { hasText: 'Show the cart total with tax' })).toBeVisible({ timeout: 30_000 })
  await page.screenshot({ path: `${shots}/connect-backlog.png` })
})

test("a repository's own .baton/pipeline.yml gives the board its columns, in its order", async ({ page }) => {
  test.setTimeout(120_000)
  // Someone pushes a pipeline file to acme/shop (the forge runs in its own process).
  const dir = mkdtempSync(join(tmpdir(), 'baton-e2e-pipeline-'))
  try {
    const origin = new URL(apiUrl).origin.replace('//', '//x-access-token:forge-owner-token@')
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Octo', '-c', 'user.email=octo@example.test', ...args], { cwd: dir, stdio: 'pipe' })
    git('clone', '-q', `${origin}/acme/shop.git`, 'shop')
    mkdirSync(join(dir, 'shop', '.baton'))
    writeFileSync(
      join(dir, 'shop', '.baton', 'pipeline.yml'),
      [
        'stages:',
        '  - { label: backlog, owner: pm, next: [needs-design] }',
        '  - { label: needs-design, owner: architect, title: Design, color: "5319e7", next: [ready-for-dev] }',
        '  - { label: ready-for-dev, owner: engineer, next: [in-progress] }',
        '  - { label: in-progress, owner: engineer, next: [needs-testing] }',
        '  - { label: needs-testing, owner: tester, next: [needs-review, ready-for-dev] }',
        '  - { label: needs-review, next: [shipped, ready-for-dev] }',
        '  - { label: shipped, title: Shipped }',
        ''
      ].join('\n')
    )
    execFileSync('git', ['add', '-A'], { cwd: join(dir, 'shop') })
    execFileSync('git', ['-c', 'user.name=Octo', '-c', 'user.email=octo@example.test', 'commit', '-q', '-m', 'Our own pipeline'], { cwd: join(dir, 'shop') })
    execFileSync('git', ['push', '-q', 'origin', 'HEAD:main'], { cwd: join(dir, 'shop'), stdio: 'pipe' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }

  await page.goto(baton.url)
  await page.getByRole('link', { name: /Settings/ }).first().click()
  await page.getByRole('button', { name: 'Sync now' }).first().click()
  await page.getByRole('link', { name: /Pipeline/ }).first().click()
  const design = page.locator('section[data-stage="needs-design"]')
  await expect(design).toBeVisible({ timeout: 30_000 })
  await expect(design).toContainText('Design')
  await expect(page.locator('section[data-stage="needs-architecture"]')).toHaveCount(0)
  // The issue the paused PM holds back stays at backlog, a stage of both pipelines.
  const held = page.locator('section[data-stage="backlog"] [data-issue]', { hasText: 'Show the cart total with tax' })
  await expect(held).toContainText('pm is paused')
  await expect(held).toHaveAttribute('data-activity', 'waiting')
  const order = await page.locator('section[data-stage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage')))
  expect(order.filter((l) => l !== 'none')).toEqual(['backlog', 'needs-design', 'ready-for-dev', 'in-progress', 'needs-testing', 'needs-review', 'shipped'])
  await page.screenshot({ path: `${shots}/custom-pipeline-board.png` })
})
