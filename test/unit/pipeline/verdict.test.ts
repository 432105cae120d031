// The Tester's verdict (verdict.ts): which way its move went, a status
// description GitHub takes (one line, at most 140 characters), and a PR copy
// marker that is Baton's yet never the issue comment's.
import { describe, expect, it } from 'vitest'
import { parseMarker, sameMarker } from '../../../src/shared/marker'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { marker } from '../../../src/main/pipeline/effects'
import { prCopyMarker, statusDescription, verdictOf } from '../../../src/main/pipeline/verdict'

describe('the verdict', () => {
  it('is success for a move on, failure for a move back, nothing without a stage move', () => {
    expect(verdictOf(defaultPipeline, [{ kind: 'labels', add: ['needs-review'], remove: ['needs-testing'] }])).toBe('success')
    expect(verdictOf(defaultPipeline, [{ kind: 'labels', add: ['ready-for-dev'], remove: ['needs-testing'] }])).toBe('failure')
    expect(verdictOf(defaultPipeline, [{ kind: 'labels', add: ['bug'], remove: [] }])).toBeNull()
    expect(verdictOf(defaultPipeline, [])).toBeNull()
  })

  it('describes itself in one line of at most 140 characters, without terminal colours', () => {
    expect(statusDescription('\u001b[32mAll 3 tests passed\u001b[0m\n  in 0.1 s')).toBe('All 3 tests passed in 0.1 s')
    const long = statusDescription('x'.repeat(500))
    expect(long).toHaveLength(140)
    expect(long.endsWith('…')).toBe(true)
  })

  it("marks the PR copy as Baton's, apart from the issue comment's marker", () => {
    const issue = marker('t_1', 'tester', { attempt: 2, answer: 1 })
    const copy = prCopyMarker(issue)
    const a = parseMarker(`report\n\n${issue}`)
    const b = parseMarker(`report\n\n${copy}`)
    expect(b).toMatchObject({ task: 't_1', role: 'tester', fields: { copy: 'pr', attempt: '2', answer: '1' } })
    expect(sameMarker(a!, b!)).toBe(false)
    expect(copy).not.toMatch(/^<!-- baton:task=/)
  })
})
