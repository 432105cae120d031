// The Tester's moves follow the repository's pipeline: where a fan-out review
// stage comes after testing (issue #15), a pass goes there, not to the
// person's review, which that pipeline does not allow from testing.
import { describe, expect, it } from 'vitest'
import { tester } from '../../../agents/tester/builtin'
import { defaultPipeline, parsePipeline } from '../../../src/main/pipeline/definition'
import { instructionsFor } from '../../../src/main/pipeline/instructions'
import { testerMoves } from '../../../src/main/pipeline/trigger'
import { context, parse, repo, trigger } from '../agents/builtin-helpers'

const REVIEWED = parsePipeline(`stages:
  - { label: in-progress, owner: engineer, next: [needs-testing] }
  - { label: needs-testing, owner: tester, next: [needs-code-review, in-progress] }
  - { label: needs-code-review, capability: review, route: all, join: review, next: [needs-review, in-progress] }
  - { label: needs-review, next: [done] }
  - { label: done }
`)

describe('the Tester’s moves', () => {
  it('are read from the pipeline: on to the review stage, back to the Engineer’s', () => {
    expect(testerMoves(defaultPipeline, 'needs-testing')).toEqual({ pass: 'needs-review', fail: 'ready-for-dev' })
    expect(testerMoves(REVIEWED, 'needs-testing')).toEqual({ pass: 'needs-code-review', fail: 'in-progress' })
    expect(testerMoves(REVIEWED, 'nowhere')).toBeNull()
    const said = instructionsFor('tester', 'needs-testing', { branch: 'baton/1-x', moves: { pass: 'needs-code-review', fail: 'in-progress' } })
    expect(said).toContain('If they pass: LABEL-UPDATED: needs-testing --> needs-code-review.')
    expect(said).toContain('If they fail: LABEL-UPDATED: needs-testing --> in-progress')
  })

  it('the builtin Tester asks for the trigger’s moves, and the default ones without', async () => {
    const dir = repo({ 'package.json': JSON.stringify({ scripts: { test: 'node -e "process.exit(0)"' } }) })
    const base = { role: 'tester', agent: 'tester', stage: 'needs-testing', workspace: dir }
    const moved = parse(await tester(context(trigger({ ...base, data: { moves: { pass: 'needs-code-review', fail: 'in-progress' } } }))))
    expect(moved.labelUpdate).toEqual({ from: 'needs-testing', to: 'needs-code-review' })
    expect(parse(await tester(context(trigger(base)))).labelUpdate).toEqual({ from: 'needs-testing', to: 'needs-review' })
    const failing = repo({ 'package.json': JSON.stringify({ scripts: { test: 'node -e "process.exit(1)"' } }) })
    const back = parse(await tester(context(trigger({ ...base, workspace: failing, data: { moves: { pass: 'needs-code-review', fail: 'in-progress' } } }))))
    expect(back.labelUpdate).toEqual({ from: 'needs-testing', to: 'in-progress' })
  }, 30_000)
})
