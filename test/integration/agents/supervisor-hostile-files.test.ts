// A response path holds a regular file or nothing (DESIGN.md §5). An agent
// that plants a directory, a symlink (to a secret outside, or to a FIFO), a
// FIFO or a Unix socket there once crashed main — a FIFO hung it — and did so
// again at every start (that half: supervisor-hostile-restart.test.ts). Main
// runs here in a process of its own (a blocking open would freeze this test's
// thread), with a real runner and real files.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ipcPaths } from '../../../src/main/agents/file-ipc'
import { answerTo, cleanUp, entryAt, everything, KINDS, outsideIntact, plant, REASON, startedHost, trigger, type Host, type Planted } from './hostile-entries'

const hosts: Host[] = []
const planted: Planted[] = []
afterEach(() => cleanUp(hosts, planted))
const host = (ipcDir: string) => startedHost(ipcDir, hosts)

describe('the response folder holds only files', () => {
  for (const kind of KINDS) {
    it(`a ${kind} at the response path is an ERROR for the agent's task, never followed or read; main goes on, the agent gets work again`, async () => {
      const ipcDir = mkdtempSync(join(tmpdir(), 'baton-hostile-'))
      const path = ipcPaths(ipcDir).response('pm')
      const h = await host(ipcDir)
      const t = trigger('slow 1500')
      h.send({ cmd: 'dispatch', trigger: t })
      await h.waitFor('the dispatch', (l) => l.event === 'dispatched' && l.data === t.task)
      await new Promise((r) => setTimeout(r, 300)) // the agent has picked it up (it plants while it works)
      const p = await plant(kind, path)
      planted.push(p)

      const answer = await h.waitFor(`an answer for ${t.task}`, answerTo(t.task))
      expect(answer.data.parsed.status).toBe('error')
      expect(answer.data.parsed.statusText).toMatch(/^The response path /)
      expect(answer.data.parsed.statusText).toMatch(REASON[kind])
      expect(answer.data.parsed.statusText).toMatch(/\(removed unread\)/)
      expect(answer.data.attempt).toBe(1)
      await h.ping()
      // Removed (what the agent writes next is a file), and whatever a link pointed to is untouched and unread.
      expect(['missing', 'file']).toContain(entryAt(path))
      expect(outsideIntact(p)).toBe(true)
      if (p.secret) expect(everything(h)).not.toContain(p.secret)

      // The same instance is free for work at once, and does it once its slow task is over.
      const next = trigger('echo')
      h.send({ cmd: 'dispatch', trigger: next })
      const done = await h.waitFor(`an answer for ${next.task}`, answerTo(next.task))
      expect(done.data.parsed.status).toBe('done')
      // Its own late answer to the first task was recorded as stale, not reported twice.
      await h.waitFor('the stale late answer', (l) => l.event === 'stale' && l.data.task === t.task)
      expect(h.lines.filter(answerTo(t.task))).toHaveLength(1)
      expect(h.exit).toBeNull()
    }, 120_000)
  }

  it('a directory at the trigger path while main runs: the next dispatch replaces it (a rename cannot replace a directory)', async () => {
    const ipcDir = mkdtempSync(join(tmpdir(), 'baton-hostile-'))
    const h = await host(ipcDir)
    planted.push(await plant('directory', ipcPaths(ipcDir).trigger('pm')))
    const t = trigger('echo')
    h.send({ cmd: 'dispatch', trigger: t })
    expect((await h.waitFor(`an answer for ${t.task}`, answerTo(t.task))).data.parsed.status).toBe('done')
    expect(entryAt(ipcPaths(ipcDir).trigger('pm'))).toBe('file')
  }, 120_000)
})
