import { expect, test } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { migrations } from '../../src/main/store/migrations/index'
import { startBaton, type RunningBaton } from './baton'

const shots = 'test-results/screenshots'
mkdirSync(shots, { recursive: true })

let baton: RunningBaton
test.beforeAll(async () => {
  baton = await startBaton()
})
test.afterAll(async () => {
  await baton?.stop()
})

test('without the token the server refuses the dashboard and the API', async ({ page, request }) => {
  const response = await page.goto(baton.origin + '/')
  expect(response?.status()).toBe(401)
  await expect(page.getByRole('heading', { name: 'This Baton server needs its token' })).toBeVisible()
  const api = await request.post(baton.origin + '/api/app.status', { data: {} })
  expect(api.status()).toBe(401)
  const wrong = await page.goto(baton.origin + '/?token=not-the-token')
  expect(wrong?.status()).toBe(401)
})

test('a person opens the printed address and visits every section', async ({ page }) => {
  await page.goto(baton.url)
  await expect(page).toHaveURL(/\/#?\/?(pipeline)?$/)
  // The token left the address bar: it was traded for a cookie.
  expect(page.url()).not.toContain('token=')
  await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
  await expect(page.getByText('No repository connected yet')).toBeVisible()
  await expect(page.getByText('Connected', { exact: true })).toBeVisible()

  const sections = [
    { nav: 'Pipeline', heading: 'Pipeline', expectText: 'No repository connected yet' },
    { nav: 'Agents', heading: 'Agents', expectText: 'No agents running' },
    { nav: 'Inbox', heading: 'Inbox', expectText: 'Nothing needs you' },
    { nav: 'Usage', heading: 'Usage', expectText: 'No usage in the last 7d' },
    { nav: 'Settings', heading: 'Settings', expectText: `schema ${migrations.length}/${migrations.length}` }
  ]
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme })
    for (const section of sections) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(section.nav) }).click()
      await expect(page.getByRole('heading', { level: 1, name: section.heading })).toBeVisible()
      await expect(page.getByText(section.expectText)).toBeVisible()
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme)
      await page.screenshot({ path: `${shots}/${section.nav.toLowerCase()}-${theme}.png` })
    }
  }
})

test('keyboard: number keys switch sections', async ({ page }) => {
  await page.goto(baton.url)
  await expect(page.getByRole('heading', { level: 1, name: 'Pipeline' })).toBeVisible()
  await page.keyboard.press('3')
  await expect(page.getByRole('heading', { level: 1, name: 'Inbox' })).toBeVisible()
  await page.keyboard.press('5')
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible()
})

test('a theme chosen in Settings is saved and survives a reload', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' })
  await page.goto(baton.url)
  await page.getByRole('link', { name: /Settings/ }).click()
  await page.getByLabel('Theme').selectOption('dark')
  await expect(page.getByText('Saved.')).toBeVisible()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await page.reload()
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
  await page.getByLabel('Theme').selectOption('system')
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light')
})

test('a malformed API payload gets a clear message', async ({ page }) => {
  await page.goto(baton.url)
  const result = await page.evaluate(async () => {
    const response = await fetch('/api/settings.update', { method: 'POST', body: JSON.stringify({ pollIntervalSec: 'soon' }) })
    return { status: response.status, body: (await response.json()) as { error: { message: string } } }
  })
  expect(result.status).toBe(400)
  expect(result.body.error.message).toContain('pollIntervalSec')
  const notJson = await page.evaluate(async () => (await fetch('/api/settings.update', { method: 'POST', body: '{oops' })).status)
  expect(notJson).toBe(400)
})
