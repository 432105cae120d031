// The board follows SQLite by deltas: a write to one issue (with no change
// event sent by hand: the version log's triggers ask for it) reaches the open
// board as an event naming that card and a delta carrying only it; coming back
// to the board from another screen fetches nothing whole.
import { expect, test, type Response } from '@playwright/test'
import type { BoardDelta } from '../../src/shared/api'
import { startSeededBaton, type SeededBaton } from './fixtures/serve'

let baton: SeededBaton
test.beforeAll(async () => {
  baton = await startSeededBaton()
})
test.afterAll(async () => {
  await baton?.stop()
})

test('a write in SQLite reaches the board as a delta of that one card', async ({ page }) => {
  const frames: string[] = []
  page.on('websocket', (ws) => ws.on('framereceived', (frame) => frames.push(String(frame.payload))))
  const answers: BoardDelta[] = []
  page.on('response', (response: Response) => {
    if (response.url().endsWith('/api/issues.boardChanges')) void response.json().then((body: { data: BoardDelta }) => answers.push(body.data))
  })
  await page.goto(baton.url)
  const card = page.locator('section.column[data-stage="backlog"] [data-issue="1"]')
  await expect(card).toBeVisible()
  await expect.poll(() => answers.some((a) => a.kind === 'full')).toBe(true)
  const before = answers.length

  baton.core.db.prepare("UPDATE issues SET title = 'CSV export, renamed in SQLite' WHERE repo_id = ? AND number = 1").run(baton.repoId)
  await expect(card).toContainText('CSV export, renamed in SQLite')
  // The answer's body is read asynchronously: poll for it.
  await expect
    .poll(() => {
      const delta = answers.slice(before).find((a) => a.kind === 'delta' && a.cards.length > 0)
      return delta?.kind === 'delta' && delta.cards.map((c) => [c.repoId, c.number])
    })
    .toEqual([[baton.repoId, 1]])
  expect(answers.slice(before).every((a) => a.kind === 'delta')).toBe(true)
  const event = frames.map((f) => JSON.parse(f) as { type: string; board?: { keys: string[] | null } }).find((e) => e.type === 'changed' && e.board?.keys?.length)
  expect(event?.board?.keys).toEqual([`${baton.repoId}#1`])

  // A stage move by label: the card changes column, the others stay.
  baton.core.db.prepare(`UPDATE issues SET labels = '["in-progress","enhancement"]' WHERE repo_id = ? AND number = 1`).run(baton.repoId)
  await expect(page.locator('section.column[data-stage="in-progress"] [data-issue="1"]')).toBeVisible()
  await expect(page.locator('section.column[data-stage="backlog"] .count')).toHaveText('3')

  // Away and back: the board is kept, and only changes since are asked for.
  await page.evaluate(() => (location.hash = '/usage'))
  await expect(page.getByRole('heading', { level: 1, name: 'Usage' })).toBeVisible()
  baton.core.db.prepare("UPDATE issues SET title = 'Changed while away' WHERE repo_id = ? AND number = 2").run(baton.repoId)
  const fulls = answers.filter((a) => a.kind === 'full').length
  await page.evaluate(() => (location.hash = '/pipeline'))
  await expect(page.locator('.board [data-issue="2"]').first()).toContainText('Changed while away')
  await expect.poll(() => answers.some((a) => a.kind === 'delta' && a.cards.some((c) => c.number === 2 && c.title === 'Changed while away'))).toBe(true)
  expect(answers.filter((a) => a.kind === 'full').length).toBe(fulls)
})
