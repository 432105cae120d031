// The trust policy's approval label and a custom pipeline's labels: the wait
// names the label in force, only a person may set it (an agent asking for it,
// or for the default one, is refused), and the labels a pipeline needs.
import { describe, expect, it } from 'vitest'
import { labelsFor } from '../../../src/main/github/label-bootstrap'
import { defaultPipeline, parsePipeline } from '../../../src/main/pipeline/definition'
import { planEffects, type AgentAnswer, type EffectContext } from '../../../src/main/pipeline/effects'
import { schedule } from '../../../src/main/pipeline/scheduler'

const outsider = { repoId: 1, number: 7, labels: ['backlog'], body: '', createdAt: '2026-01-01T00:00:00Z', trusted: false, outsideAuthor: true }
const input = (approvalLabel?: string) => ({
  pipeline: defaultPipeline,
  issues: [outsider],
  busy: new Set<string>(),
  sideLaneDone: new Set(['1#7:community']),
  isClosed: () => false,
  idle: new Map([['pm', ['pm']]]),
  parallelPrs: false,
  approvalLabel
})

describe('trust', () => {
  it('an untrusted issue waits, naming the approval label in force', () => {
    expect(schedule(input()).waiting[0]?.reason).toBe('waits for a maintainer to approve it (label "approved"): the author is not trusted')
    expect(schedule(input('ok-to-run')).waiting[0]?.reason).toBe('waits for a maintainer to approve it (label "ok-to-run"): the author is not trusted')
  })

  it('an agent can set neither the approval label in force nor the default one', () => {
    const answer: AgentAnswer = { status: 'done', text: 'Triaged', move: null, branch: null, handoffs: [], labels: ['bug', 'ok-to-run', 'approved'], body: '' }
    const ctx: EffectContext = {
      pipeline: defaultPipeline,
      taskId: 't_1',
      role: 'pm',
      taskStage: 'backlog',
      currentStage: 'backlog',
      issue: { number: 4, title: 'x', labels: ['backlog'] },
      handoffsSoFar: 0,
      handoffCap: 5,
      loopsSoFar: 0,
      loopCap: 3,
      roles: ['pm'],
      testPlan: null,
      approvalLabel: 'ok-to-run',
      taskBranch: 'baton/4-x',
      defaultBranch: 'main'
    }
    const plan = planEffects(answer, ctx)
    expect(plan.refused).toEqual(['label "ok-to-run" can only be set by a stage move or a person', 'label "approved" can only be set by a stage move or a person'])
    expect(plan.effects).toContainEqual({ kind: 'labels', add: ['bug'], remove: [] })
  })

  it("a pipeline's labels: its stages with their colours, the triage labels, and the approval label", () => {
    const p = parsePipeline('stages:\n  - { label: intake, owner: pm, color: 1d76db, description: PM triages, next: [shipped] }\n  - { label: shipped, title: Shipped }\n')
    const labels = labelsFor(p.stages, 'ok-to-run')
    expect(labels.slice(0, 2)).toEqual([
      { name: 'intake', color: '1d76db', description: 'Baton: PM triages' },
      { name: 'shipped', color: 'ededed', description: 'Baton: Shipped' }
    ])
    expect(labels.map((l) => l.name)).toEqual(['intake', 'shipped', 'bug', 'feature', 'docs', 'chore', 'priority:urgent', 'priority:normal', 'priority:low', 'ok-to-run'])
    expect(labels.map((l) => l.name)).not.toContain('backlog')
    expect(labelsFor(defaultPipeline.stages).map((l) => l.name)).toContain('approved')
  })
})
