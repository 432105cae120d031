// The provider and model one parallel attempt runs on (issue #15): its own
// model on the instance's provider, builtin or command instead (no key), and
// never another model provider, whose key this instance does not hold.
import { describe, expect, it } from 'vitest'
import { attemptRun } from '../../../src/main/agents/attempt-provider'

const claude = { provider: 'claude-code', model: 'claude-sonnet-4-5', timeLimitSec: 60 }

describe('an attempt provider', () => {
  it('changes nothing without one', () => {
    expect(attemptRun(claude, undefined)).toEqual({ settings: claude, note: null })
    expect(attemptRun(claude, { index: 2, of: 3 })).toEqual({ settings: claude, note: null })
  })
  it("runs the attempt's model on the instance's own provider", () => {
    expect(attemptRun(claude, { index: 1, of: 2, provider: 'claude-code', model: 'claude-opus-4-1' }).settings).toEqual({ ...claude, model: 'claude-opus-4-1' })
    expect(attemptRun(claude, { index: 1, of: 2, provider: 'claude-code' }).settings).toEqual(claude)
  })
  it('runs builtin, and command when the role names one, since neither needs a key', () => {
    expect(attemptRun(claude, { index: 3, of: 3, provider: 'builtin' })).toEqual({ settings: { ...claude, provider: 'builtin' }, note: null })
    const withCommand = { ...claude, command: 'node fix.mjs' }
    expect(attemptRun(withCommand, { index: 2, of: 2, provider: 'command' }).settings.provider).toBe('command')
    expect(attemptRun(claude, { index: 2, of: 2, provider: 'command' }).note).toBe('attempt 2 of 2 asked for command, but its role names no command: it runs on claude-code (claude-sonnet-4-5)')
  })
  it("never another model provider: it runs on its own and says why", () => {
    const r = attemptRun(claude, { index: 2, of: 3, provider: 'codex', model: 'gpt-5' })
    expect(r.settings).toEqual(claude)
    expect(r.note).toBe("attempt 2 of 3 asked for codex:gpt-5, but codex's key goes only to codex's agents, and this instance runs claude-code: it runs on claude-code (claude-sonnet-4-5)")
  })
})
