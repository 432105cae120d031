// The file-type half of the malformed-response suite (issue #11): whatever is
// at a protocol path, file-ipc reads only a regular file, never follows a link
// or blocks on a FIFO, caps what it reads on the opened fd, and removes the
// rest without touching what a link points to. Real files, FIFOs and sockets.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { ensureIpcDirs, ipcPaths, readEntry, readIfExists, removeEntry } from '../../../src/main/agents/file-ipc'
import { entryAt, KINDS, outsideIntact, plant, REASON, type Planted } from './hostile-entries'

const planted: Planted[] = []
afterEach(async () => {
  await Promise.all(planted.splice(0).map((p) => p.close()))
})

describe('protocol paths hold regular files or nothing', () => {
  it('a planted entry of any kind, at a response or trigger path, is refused unread, named, and removed; a link’s target is left alone', async () => {
    const ipcDir = mkdtempSync(join(tmpdir(), 'baton-entries-'))
    ensureIpcDirs(ipcDir)
    const paths = ipcPaths(ipcDir)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...KINDS), fc.constantFrom('response', 'trigger'), fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), async (kind, which, agent) => {
        const path = which === 'response' ? paths.response(agent) : paths.trigger(agent)
        const p = await plant(kind, path)
        try {
          const started = performance.now()
          const entry = readEntry(path, 1024)
          expect(performance.now() - started).toBeLessThan(1000) // a FIFO never blocks
          expect(entry.kind).toBe('refused')
          expect(entry.kind === 'refused' && entry.reason).toMatch(REASON[kind])
          expect(readIfExists(path)).toBeNull()
          if (p.secret) expect(JSON.stringify(entry)).not.toContain(p.secret)
          expect(removeEntry(path)).toBe(true)
          expect(entryAt(path)).toBe('missing')
          expect(outsideIntact(p)).toBe(true)
        } finally {
          await p.close()
        }
      }),
      { numRuns: 150 }
    )
  })

  it('a regular file is read whole up to the cap, and past it only its head, with its full size from the opened fd', () => {
    const ipcDir = mkdtempSync(join(tmpdir(), 'baton-entries-'))
    ensureIpcDirs(ipcDir)
    const path = ipcPaths(ipcDir).response('pm')
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 500 }), (text, cap, head) => {
        writeFileSync(path, text)
        const size = Buffer.byteLength(text)
        const entry = readEntry(path, cap, { headBytes: head })
        expect(entry.kind).toBe('file')
        if (entry.kind !== 'file') return
        expect(entry.size).toBe(size)
        if (size <= cap) expect(entry.text).toBe(text)
        else expect(entry.text).toBe(Buffer.from(text).subarray(0, head).toString('utf8')) // never more than the head
      }),
      { numRuns: 300 }
    )
    removeEntry(path)
    expect(readEntry(path, 10)).toEqual({ kind: 'missing' })
  })
})
