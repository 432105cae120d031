// Stages owned by a capability (issue #15, DESIGN.md §4): what checkPipeline
// takes and the words it refuses with; role.yml's capabilities; the move rules
// and the scheduler's routing (`route: any` by priority, `route: all` to every
// capable online instance, and the wait when none is online).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadRole } from '../../../src/main/agents/roles'
import { roleConfig } from '../../../src/main/agents/role-config'
import { checkPipeline, parsePipeline } from '../../../src/main/pipeline/definition'
import { checkMove } from '../../../src/main/pipeline/rules'
import { schedule } from '../../../src/main/pipeline/scheduler'
import { workspaceModeOf } from '../../../src/main/pipeline/capabilities'
import type { AgentPresence } from '../../../src/main/pipeline/ports'

const stages = (review: Record<string, unknown>) => ({
  stages: [
    { label: 'in-progress', owner: 'engineer', next: ['needs-code-review'] },
    { label: 'needs-code-review', ...review, next: ['needs-review', 'in-progress'] },
    { label: 'needs-review', next: ['done'] },
    { label: 'done' }
  ]
})

const refused = (raw: unknown): string => {
  try {
    checkPipeline(raw, '.baton/pipeline.yml', ['engineer', 'tester'])
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected checkPipeline to refuse it')
}

describe('checkPipeline: capability stages', () => {
  it('takes capability with route any or all, a join with all, and defaults route to any', () => {
    const any = checkPipeline(stages({ capability: 'review' }), 'x', ['engineer'])
    expect(any.stages[1]).toMatchObject({ owner: null, capability: 'review', route: 'any' })
    const all = parsePipeline(
      'stages:\n  - { label: a, owner: engineer, next: [b] }\n  - { label: b, capability: review, route: all, join: review, workspace: pr, onCritical: a, next: [c] }\n  - { label: c }\n',
      'x',
      ['engineer']
    )
    expect(all.stages[1]).toMatchObject({ capability: 'review', route: 'all', join: 'review', workspace: 'pr', onCritical: 'a' })
    // A role-owned stage is as it was: no routing fields.
    expect(all.stages[0]).toEqual({ label: 'a', owner: 'engineer', title: 'a', description: '', color: 'ededed', next: ['b'] })
  })

  it('refuses both an owner and a capability, naming the stage', () => {
    expect(refused(stages({ owner: 'tester', capability: 'review' }))).toBe(
      '.baton/pipeline.yml: stages.1: a stage is owned by a role (owner: tester) or by a capability (capability: review), not both'
    )
  })

  it('refuses route, join or workspace without a capability', () => {
    expect(refused(stages({ owner: 'tester', route: 'all' }))).toBe('.baton/pipeline.yml: stages.1.route: only a stage owned by a capability has a route (add "capability: <name>", e.g. review)')
    expect(refused(stages({ route: 'any' }))).toMatch(/stages\.1\.route: only a stage owned by a capability has a route/)
    expect(refused(stages({ owner: 'tester', join: 'review' }))).toMatch(/stages\.1\.join: only a stage owned by a capability has a join/)
    expect(refused(stages({ owner: 'tester', workspace: 'pr' }))).toMatch(/stages\.1\.workspace: only a stage owned by a capability/)
  })

  it('refuses a join on route any, a bad route, a bad capability name, and an onCritical that is no stage', () => {
    expect(refused(stages({ capability: 'review', join: 'review' }))).toBe('.baton/pipeline.yml: stages.1.join: a join merges a fan-out\'s answers: it needs "route: all" (route is any)')
    expect(refused(stages({ capability: 'review', route: 'some' }))).toBe('.baton/pipeline.yml: stages.1.route: route is "any" (the first free capable agent) or "all" (one task per capable agent)')
    expect(refused(stages({ capability: 'Review!' }))).toMatch(/stages\.1\.capability: a capability is lowercase letters, digits and dashes/)
    expect(refused(stages({ capability: 'review', route: 'all', onCritical: 'nowhere' }))).toBe('.baton/pipeline.yml: stages.1.onCritical: no stage is labelled "nowhere"')
  })

  it('refuses a final stage owned by a capability', () => {
    expect(refused({ stages: [{ label: 'a', owner: 'engineer', next: ['b'] }, { label: 'b', capability: 'review' }] })).toBe(
      '.baton/pipeline.yml: done: the final stage "b" cannot be owned by a capability (no agent closes an issue)'
    )
  })
})

describe('role.yml capabilities', () => {
  const role = (yml: string) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'baton-cap-')), 'agents', 'reviewer')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'role.md'), 'Review the change.')
    writeFileSync(join(dir, 'role.yml'), yml)
    return () => loadRole(dir)
  }
  it('reads capabilities and priority, defaults none and 0; Settings → Roles lists them', () => {
    const loaded = role('capabilities: [review, security]\npriority: 5\n')()
    expect(loaded.settings).toMatchObject({ capabilities: ['review', 'security'], priority: 5 })
    expect(roleConfig(loaded, undefined, 1)).toMatchObject({ name: 'reviewer', capabilities: ['review', 'security'], priority: 5 })
    expect(role('description: x\n')().settings).toMatchObject({ capabilities: [], priority: 0 })
  })
  it('refuses a bad capability with the file and field', () => {
    expect(role('capabilities: [Review]\n')).toThrow(/role\.yml: field "capabilities\.0": a capability is lowercase letters/)
    expect(role('capabilities: review\n')).toThrow(/role\.yml: field "capabilities"/)
  })
})

