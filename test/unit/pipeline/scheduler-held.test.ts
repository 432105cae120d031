// The scheduler and a spent failure budget (DESIGN.md §4): an issue held for a
// person starts nothing and says why; the others are scheduled as before.
import { describe, expect, it } from 'vitest'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { schedule, type ScheduleIssue } from '../../../src/main/pipeline/scheduler'

const issue = (number: number, labels: string[]): ScheduleIssue => ({
  repoId: 1,
  number,
  labels,
  body: '',
  createdAt: `2026-01-0${number}T00:00:00Z`,
  trusted: true,
  outsideAuthor: false
})

describe('scheduler: held issues', () => {
  it('starts nothing for an issue whose stage spent its budget, names the reason, and gives its agent to the next issue', () => {
    const plan = schedule({
      pipeline: defaultPipeline,
      issues: [issue(1, ['backlog']), issue(2, ['backlog'])],
      busy: new Set(),
      sideLaneDone: new Set(),
      held: new Map([['1#1', 'failed 3 times: overloaded — waits for a person']]),
      isClosed: () => false,
      idle: new Map([['pm', ['pm']]]),
      parallelPrs: false
    })
    expect(plan.start.map((s) => s.issue)).toEqual([2])
    expect(plan.waiting).toEqual([{ repoId: 1, issue: 1, reason: 'failed 3 times: overloaded — waits for a person' }])
  })
})
