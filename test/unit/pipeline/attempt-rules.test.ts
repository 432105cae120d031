// Parallel attempts' pure rules (issue #15): the count from the label and the
// repository's setting, each attempt's branch (and that branchAllowed takes
// exactly that one), the provider list taken in turn, and the summary's words.
import { describe, expect, it } from 'vitest'
import { attemptBranch, attemptCount, attemptProvider, attemptsLabel, attemptsSummary, parseAttemptProvider } from '../../../src/main/pipeline/attempt-rules'
import { branchAllowed } from '../../../src/main/pipeline/effects'
import { branchFor } from '../../../src/main/pipeline/instructions'

describe('how many attempts', () => {
  it('is the label attempts:N when there is a good one, which wins over the repository setting', () => {
    expect(attemptCount(['in-progress', 'attempts:3'], 1)).toBe(3)
    expect(attemptCount(['attempts:2'], 5)).toBe(2)
    expect(attemptCount(['ATTEMPTS:4'], null)).toBe(4)
    expect(attemptCount(['attempts: 5'], 1)).toBe(5)
  })
  it('is the repository setting without a label, 1 by default, never above 5', () => {
    expect(attemptCount(['in-progress'], 3)).toBe(3)
    expect(attemptCount([], undefined)).toBe(1)
    expect(attemptCount([], null)).toBe(1)
    expect(attemptCount([], 9)).toBe(5)
    expect(attemptCount([], 0)).toBe(1)
    expect(attemptCount([], 2.5)).toBe(1)
  })
  it('ignores a bad label, says why, and falls back to the setting', () => {
    for (const label of ['attempts:0', 'attempts:6', 'attempts:three', 'attempts:', 'attempts:2.5', 'attempts:-1']) {
      expect(attemptsLabel([label])).toEqual({ count: null, problem: `label "${label}" ignored: expected attempts:1 to attempts:5` })
      expect(attemptCount([label], 2)).toBe(2)
    }
    expect(attemptsLabel(['bug'])).toEqual({ count: null, problem: null })
    // The first attempts label counts.
    expect(attemptCount(['attempts:2', 'attempts:4'], 1)).toBe(2)
  })
})

describe("each attempt's branch", () => {
  const base = branchFor(12, 'Add a power function')
  it('is the issue branch for attempt 1 and -aN for the others', () => {
    expect(base).toBe('baton/12-add-a-power-function')
    expect([1, 2, 3, 4, 5].map((i) => attemptBranch(base, i))).toEqual([base, `${base}-a2`, `${base}-a3`, `${base}-a4`, `${base}-a5`])
    expect(() => attemptBranch(base, 0)).toThrow('Expected an attempt index from 1 to 5, got 0')
    expect(() => attemptBranch(base, 6)).toThrow('got 6')
  })
  it('is the only branch its task may push: not attempt 1\'s, not another attempt\'s, not the default branch', () => {
    const issue = { number: 12, title: 'Add a power function', labels: [] }
    const second = { taskBranch: attemptBranch(base, 2), defaultBranch: 'main', issue }
    expect(branchAllowed(attemptBranch(base, 2), second)).toBe(true)
    expect(branchAllowed(base, second)).toBe(false)
    expect(branchAllowed(attemptBranch(base, 3), second)).toBe(false)
    expect(branchAllowed('main', second)).toBe(false)
    expect(branchAllowed(`${attemptBranch(base, 2)}x`, second)).toBe(false)
    const first = { taskBranch: base, defaultBranch: 'main', issue }
    expect(branchAllowed(attemptBranch(base, 2), first)).toBe(false)
    expect(branchAllowed(base, first)).toBe(true)
  })
})

describe('providers taken in turn', () => {
  const list = ['claude-code:claude-sonnet-4-5', 'codex:gpt-5', 'builtin']
  it('gives attempt i entry (i - 1) mod n', () => {
    expect([1, 2, 3, 4, 5].map((i) => attemptProvider(list, i))).toEqual([
      { provider: 'claude-code', model: 'claude-sonnet-4-5' },
      { provider: 'codex', model: 'gpt-5' },
      { provider: 'builtin', model: null },
      { provider: 'claude-code', model: 'claude-sonnet-4-5' },
      { provider: 'codex', model: 'gpt-5' }
    ])
  })
  it("is the role's own with no list", () => {
    expect(attemptProvider([], 2)).toBeNull()
  })
  it('refuses an unknown provider or a model with spaces, naming the entry', () => {
    expect(parseAttemptProvider('gpt:4')).toBe('"gpt:4": expected a provider (builtin, claude-code, codex, command), optionally followed by :model')
    expect(parseAttemptProvider('codex:gpt 5')).toBe('"codex:gpt 5": expected a model name without spaces after "codex:"')
    expect(parseAttemptProvider(' command ')).toEqual({ provider: 'command', model: null })
  })
})

describe("a group's words", () => {
  it('counts passed, failed, running (working or testing) and stopped', () => {
    expect(attemptsSummary(['passed', 'failed', 'testing'])).toBe('3 attempts: 1 passed, 1 failed, 1 running')
    expect(attemptsSummary(['working', 'working'])).toBe('2 attempts: 2 running')
    expect(attemptsSummary(['passed', 'failed', 'stopped'])).toBe('3 attempts: 1 passed, 1 failed, 1 stopped')
    expect(attemptsSummary(['failed'])).toBe('1 attempt: 1 failed')
  })
})
