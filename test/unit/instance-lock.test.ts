import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { paths } from '../../src/main/data-dir'
import { acquireLock, readLock } from '../../src/main/instance-lock'

const tmp = () => mkdtempSync(join(tmpdir(), 'baton-lock-'))

it('a second holder on the same folder is refused and told who holds it', () => {
  const dir = tmp()
  const lock = acquireLock(dir, 'headless')
  lock.update({ url: 'http://127.0.0.1:1234/?token=secret-token' })
  // The same process counts as the holder; simulate another live process with our parent's pid.
  writeFileSync(paths.lock(dir), JSON.stringify({ ...lock.info, pid: process.ppid }))
  expect(() => acquireLock(dir, 'desktop')).toThrow(/Another Baton \(headless, pid \d+ at http:\/\/127\.0\.0\.1:1234\/\?token=…\)/)
  expect(readLock(dir)?.pid).toBe(process.ppid)
})

it('a lock left by a dead process is taken over', () => {
  const dir = tmp()
  // A pid that surely is gone: a child that already exited.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
  writeFileSync(paths.lock(dir), JSON.stringify({ pid: Number(dead), mode: 'headless', startedAt: 'x' }))
  expect(readLock(dir)).toBeNull()
  const lock = acquireLock(dir, 'headless')
  expect(readLock(dir)?.pid).toBe(process.pid)
  lock.release()
  expect(existsSync(paths.lock(dir))).toBe(false)
})

it('a garbage lock file does not block the start', () => {
  const dir = tmp()
  writeFileSync(paths.lock(dir), 'not json')
  acquireLock(dir, 'desktop').release()
})
