import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { paths } from '../../src/main/data-dir'
import { acquireLock, readLock } from '../../src/main/instance-lock'
import { processIdentity } from '../../src/main/process-identity'

const tmp = () => mkdtempSync(join(tmpdir(), 'baton-lock-'))
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

/** Another Baton process that takes the folder's lock (the real acquireLock, from source) and keeps it. */
async function holdingBaton(dir: string): Promise<ChildProcess> {
  const code =
    `import('./src/main/instance-lock.ts').then((m) => { const lock = m.acquireLock(${JSON.stringify(dir)}, 'headless'); ` +
    `lock.update({ url: 'http://127.0.0.1:1234/?token=secret-token' }); console.log('locked'); setInterval(() => {}, 1000) })`
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let err = ''
  child.stderr!.on('data', (c) => (err += c))
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c) => String(c).includes('locked') && resolve())
    child.once('exit', (code) => reject(new Error(`the holder exited ${code}: ${err}`)))
  })
  return child
}

/** A live process that is not Baton: `sleep`, whose PID a stale lock can name after PID reuse. */
function unrelatedProcess(): ChildProcess {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' })
  children.push(child)
  return child
}

it('a second holder on the same folder is refused and told who holds it', async () => {
  const dir = tmp()
  const holder = await holdingBaton(dir)
  expect(() => acquireLock(dir, 'desktop')).toThrow(/Another Baton \(headless, pid \d+ at http:\/\/127\.0\.0\.1:1234\/\?token=…\)/)
  expect(readLock(dir)?.pid).toBe(holder.pid)
  // The refusal left the holder's lock as it was.
  expect(JSON.parse(readFileSync(paths.lock(dir), 'utf8'))).toMatchObject({ pid: holder.pid, identity: processIdentity(holder.pid!) })
})

it('once the holder is gone, its lock is taken over', async () => {
  const dir = tmp()
  const holder = await holdingBaton(dir)
  const exited = new Promise((resolve) => holder.once('exit', resolve))
  holder.kill('SIGKILL')
  await exited
  expect(readLock(dir)).toBeNull()
  const lock = acquireLock(dir, 'desktop')
  expect(readLock(dir)).toMatchObject({ pid: process.pid, mode: 'desktop' })
  lock.release()
})

describe.runIf(process.platform === 'linux')('a lock whose PID now belongs to another process', () => {
  it('is taken over: the PID is alive but its start time is not the holder\'s', async () => {
    const dir = tmp()
    const other = unrelatedProcess()
    await new Promise((resolve) => other.once('spawn', resolve))
    const identity = processIdentity(other.pid!)
    expect(identity).toMatch(/^linux:[0-9a-f-]+:\d+$/)
    // What the lock of a Baton that died before this PID was handed to `sleep` looks like.
    const [, boot, start] = identity!.split(':')
    const stale = `linux:${boot}:${Number(start) - 1}`
    writeFileSync(paths.lock(dir), JSON.stringify({ pid: other.pid, mode: 'headless', startedAt: '2026-01-01T00:00:00.000Z', identity: stale }))
    expect(readLock(dir)).toBeNull()
    const lock = acquireLock(dir, 'headless')
    expect(readLock(dir)).toMatchObject({ pid: process.pid, identity: processIdentity(process.pid) })
    lock.release()
    expect(readdirSync(dir)).toEqual([])
  })

  it('is taken over when the boot id differs (a PID from before a reboot)', () => {
    const dir = tmp()
    const identity = processIdentity(process.ppid)!
    const start = identity.split(':')[2]
    writeFileSync(paths.lock(dir), JSON.stringify({ pid: process.ppid, mode: 'desktop', startedAt: 'x', identity: `linux:00000000-0000-0000-0000-000000000000:${start}` }))
    acquireLock(dir, 'headless').release()
  })

  it('fails safe when the lock records no identity (written by an older Baton): a live PID still holds it', async () => {
    const dir = tmp()
    const other = unrelatedProcess()
    await new Promise((resolve) => other.once('spawn', resolve))
    writeFileSync(paths.lock(dir), JSON.stringify({ pid: other.pid, mode: 'headless', startedAt: 'x' }))
    expect(() => acquireLock(dir, 'desktop')).toThrow(new RegExp(`pid ${other.pid}.*If no Baton runs there, remove .*baton\\.lock`))
    expect(readLock(dir)?.pid).toBe(other.pid)
  })
})

describe('processIdentity', () => {
  it('is the same for one process and different for another, and undefined once it is gone', () => {
    expect(processIdentity(process.pid)).toBe(processIdentity(process.pid))
    expect(processIdentity(process.pid)).toBeDefined()
    expect(processIdentity(process.ppid)).not.toBe(processIdentity(process.pid))
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString())
    expect(processIdentity(dead)).toBeUndefined()
    expect(processIdentity(0)).toBeUndefined()
    expect(processIdentity(-1)).toBeUndefined()
    expect(processIdentity(1.5)).toBeUndefined()
  })

  it.runIf(process.platform === 'linux')('reads the start time past a command name with spaces and parentheses', async () => {
    // A process named `a) b (c`: /proc/<pid>/stat field 2 is then "(a) b (c)".
    const child = spawn('bash', ['-c', 'exec -a "a) b (c" sleep 30'], { stdio: 'ignore' })
    children.push(child)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
    expect(processIdentity(child.pid!)).toMatch(new RegExp(`:${start}$`))
  })

  it('falls back to ps where there is no /proc (macOS, the BSDs) and gives up on Windows', () => {
    expect(processIdentity(process.pid, 'darwin')).toMatch(/^ps:\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}$/)
    expect(processIdentity(process.pid, 'darwin')).toBe(processIdentity(process.pid, 'darwin'))
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString())
    expect(processIdentity(dead, 'darwin')).toBeUndefined()
    expect(processIdentity(process.pid, 'win32')).toBeUndefined()
  })
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

describe('taking over a stale lock, when several start at once', () => {
  const staleLock = (dir: string) => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    const text = JSON.stringify({ pid: Number(dead), mode: 'headless', startedAt: 'x' })
    writeFileSync(paths.lock(dir), text)
    return text
  }

  it('leaves a takeover in progress to whoever holds it, and removes nothing', () => {
    const dir = tmp()
    const text = staleLock(dir)
    writeFileSync(`${paths.lock(dir)}.takeover`, '12345')
    expect(() => acquireLock(dir, 'headless')).toThrow(/another Baton is starting there/)
    expect(readFileSync(paths.lock(dir), 'utf8')).toBe(text)
  })

  it('removes a takeover lock left by a process that died holding it', () => {
    const dir = tmp()
    staleLock(dir)
    const mutex = `${paths.lock(dir)}.takeover`
    writeFileSync(mutex, '12345')
    // Move time rather than wait: the takeover lock is 11 s old.
    const old = new Date(Date.now() - 11_000)
    utimesSync(mutex, old, old)
    const lock = acquireLock(dir, 'headless')
    expect(readLock(dir)?.pid).toBe(process.pid)
    lock.release()
    expect(readdirSync(dir)).toEqual([])
  })
})

it('a garbage lock file does not block the start', () => {
  const dir = tmp()
  for (const garbage of ['not json', '', '{"pid":0,"mode":"headless"}', '{"pid":-1,"mode":"headless"}', '{"pid":"1"}', '{"pid":1,"identity":7}']) {
    writeFileSync(paths.lock(dir), garbage)
    expect(readLock(dir), garbage).toBeNull()
    acquireLock(dir, 'desktop').release()
  }
})
