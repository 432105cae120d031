// "Try the sandbox": the desktop restarts itself into the sandbox (or out of
// it) through its hook; headless Baton, which has none, names the command.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import type { AppStatus } from '../../../src/shared/api'

const opened: Array<{ core: Core; dir: string }> = []
async function open(switchMode?: (sandbox: boolean) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'baton-switch-'))
  const core = await createCore({ dataDir: dir, mode: switchMode ? 'desktop' : 'headless', log: createLogger({ level: 'error' }), env: {}, startAgents: false, switchMode })
  opened.push({ core, dir })
  return core
}
afterEach(async () => {
  for (const { core, dir } of opened.splice(0)) {
    await core.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

describe('switching into the sandbox', () => {
  it('the desktop answers, then restarts through its hook, and says it can', async () => {
    const calls: boolean[] = []
    const core = await open((sandbox) => calls.push(sandbox))
    const status = await core.call('app.status', {})
    expect(status.ok && (status.data as AppStatus).canSwitchMode).toBe(true)
    expect(await core.call('app.switchMode', { sandbox: true })).toEqual({ ok: true, data: { restarting: true } })
    expect(calls).toEqual([])
    await new Promise((r) => setTimeout(r, 120))
    expect(calls).toEqual([true])
  })

  it('headless cannot restart itself and names the command instead', async () => {
    const core = await open()
    const status = await core.call('app.status', {})
    expect(status.ok && (status.data as AppStatus).canSwitchMode).toBe(false)
    const r = await core.call('app.switchMode', { sandbox: true })
    expect(r.ok).toBe(false)
    expect(!r.ok && r.error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('baton serve --sandbox') })
    expect((await core.call('app.switchMode', { sandbox: 'yes' })).ok).toBe(false)
  })
})