describe('moves out of a capability stage', () => {
  const pipeline = checkPipeline(stages({ capability: 'review', route: 'all' }), 'x')
  const move = { from: 'needs-code-review', to: 'needs-review', current: 'needs-code-review' }
  it('a capable role, or the fan-out parent, may move it on; another role may not', () => {
    expect(checkMove(pipeline, { ...move, role: 'lint', capabilities: ['review'] })).toEqual({ ok: true })
    expect(checkMove(pipeline, { ...move, role: '@review' })).toEqual({ ok: true })
    expect(checkMove(pipeline, { ...move, role: 'tester', capabilities: ['python'] })).toEqual({ ok: false, reason: 'tester does not own "needs-code-review" (owner: agents that can review)' })
  })
  it('workspace: the PR head after an Engineer stage by default, or as the stage says', () => {
    expect(workspaceModeOf(pipeline, 'needs-code-review', 'lint')).toBe('test')
    expect(workspaceModeOf(checkPipeline(stages({ capability: 'review', workspace: 'none' }), 'x'), 'needs-code-review', 'lint')).toBeNull()
    expect(workspaceModeOf(checkPipeline(stages({ capability: 'review', workspace: 'default' }), 'x'), 'needs-code-review', 'lint')).toBe('read')
    expect(workspaceModeOf(pipeline, 'in-progress', 'engineer')).toBe('write')
  })
})

describe('the scheduler routes by capability', () => {
  const issue = { repoId: 1, number: 4, labels: ['needs-code-review'], body: '', createdAt: '2026-01-01T00:00:00Z', trusted: true, outsideAuthor: false }
  const p = (agent: string, role: string, priority: number, online = true, capabilities = ['review']): AgentPresence => ({ agent, role, capabilities, priority, online })
  const base = (route: 'any' | 'all', presence: AgentPresence[], idle: Array<[string, string[]]>) =>
    schedule({
      pipeline: checkPipeline(stages({ capability: 'review', route }), 'x'),
      issues: [issue],
      busy: new Set(),
      sideLaneDone: new Set(),
      isClosed: () => false,
      idle: new Map(idle),
      parallelPrs: true,
      presence
    })

  it('route any: the free capable online instance with the highest priority, then by name', () => {
    const plan = base('any', [p('lint', 'lint', 0), p('sec', 'sec', 5), p('tests', 'tests', 5), p('off', 'off', 9, false)], [['lint', ['lint']], ['sec', ['sec']], ['tests', ['tests']], ['off', ['off']]])
    expect(plan.start).toEqual([{ repoId: 1, issue: 4, stage: 'needs-code-review', role: 'sec', agent: 'sec' }])
  })

  it('waits and says so: no online instance has the capability, or none is free', () => {
    expect(base('any', [p('lint', 'lint', 0, false), p('eng', 'engineer', 0, true, ['python'])], [['engineer', ['eng']]]).waiting).toEqual([
      { repoId: 1, issue: 4, reason: 'waits for an online agent that can review' }
    ])
    expect(base('all', [p('lint', 'lint', 0)], []).waiting).toEqual([{ repoId: 1, issue: 4, reason: 'waits for a free agent that can review' }])
  })

  it('route all: one fan-out over every capable online instance (a busy one included), the free ones taken', () => {
    const plan = base('all', [p('lint', 'lint', 0), p('sec', 'sec', 1), p('tests', 'tests', 0), p('off', 'off', 0, false)], [['lint', ['lint']], ['sec', ['sec']]])
    expect(plan.start).toEqual([
      { repoId: 1, issue: 4, stage: 'needs-code-review', role: '@review', agent: '@review', fanout: [{ agent: 'sec', role: 'sec' }, { agent: 'lint', role: 'lint' }, { agent: 'tests', role: 'tests' }] }
    ])
  })
})
