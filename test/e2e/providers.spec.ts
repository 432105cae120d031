// Settings → Providers as a person uses it: Claude Code and Codex found
// (Baton's own copies) with their versions, neither signed in; an Anthropic
// key typed in makes Claude Code ready (the field empties, the key is never
// shown back), and Check runs one short real turn through the real CLI
// against a scripted endpoint, showing its answer, time and cost. Both
// themes, screenshots, no serious axe violation.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSeededBaton, type SeededBaton } from './fixtures/serve'
import { startScriptedServer, type ScriptedServer } from '../fixtures/anthropic/scripted-server'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')
const KEY = 'sk-ant-api03-typedInTheBrowser-00000011'

let baton: SeededBaton
let server: ScriptedServer
let home: string
test.beforeAll(async () => {
  server = await startScriptedServer({ script: [] })
  home = mkdtempSync(join(tmpdir(), 'baton-e2e-home-'))
  baton = await startSeededBaton({
    env: { HOME: home, ANTHROPIC_BASE_URL: server.url, DISABLE_TELEMETRY: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1' }
  })
})
test.afterAll(async () => {
  await baton?.stop()
  await server?.close()
  rmSync(home, { recursive: true, force: true })
})
test.describe.configure({ mode: 'serial' })

async function openProviders(page: Page) {
  await page.goto(baton.url)
  await page.evaluate(() => (location.hash = '/settings'))
  const section = page.locator('section[aria-labelledby="providers-h"]')
  await expect(section.getByRole('heading', { name: 'Model providers' })).toBeVisible()
  await expect(section.locator('[data-provider="claude-code"] [data-field="cli"]')).toContainText('(Claude Code)')
  return section
}

test('both CLIs found with their versions, neither signed in; a key makes Claude Code ready and Check answers with time and cost', async ({ page }) => {
  const section = await openProviders(page)
  const claude = section.locator('[data-provider="claude-code"]')
  const codex = section.locator('[data-provider="codex"]')
  await expect(claude.locator('[data-field="cli"]')).toContainText("Baton's own copy")
  await expect(codex.locator('[data-field="cli"]')).toContainText('codex-cli ')
  await expect(claude.locator('.badge')).toHaveText('Not signed in')
  await expect(claude.locator('[data-field="auth"]')).toContainText('add an Anthropic API key in Settings → Providers, or run `claude /login`')
  await expect(codex.locator('[data-field="auth"]')).toContainText('run `codex login`')

  await claude.getByLabel('Anthropic API key for Claude Code').fill(KEY)
  await claude.getByRole('button', { name: 'Save key' }).click()
  await expect(claude.locator('.badge')).toHaveText('Ready')
  await expect(claude.locator('[data-field="auth"]')).toContainText('An Anthropic API key kept by Baton')
  await expect(claude.getByLabel('Anthropic API key for Claude Code')).toHaveValue('')
  await expect(page.locator('body')).not.toContainText(KEY)

  server.setScript([{ kind: 'text', text: 'DONE: ready', usage: { input_tokens: 900, output_tokens: 5 } }])
  await claude.getByRole('button', { name: 'Check Claude Code' }).click()
  const result = claude.locator('[data-check]')
  await expect(result).toHaveAttribute('data-check', 'ok', { timeout: 60_000 })
  await expect(result).toContainText('DONE: ready')
  await expect(result).toContainText(/Answered in \d+\.\d s · \$0\.\d{4}/)
  // The key reached the CLI (by environment) and so the endpoint.
  expect(server.agentRequests().at(-1)?.headers['x-api-key']).toBe(KEY)

  // A refused key: the check says which key and what to do.
  server.failAll({ status: 401, type: 'authentication_error', message: 'invalid x-api-key' })
  await claude.getByRole('button', { name: 'Check Claude Code' }).click()
  await expect(result).toHaveAttribute('data-check', 'failed', { timeout: 60_000 })
  await expect(result).toContainText('The model endpoint refused the Anthropic API key kept by Baton')
  await expect(result).toContainText('What to do: replace the key in Settings → Providers.')
  server.failAll(null)
  server.setScript([{ kind: 'text', text: 'DONE: ready', usage: { input_tokens: 900, output_tokens: 5 } }])
  await claude.getByRole('button', { name: 'Check Claude Code' }).click()
  await expect(result).toHaveAttribute('data-check', 'ok', { timeout: 60_000 })
})

for (const theme of ['light', 'dark'] as const) {
  test(`Providers in the ${theme} theme: screenshot, no serious axe violation, fits 1024 px`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: theme })
    await page.setViewportSize({ width: 1280, height: 900 })
    const section = await openProviders(page)
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
    server.setScript([{ kind: 'text', text: 'DONE: ready', usage: { input_tokens: 900, output_tokens: 5 } }])
    await section.getByRole('button', { name: 'Check Claude Code' }).click()
    await expect(section.locator('[data-provider="claude-code"] [data-check]')).toHaveAttribute('data-check', 'ok', { timeout: 60_000 })
    await section.screenshot({ path: `${shots}/settings-providers-${theme}.png` })
    await page.evaluate(axeSource)
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Element, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe
      const el = document.querySelector('section[aria-labelledby="providers-h"]') as Element
      const result = await axe.run(el, { resultTypes: ['violations'] })
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
    })
    expect(violations).toEqual([])
    await page.setViewportSize({ width: 1024, height: 768 })
    await page.waitForTimeout(150)
    expect(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false)
    await section.screenshot({ path: `${shots}/settings-providers-1024-${theme}.png` })
  })
}
