// The board's delta protocol through the real core: a write names only its
// card on the change event and in the delta, and after a restart (a new epoch)
// the version a client kept answers with the whole board.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ApiEvent, BoardDelta } from '../../../src/shared/api'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { seed } from '../../e2e/fixtures/seed'

const cores: Core[] = []
const start = async (dataDir: string): Promise<Core> => {
  const core = await createCore({ dataDir, mode: 'headless', startAgents: false, log: createLogger({ level: 'error' }), env: { PATH: process.env.PATH ?? '' } })
  cores.push(core)
  return core
}
const boardChanges = async (core: Core, input: { since?: number; epoch?: string }): Promise<BoardDelta> => {
  const result = await core.call('issues.boardChanges', input)
  if (!result.ok) throw new Error(result.error.message)
  return result.data as BoardDelta
}
afterEach(async () => {
  for (const core of cores.splice(0)) await core.close()
})

describe('issues.boardChanges through the core', () => {
  it('a write to one issue: the event names it, the delta carries only it; a restarted core answers the whole board', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-delta-'))
    const { repoId } = seed(dataDir, { bulk: 200 })
    const core = await start(dataDir)
    const events: ApiEvent[] = []
    core.events.subscribe((e) => events.push(e))
    const full = await boardChanges(core, {})
    expect(full.kind).toBe('full')
    expect(full.cards.length).toBe(215)

    // No change event sent by hand: the write asks for one.
    core.db.prepare("UPDATE issues SET labels = '[\"needs-review\"]' WHERE repo_id = ? AND number = 1005").run(repoId)
    await new Promise((r) => setTimeout(r, 10))
    const changed = events.filter((e) => e.type === 'changed')
    expect(changed.at(-1)).toMatchObject({ topics: ['issues'], board: { epoch: full.epoch, version: full.version + 1, keys: [`${repoId}#1005`] } })

    const delta = await boardChanges(core, { since: full.version, epoch: full.epoch })
    expect(delta).toMatchObject({ kind: 'delta', from: full.version, version: full.version + 1, removed: [] })
    expect(delta.cards.map((c) => [c.number, c.stage])).toEqual([[1005, 'needs-review']])
    // Nothing since: an empty delta.
    expect(await boardChanges(core, { since: delta.version, epoch: delta.epoch })).toMatchObject({ kind: 'delta', cards: [], removed: [] })
    // Bad input is refused at the boundary.
    expect((await core.call('issues.boardChanges', { since: -1 })).ok).toBe(false)

    await core.close()
    cores.splice(0)
    const again = await start(dataDir)
    const after = await boardChanges(again, { since: delta.version, epoch: delta.epoch })
    expect(after.kind).toBe('full')
    expect(after.epoch).not.toBe(full.epoch)
    expect(after.cards.find((c) => c.number === 1005)?.stage).toBe('needs-review')
  })
})
