// The new-issue dialog as a person uses it (issue #13, keyboard and forms):
// `c` opens it from any screen but never from a text field; Escape on a dirty
// draft keeps it (across a reload too); a 300-line body scrolls inside a
// dialog that fits a 1024 × 700 window; an over-long body is refused next to
// the field with its length, never cut; focus stays inside and goes back to
// the opener; axe in both themes. Then a keyboard-only create on the sandbox.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
import { startSeededBaton, type SeededBaton } from './fixtures/serve'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })
const axeSource = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')
const LONG_BODY = Array.from({ length: 300 }, (_, i) => `- line ${i + 1}: the upload stalls at ${i}%`).join('\n')

async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)
  })
}

const dialog = (page: Page) => page.getByRole('dialog', { name: 'New issue' })

test.describe('the new-issue dialog on the seeded app', () => {
  let baton: SeededBaton
  test.beforeAll(async () => {
    baton = await startSeededBaton()
  })
  test.afterAll(async () => {
    await baton?.stop()
  })
  test.describe.configure({ mode: 'serial' })

  const open = async (page: Page, width = 1024, height = 700) => {
    await page.setViewportSize({ width, height })
    await page.goto(baton.url)
    await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
  }

  test('c opens it from another screen, but typing c in a text field types it', async ({ page }) => {
    await open(page)
    await page.keyboard.press('2')
    await expect(page.getByRole('heading', { level: 1, name: 'Agents' })).toBeVisible()
    await page.keyboard.press('c')
    await expect(dialog(page)).toBeVisible()
    await expect(page.getByLabel('Title')).toBeFocused()
    await page.keyboard.press('Escape')
    await expect(dialog(page)).toBeHidden()
    // Focus goes back out of the closed dialog's fields before the next shortcut (a key typed into a field is a letter, not a shortcut).
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName ?? '')).not.toMatch(/^(INPUT|TEXTAREA)$/)
    // In a text field c is a letter: the board's search box gets it, no dialog opens.
    await page.keyboard.press('1')
    await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
    await page.getByRole('searchbox').focus()
    await page.keyboard.type('cc')
    await expect(page.getByRole('searchbox')).toHaveValue('cc')
    await expect(dialog(page)).toBeHidden()
  })

  test('Escape on a dirty draft keeps it, across a reload; focus goes back to the opener; Discard text clears it', async ({ page }) => {
    await open(page)
    const opener = page.getByRole('button', { name: 'New issue' })
    await opener.focus()
    await page.keyboard.press('Enter')
    await expect(dialog(page)).toBeVisible()
    await page.getByLabel('Title').fill('Uploads stall at 99%')
    await page.getByRole('textbox', { name: 'Description (Markdown)' }).fill('Seen on a 2 GB file.')
    await page.keyboard.press('Escape')
    await expect(dialog(page)).toBeHidden()
    await expect(opener).toBeFocused()
    await expect(page.getByRole('status').filter({ hasText: 'Your new issue is kept' })).toBeVisible()
    await page.reload()
    await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
    await page.keyboard.press('c')
    await expect(page.getByLabel('Title')).toHaveValue('Uploads stall at 99%')
    await expect(page.getByRole('textbox', { name: 'Description (Markdown)' })).toHaveValue('Seen on a 2 GB file.')
    // Cancel keeps it as well; only Discard text throws it away.
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.keyboard.press('c')
    await expect(page.getByLabel('Title')).toHaveValue('Uploads stall at 99%')
    await page.getByRole('button', { name: 'Discard text' }).click()
    await expect(page.getByLabel('Title')).toHaveValue('')
    await expect(page.getByLabel('Title')).toBeFocused()
    await page.keyboard.press('Escape')
    await page.reload()
    await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
    await page.keyboard.press('c')
    await expect(page.getByLabel('Title')).toHaveValue('')
    await page.keyboard.press('Escape')
  })

  test('a 300-line body scrolls inside a dialog that fits 1024 × 700, in Write and in Preview', async ({ page }) => {
    await open(page, 1024, 700)
    await page.keyboard.press('c')
    await page.getByLabel('Title').fill('A long report')
    await page.getByRole('textbox', { name: 'Description (Markdown)' }).fill(LONG_BODY)
    const fits = async (label: string) => {
      const box = await dialog(page).boundingBox()
      expect(box, label).not.toBeNull()
      expect(box!.y, label).toBeGreaterThanOrEqual(0)
      expect(box!.y + box!.height, label).toBeLessThanOrEqual(700)
      // The footer's buttons are in the window, whatever the body holds.
      const create = await page.getByRole('button', { name: 'Create issue' }).boundingBox()
      expect(create!.y + create!.height, label).toBeLessThanOrEqual(700)
    }
    // The person may drag the textarea taller than the window: the dialog's body scrolls, the dialog does not grow.
    await page.locator('#ni-body').evaluate((el) => ((el as HTMLElement).style.height = '1400px'))
    await fits('write, textarea dragged to 1400 px')
    const body = dialog(page).locator('.body')
    expect(await body.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true)
    await page.getByRole('tab', { name: 'Preview' }).click()
    await expect(dialog(page).getByText('line 300: the upload stalls at 299%')).toBeAttached()
    await fits('preview of 300 lines')
    expect(await body.evaluate((el) => el.scrollHeight > el.clientHeight + 1000)).toBe(true)
    await body.evaluate((el) => el.scrollTo(0, el.scrollHeight))
    await expect(page.getByRole('button', { name: 'Create issue' })).toBeInViewport()
    await page.screenshot({ path: `${shots}/cockpit-forms-long-body.png` })
    await page.getByRole('button', { name: 'Discard text' }).click()
    await page.keyboard.press('Escape')
  })

  test('the title is required and an over-long body is refused next to the field, with its length, not cut', async ({ page }) => {
    await open(page)
    const sent: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/api/issues.create')) sent.push(r.url())
    })
    await page.keyboard.press('c')
    await page.getByRole('button', { name: 'Create issue' }).click()
    const title = page.getByLabel('Title')
    await expect(title).toHaveAttribute('aria-invalid', 'true')
    await expect(page.locator('#ni-title-err')).toHaveText('A title is needed.')
    await expect(title).toHaveAccessibleDescription('A title is needed.')
    await expect(title).toBeFocused()
    // Over 256 characters (trimmed, as the server counts) says so; spaces around do not count.
    await title.fill('t'.repeat(257))
    await expect(page.locator('#ni-title-err')).toHaveText('The title is 257 characters; GitHub takes at most 256.')
    await title.fill(`  ${'t'.repeat(256)}  `)
    await expect(page.locator('#ni-title-err')).toHaveCount(0)
    await title.fill('Paste the whole log')
    await expect(page.locator('#ni-title-err')).toHaveCount(0)

    const textarea = page.getByRole('textbox', { name: 'Description (Markdown)' })
    await textarea.fill('x'.repeat(70_000))
    // Nothing was cut: the field holds all of it and says how long it is, right under it.
    expect(await textarea.evaluate((el) => (el as HTMLTextAreaElement).value.length)).toBe(70_000)
    const message = page.locator('#ni-body-err')
    await expect(message).toContainText('70,000 characters; GitHub takes at most 65,536 (4,464 too many)')
    await expect(textarea).toHaveAttribute('aria-invalid', 'true')
    const fieldBox = (await textarea.boundingBox())!
    const messageBox = (await message.boundingBox())!
    expect(messageBox.y - (fieldBox.y + fieldBox.height)).toBeLessThan(16)
    await page.getByRole('tab', { name: 'Preview' }).click()
    await page.getByRole('button', { name: 'Create issue' }).click()
    // Refused in the form: back to Write, focus on the field, nothing sent.
    await expect(textarea).toBeFocused()
    expect(sent).toEqual([])
    await dialog(page).screenshot({ path: `${shots}/cockpit-forms-too-long.png` })
    // The server refuses the same body on its own, naming the field.
    const refused = await page.evaluate(async (repoId) => {
      const r = await fetch('/api/issues.create', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ repoId, title: 'x', body: 'x'.repeat(65_537) }) })
      return (await r.json()) as { ok: boolean; error?: { code: string; details?: { issues?: Array<{ path: string }> } } }
    }, baton.repoId)
    expect(refused.ok).toBe(false)
    expect(refused.error?.code).toBe('bad_request')
    expect(refused.error?.details?.issues?.[0]?.path).toBe('body')
    // At the limit it is fine again.
    await textarea.fill('x'.repeat(65_536))
    await expect(message).toHaveCount(0)
    await expect(dialog(page).getByText('65,536 of 65,536 characters')).toBeVisible()
    await page.getByRole('button', { name: 'Discard text' }).click()
    await page.keyboard.press('Escape')
  })

  test('Tab stays inside the open dialog and every stop shows a focus ring', async ({ page }) => {
    await open(page)
    await page.keyboard.press('c')
    await page.getByLabel('Title').fill('Ring check')
    const seen: string[] = []
    for (let i = 0; i < 16; i++) {
      await page.keyboard.press('Tab')
      const at = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement
        return { inside: Boolean(el.closest('dialog[open]')), name: `${el.tagName.toLowerCase()}#${el.id || el.textContent?.trim().slice(0, 20)}`, ring: getComputedStyle(el).boxShadow !== 'none' || getComputedStyle(el).outlineStyle !== 'none' }
      })
      expect(at.inside, `Tab ${i + 1} went to ${at.name}`).toBe(true)
      expect(at.ring, `${at.name} shows no focus`).toBe(true)
      seen.push(at.name)
    }
    // It went round: some stop came back.
    expect(new Set(seen).size).toBeLessThan(seen.length)
    await page.keyboard.press('Shift+Tab')
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog[open]')))).toBe(true)
    await page.getByRole('button', { name: 'Discard text' }).click()
    await page.keyboard.press('Escape')
  })

  for (const theme of ['light', 'dark'] as const) {
    test(`${theme}: the dialog with its field errors has no serious axe violation`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: theme })
      await open(page, 1024, 700)
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
      await page.keyboard.press('c')
      await page.getByRole('textbox', { name: 'Description (Markdown)' }).fill('y'.repeat(66_000))
      await page.getByRole('button', { name: 'Create issue' }).click()
      await expect(page.locator('#ni-title-err')).toBeVisible()
      await expect(page.locator('#ni-body-err')).toBeVisible()
      await page.waitForTimeout(150)
      await page.screenshot({ path: `${shots}/cockpit-forms-${theme}.png` })
      expect(await seriousViolations(page)).toEqual([])
      await page.getByRole('button', { name: 'Discard text' }).click()
    })
  }
})

