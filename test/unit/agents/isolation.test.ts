import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { detectIsolation } from '../../../src/main/agents/isolation'

const hasBwrap = spawnSync('bwrap', ['--version']).status === 0

function dataFolder() {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-iso-'))
  const ipc = join(dataDir, 'ipc')
  const workspaces = join(dataDir, 'workspaces')
  mkdirSync(join(dataDir, 'secrets'), { recursive: true })
  writeFileSync(join(dataDir, 'secrets', 'github.json'), '{"token":"ghp_secret"}')
  writeFileSync(join(dataDir, 'baton.lock'), '{"token":"api-secret"}')
  return { dataDir, ipc, workspaces }
}

describe('detectIsolation', () => {
  it('says what is missing and what to do when bubblewrap is not there', () => {
    const { dataDir, ipc } = dataFolder()
    const iso = detectIsolation({ dataDir, shared: [ipc], bwrapPath: '/nonexistent/bwrap', platform: 'linux' })
    expect(iso.kind).toBe('none')
    expect(iso.detail).toMatch(/not isolated: bubblewrap \(bwrap\) was not found.*apt install bubblewrap/)
    expect(iso.wrap({ execPath: 'node', args: ['runner.js'] })).toEqual({ execPath: 'node', args: ['runner.js'] })
  })

  it('a person can turn it off, and other platforms say they have none', () => {
    const { dataDir, ipc } = dataFolder()
    expect(detectIsolation({ dataDir, shared: [ipc], env: { BATON_AGENT_ISOLATION: 'none' } }).detail).toMatch(/BATON_AGENT_ISOLATION=none/)
    expect(detectIsolation({ dataDir, shared: [ipc], platform: 'darwin', env: {} }).kind).toBe('none')
  })

  it('refuses to hide a data folder that holds the home folder', () => {
    const home = mkdtempSync(join(tmpdir(), 'baton-home-'))
    const iso = detectIsolation({ dataDir: join(home, '..'), shared: [], home, platform: 'linux', env: {} })
    expect(iso.kind).toBe('none')
    expect(iso.detail).toMatch(/contains the home folder/)
  })

  it.skipIf(!hasBwrap)('in the sandbox: no other process, the data folder empty but for ipc/ and workspaces/', () => {
    const { dataDir, ipc, workspaces } = dataFolder()
    const iso = detectIsolation({ dataDir, shared: [ipc, workspaces], env: {} })
    expect(iso.kind).toBe('bubblewrap')
    const script = [
      "const fs = require('fs')",
      "const pids = fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))",
      `fs.writeFileSync(${JSON.stringify(join(ipc, 'seen'))}, 'written from inside')`,
      `console.log(JSON.stringify({ pids, ppid: process.ppid, data: fs.readdirSync(${JSON.stringify(dataDir)}).sort() }))`
    ].join(';')
    const { execPath, args } = iso.wrap({ execPath: process.execPath, args: ['-e', script] })
    const run = spawnSync(execPath, args, { encoding: 'utf8' })
    expect(run.status, run.stderr).toBe(0)
    const seen = JSON.parse(run.stdout) as { pids: string[]; ppid: number; data: string[] }
    // bubblewrap's init and the runner: nothing of main, nothing else.
    expect(seen.pids.length).toBeLessThanOrEqual(3)
    expect(seen.ppid).toBeLessThanOrEqual(2)
    expect(seen.data).toEqual(['ipc', 'workspaces'])
    // What the agent writes in its shared folders is there for main.
    expect(spawnSync('cat', [join(ipc, 'seen')], { encoding: 'utf8' }).stdout).toBe('written from inside')
  })
})
