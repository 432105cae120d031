import { describe, expect, it } from 'vitest'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { planEffects, type AgentAnswer, type EffectContext } from '../../../src/main/pipeline/effects'

const answer = (over: Partial<AgentAnswer> = {}): AgentAnswer => ({ status: 'done', text: 'Did it', move: null, branch: null, handoffs: [], labels: [], body: '', ...over })
const ctx = (over: Partial<EffectContext> = {}): EffectContext => ({
  pipeline: defaultPipeline,
  taskId: 't_1',
  role: 'pm',
  taskStage: 'backlog',
  currentStage: 'backlog',
  issue: { number: 4, title: 'Add sum', labels: ['backlog'] },
  handoffsSoFar: 0,
  handoffCap: 5,
  loopsSoFar: 0,
  loopCap: 3,
  roles: ['pm', 'architect', 'engineer', 'tester', 'marketing', 'community'],
  testPlan: null,
  taskBranch: 'baton/4-add-sum',
  defaultBranch: 'main',
  ...over
})

describe('planEffects', () => {
  it('a triage: signed comment with its marker, a note, type labels and the move in one label change', () => {
    const plan = planEffects(answer({ move: { from: 'backlog', to: 'needs-architecture' }, labels: ['bug', 'priority:normal'], body: 'Triage' }), ctx())
    expect(plan.outcome).toBe('applied')
    expect(plan.effects[0]).toMatchObject({ kind: 'comment', marker: '<!-- baton:task=t_1 baton:role=pm -->' })
    expect((plan.effects[0] as { body: string }).body).toMatch(/^\*\*PM\*\* · via Baton\n\nTriage\n\n<!-- baton:task=t_1/)
    expect(plan.effects).toContainEqual({ kind: 'note', noteKind: 'triage', body: 'Triage' })
    expect(plan.effects).toContainEqual({ kind: 'labels', add: ['needs-architecture', 'bug', 'priority:normal'], remove: ['backlog'] })
  })

  it('refuses a move the role may not make and a stage label smuggled in as a triage label', () => {
    const plan = planEffects(answer({ move: { from: 'backlog', to: 'done' }, labels: ['needs-review', 'approved'] }), ctx())
    expect(plan.refused).toHaveLength(3)
    expect(plan.effects.find((e) => e.kind === 'labels')).toBeUndefined()
    expect(plan.effects.find((e) => e.kind === 'failure')).toBeDefined()
  })

  it('a stale move (a person moved the issue meanwhile) is refused, the comment still posted', () => {
    const plan = planEffects(answer({ move: { from: 'backlog', to: 'needs-architecture' } }), ctx({ currentStage: 'ready-for-dev' }))
    expect(plan.refused[0]).toMatch(/someone moved it/)
    expect(plan.effects[0]?.kind).toBe('comment')
  })

  it("the Engineer's finished branch is pushed and opened as a PR that closes the issue", () => {
    const plan = planEffects(
      answer({ move: { from: 'in-progress', to: 'needs-testing' }, branch: 'baton/4-add-sum', text: 'Added sum' }),
      ctx({ role: 'engineer', taskStage: 'in-progress', currentStage: 'in-progress', testPlan: 'Run npm test' })
    )
    expect(plan.effects.map((e) => e.kind)).toEqual(['comment', 'note', 'push', 'pull-request', 'labels'])
    const pr = plan.effects.find((e) => e.kind === 'pull-request') as { body: string; title: string }
    expect(pr.title).toBe('Add sum (#4)')
    expect(pr.body).toMatch(/^Closes #4\n/)
    expect(pr.body).toContain('## Test plan\n\nRun npm test')
  })

  it('a REQUEST waits for a person and posts the question', () => {
    const plan = planEffects(answer({ status: 'request', text: 'Which file?' }), ctx())
    expect(plan.outcome).toBe('waiting')
    expect(plan.effects.map((e) => e.kind)).toEqual(['comment', 'request'])
  })

  it('an ERROR applies nothing', () => {
    expect(planEffects(answer({ status: 'error', text: 'boom' }), ctx())).toEqual({ effects: [], refused: [], outcome: 'failed' })
  })

  it('a Tester fail past the loop cap goes to a person instead of back to the Engineer', () => {
    const fail = answer({ move: { from: 'needs-testing', to: 'ready-for-dev' }, text: 'Tests fail' })
    const tester = ctx({ role: 'tester', taskStage: 'needs-testing', currentStage: 'needs-testing' })
    expect(planEffects(fail, { ...tester, loopsSoFar: 2 }).effects).toContainEqual({ kind: 'labels', add: ['ready-for-dev'], remove: ['needs-testing'] })
    const capped = planEffects(fail, { ...tester, loopsSoFar: 3 })
    expect(capped.outcome).toBe('waiting')
    expect(capped.effects.find((e) => e.kind === 'labels')).toBeUndefined()
    expect(capped.effects.find((e) => e.kind === 'request')).toBeDefined()
  })

  it('hand-offs: known roles only, capped per issue', () => {
    const plan = planEffects(
      answer({ handoffs: [{ role: 'architect', text: 'check the API' }, { role: 'wizard', text: 'x' }, { role: 'tester', text: 'y' }] }),
      ctx({ handoffsSoFar: 4 })
    )
    expect(plan.effects.filter((e) => e.kind === 'handoff')).toEqual([{ kind: 'handoff', role: 'architect', text: 'check the API' }])
    expect(plan.refused).toEqual(['hand-off to unknown role @wizard', 'hand-off cap reached (5) on #4'])
    expect(plan.effects.find((e) => e.kind === 'request')).toBeDefined()
  })

  describe('BRANCH: only the task\'s own branch is pushed', () => {
    const engineer = ctx({ role: 'engineer', taskStage: 'in-progress', currentStage: 'in-progress', issue: { number: 4, title: 'Add sum', labels: ['in-progress'] } })
    const done = (branch: string) => answer({ move: { from: 'in-progress', to: 'needs-testing' }, branch, body: 'Implemented' })

    it('the task\'s branch: push, PR, move', () => {
      const plan = planEffects(done('baton/4-add-sum'), engineer)
      expect(plan.refused).toEqual([])
      expect(plan.effects.map((e) => e.kind)).toEqual(['comment', 'note', 'push', 'pull-request', 'labels'])
      expect(plan.effects).toContainEqual({ kind: 'push', branch: 'baton/4-add-sum' })
    })

    it.each([
      ['the default branch', 'main'],
      ['another task\'s branch', 'baton/5-other'],
      ['another issue\'s slug on this number', 'baton/4-something-else'],
      ['an option', '--force'],
      ['a refspec', '+refs/heads/main:refs/heads/main'],
      ['a full ref', 'refs/heads/baton/4-add-sum'],
      ['a branch with a space', 'baton/4-add-sum main']
    ])('%s (%s): refused, nothing pushed, no PR, no move, and a person is told', (_what, branch) => {
      const plan = planEffects(done(branch), engineer)
      expect(plan.effects.some((e) => e.kind === 'push' || e.kind === 'pull-request' || e.kind === 'labels')).toBe(false)
      expect(plan.refused[0]).toMatch(/^BRANCH ".*" refused: only the task's own branch baton\/4-add-sum is pushed$/)
      expect(plan.refused).toContain('move in-progress --> needs-testing refused: nothing was pushed')
      expect(plan.effects.find((e) => e.kind === 'failure')).toBeDefined()
      // The agent's comment is still posted: what it said is visible.
      expect(plan.effects[0]?.kind).toBe('comment')
    })

    it('a default branch that looks like a task branch is still never pushed', () => {
      const plan = planEffects(done('baton/4-add-sum'), { ...engineer, defaultBranch: 'baton/4-add-sum' })
      expect(plan.effects.some((e) => e.kind === 'push')).toBe(false)
    })
  })
})
