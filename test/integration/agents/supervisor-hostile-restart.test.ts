// What an earlier run left at a protocol path — a directory, a symlink (to a
// secret outside, or to a FIFO), a FIFO or a Unix socket — once crashed main
// at every start (a FIFO hung it) until someone removed it by hand. Main runs
// in a process of its own (hostile-entries.ts), with a real runner and files.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ensureIpcDirs, ipcPaths } from '../../../src/main/agents/file-ipc'
import { answerTo, cleanUp, entryAt, everything, Host, KINDS, outsideIntact, plant, REASON, startedHost, trigger, type Planted } from './hostile-entries'

const hosts: Host[] = []
const planted: Planted[] = []
afterEach(() => cleanUp(hosts, planted))
const host = (ipcDir: string) => startedHost(ipcDir, hosts)

describe('a clean start whatever an earlier run left', () => {
  for (const kind of KINDS) {
    it(`a ${kind} left at the response path by an earlier run: the next start neither hangs nor crashes, errors the pending task, and the one after is clean`, async () => {
      const ipcDir = mkdtempSync(join(tmpdir(), 'baton-hostile-'))
      const path = ipcPaths(ipcDir).response('pm')
      const first = await host(ipcDir)
      const t = trigger('slow 1000')
      first.send({ cmd: 'dispatch', trigger: t })
      await first.waitFor('the dispatch', (l) => l.event === 'dispatched' && l.data === t.task)
      await first.stop() // main goes away with the task pending
      const p = await plant(kind, path)
      planted.push(p)

      const second = new Host(ipcDir)
      hosts.push(second)
      await second.started()
      const answer = await second.waitFor(`an answer for ${t.task}`, answerTo(t.task))
      expect(answer.data.parsed).toMatchObject({ status: 'error', statusText: expect.stringMatching(REASON[kind]) })
      await second.ping()
      expect(outsideIntact(p)).toBe(true)
      if (p.secret) expect(everything(second)).not.toContain(p.secret)
      // The runner ran the pending trigger again meanwhile: its answer is stale now.
      await second.waitFor('the runner’s own late answer', (l) => l.event === 'stale' && l.data.task === t.task, 45_000)
      await second.stop()
      expect(['missing', 'file']).toContain(entryAt(path))

      const third = await host(ipcDir)
      await third.ping()
      expect(everything(third)).not.toMatch(/response path|trigger path/)
      const next = trigger('echo')
      third.send({ cmd: 'dispatch', trigger: next })
      expect((await third.waitFor(`an answer for ${next.task}`, answerTo(next.task))).data.parsed.status).toBe('done')
    }, 150_000) // three starts of main, each booting tsx and a runner
  }

  it('the trigger folder too: whatever is planted at a trigger path is removed at start, unread, and dispatching there works', async () => {
    const ipcDir = mkdtempSync(join(tmpdir(), 'baton-hostile-'))
    const path = ipcPaths(ipcDir).trigger('pm')
    ensureIpcDirs(ipcDir)
    for (const kind of KINDS) {
      const p = await plant(kind, path)
      planted.push(p)
      const h = await host(ipcDir)
      await h.ping()
      const note = await h.waitFor('a note of what was removed', (l) => l.event === 'progress' && /trigger path/.test(l.data.line))
      expect(note.data.line).toMatch(REASON[kind])
      expect(entryAt(path)).toBe('file') // removed, and the warm-up's trigger written in its place
      expect(outsideIntact(p)).toBe(true)
      if (p.secret) expect(everything(h)).not.toContain(p.secret)
      const t = trigger('echo')
      h.send({ cmd: 'dispatch', trigger: t })
      expect((await h.waitFor(`an answer for ${t.task}`, answerTo(t.task))).data.parsed.status).toBe('done')
      await h.stop()
      hosts.splice(hosts.indexOf(h), 1)
    }
  }, 240_000) // five starts

})