test.describe('the sandbox', () => {
  let baton: RunningBaton
  test.beforeAll(async () => {
    baton = await startBaton({ args: ['--sandbox'] })
  })
  test.afterAll(async () => {
    await baton?.stop()
  })

  test('keyboard only: c, type, Tab to Create issue, Enter; the issue is created on the forge and opened', async ({ page }) => {
    test.setTimeout(120_000)
    await page.setViewportSize({ width: 1024, height: 700 })
    await page.goto(baton.url)
    await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
    await page.keyboard.press('c')
    await expect(page.getByLabel('Title')).toBeFocused()
    await page.keyboard.type('Keyboard only: export the board as CSV')
    // Tab on to the description, write it, then on to Create issue.
    for (let i = 0; i < 10 && !(await page.getByRole('textbox', { name: 'Description (Markdown)' }).evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab')
    await page.keyboard.type('One row per issue, with its stage.')
    for (let i = 0; i < 10 && !(await page.getByRole('button', { name: 'Create issue' }).evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab')
    await expect(page.getByRole('button', { name: 'Create issue' })).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(page.getByRole('status').filter({ hasText: /Issue #\d+ created/ })).toBeVisible()
    await expect(page).toHaveURL(/#\/issue\/\d+\/\d+$/)
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Keyboard only: export the board as CSV')
    await page.screenshot({ path: `${shots}/cockpit-forms-created.png` })
  })
})
