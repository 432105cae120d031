import { describe, expect, it } from 'vitest'
import { parsePipeline } from '../../../src/main/pipeline/definition'
import { joinOf, type FanoutChild, type JoinInput } from '../../../src/main/pipeline/fanout'
import { formatFindings, type Finding } from '../../../src/main/review/findings'
import '../../../src/main/review/review-join'
import { reviewInstructions } from '../../../src/main/pipeline/instructions'

const PIPELINE = parsePipeline(`stages:
  - { label: in-progress, owner: engineer, next: [needs-code-review] }
  - { label: needs-code-review, capability: review, route: all, join: review, next: [needs-review, in-progress] }
  - { label: needs-review, next: [done] }
  - { label: done }
`)
const NO_ENGINEER = parsePipeline(`stages:
  - { label: needs-code-review, capability: review, route: all, join: review, next: [needs-review] }
  - { label: needs-review, next: [done] }
  - { label: done }
`)
const f = (over: Partial<Finding> = {}): Finding => ({ file: 'src/a.js', line: 2, severity: 'critical', text: 'SyntaxError: Unexpected token', ...over })
const done = (agent: string, findings: Finding[]): FanoutChild => ({ index: 1, of: 2, task: `t_${agent}`, agent, role: agent, outcome: 'answered', answer: { status: 'done', text: 'reviewed', move: null, branch: null, handoffs: [], labels: [], body: `ok\n\n${formatFindings(findings)}` }, reason: null, usage: null })

function input(children: FanoutChild[], o: { pipeline?: typeof PIPELINE; pull?: boolean } = {}) {
  const events: string[] = []
  const pipeline = o.pipeline ?? PIPELINE
  const github = {
    login: () => 'baton',
    pullFiles: async () => [{ path: 'src/a.js', patch: '@@ -1,1 +1,3 @@\n a\n+b\n+c' }],
    reviewBodies: async () => [],
    review: async (_r: unknown, _p: number, event: string) => void events.push(event)
  } as unknown as JoinInput['github']
  const value: JoinInput = {
    repo: { id: 1, owner: 'o', name: 'r', defaultBranch: 'main' },
    issue: { number: 5, title: 'x', labels: ['needs-code-review'] },
    pipeline,
    stage: pipeline.stages.find((s) => s.label === 'needs-code-review')!,
    parent: { task: 't_parent', attempt: 1, round: 1 },
    children,
    pull: o.pull === false ? null : { number: 6, title: 'x' },
    github
  }
  return { value, events }
}

describe('the review join', () => {
  const join = (kind: string) => joinOf(kind)!

  it('tells each child what to review and how to answer, whatever its role', () => {
    const said = reviewInstructions('baton/5-x', 'main')
    expect(said).toContain('git diff $(git merge-base HEAD origin/main) HEAD')
    expect(said).toContain('exactly one ```baton-findings block')
    expect(said).toContain('No LABEL-UPDATED line')
  })

  it('is registered as review and review-request-changes', () => {
    expect(join('review')).toBeTypeOf('function')
    expect(join('review-request-changes')).toBeTypeOf('function')
  })

  it('a consensus critical goes back to the Engineer’s stage; review-request-changes requests changes, review comments', async () => {
    const children = [done('lint', [f()]), done('tests', [f({ line: 3, text: 'test fails: SyntaxError: Unexpected token' })])]
    const a = input(children)
    const answered = await join('review-request-changes')(a.value)
    expect(answered).toMatchObject({ status: 'done', move: { from: 'needs-code-review', to: 'in-progress' } })
    expect(answered.text).toMatch(/1 critical finding with consensus: back to in-progress\.$/)
    expect(a.events).toEqual(['REQUEST_CHANGES'])
    const b = input(children)
    await join('review')(b.value)
    expect(b.events).toEqual(['COMMENT'])
  })

  it('without consensus it moves on; the stage’s onCritical names where back is', async () => {
    const lone = input([done('lint', [f()]), done('tests', [])])
    expect(await join('review')(lone.value)).toMatchObject({ move: { from: 'needs-code-review', to: 'needs-review' } })
    const agreed = [done('lint', [f()]), done('tests', [f()])]
    const custom = input(agreed)
    custom.value.stage = { ...custom.value.stage, onCritical: 'needs-review' }
    expect(await join('review')(custom.value)).toMatchObject({ move: { to: 'needs-review' } })
    const nowhere = input(agreed, { pipeline: NO_ENGINEER })
    const on = await join('review')(nowhere.value)
    expect(on.move).toEqual({ from: 'needs-code-review', to: 'needs-review' })
    expect(on.text).toMatch(/no stage of the Engineer's among this stage's moves to send it back to: on to needs-review\.$/)
  })

  it('with nobody answering, or no PR, it is an ERROR and posts nothing', async () => {
    const missing: FanoutChild = { index: 1, of: 1, task: 't_m', agent: 'lint', role: 'lint', outcome: 'missing', answer: null, reason: 'crashed', usage: null }
    const none = input([missing])
    expect(await join('review')(none.value)).toMatchObject({ status: 'error', text: expect.stringMatching(/none of the 1 reviewers answered with findings: lint missing \(crashed\)/) })
    expect(none.events).toEqual([])
    const nopr = input([done('lint', [])], { pull: false })
    expect(await join('review')(nopr.value)).toMatchObject({ status: 'error', text: '#5 has no pull request to review' })
  })
})
