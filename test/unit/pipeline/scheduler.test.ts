import { describe, expect, it } from 'vitest'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { schedule, type ScheduleInput, type ScheduleIssue } from '../../../src/main/pipeline/scheduler'

const issue = (number: number, labels: string[], extra: Partial<ScheduleIssue> = {}): ScheduleIssue => ({
  repoId: 1,
  number,
  labels,
  body: '',
  createdAt: `2026-01-${String(number).padStart(2, '0')}T00:00:00Z`,
  trusted: true,
  outsideAuthor: false,
  ...extra
})

const base = (issues: ScheduleIssue[], over: Partial<ScheduleInput> = {}): ScheduleInput => ({
  pipeline: defaultPipeline,
  issues,
  busy: new Set(),
  sideLaneDone: new Set(),
  isClosed: () => false,
  idle: new Map([
    ['pm', ['pm']],
    ['architect', ['architect']],
    ['engineer', ['engineer', 'engineer-2']],
    ['tester', ['tester']],
    ['community', ['community']],
    ['marketing', ['marketing']]
  ]),
  parallelPrs: false,
  ...over
})

describe('scheduler', () => {
  it('gives each stage owner its issue, one task per issue', () => {
    const s = schedule(base([issue(1, ['backlog']), issue(2, ['needs-architecture']), issue(3, ['needs-review']), issue(4, ['bug'])]))
    expect(s.start.map((d) => `${d.issue}:${d.agent}`)).toEqual(['1:pm', '2:architect'])
  })

  it('priority first (urgent, normal, low), oldest first within a priority', () => {
    const s = schedule(
      base([issue(1, ['backlog', 'priority:low']), issue(2, ['backlog']), issue(3, ['backlog', 'priority:urgent'])], {
        idle: new Map([['pm', ['pm', 'pm-2', 'pm-3']]])
      })
    )
    expect(s.start.map((d) => d.issue)).toEqual([3, 2, 1])
  })

  it('skips busy issues and respects the number of idle instances', () => {
    const s = schedule(base([issue(1, ['backlog']), issue(2, ['backlog']), issue(3, ['backlog'])], { busy: new Set(['1#1']) }))
    expect(s.start.map((d) => d.issue)).toEqual([2])
    expect(s.waiting).toEqual([{ repoId: 1, issue: 3, reason: 'waits for a free pm' }])
  })

  it('an issue whose role a person paused waits for the person, not for a free agent', () => {
    const s = schedule(base([issue(1, ['backlog'])], { idle: new Map(), pausedRoles: new Set(['pm']) }))
    expect(s.waiting).toEqual([{ repoId: 1, issue: 1, reason: 'waits: pm is paused (resume it in Agents)' }])
  })

  it('holds an issue blocked by an open one and says why; lets it go once closed', () => {
    const blocked = issue(5, ['backlog'], { body: 'Blocked by #1' })
    expect(schedule(base([blocked])).waiting).toEqual([{ repoId: 1, issue: 5, reason: 'blocked by #1' }])
    expect(schedule(base([blocked], { isClosed: (_r, n) => n === 1 })).start.map((d) => d.issue)).toEqual([5])
  })

  it('an untrusted issue waits for approval; Community still answers it once', () => {
    const outside = issue(7, ['backlog'], { trusted: false, outsideAuthor: true })
    const first = schedule(base([outside]))
    expect(first.start).toEqual([{ repoId: 1, issue: 7, stage: 'community', role: 'community', agent: 'community' }])
    const later = schedule(base([outside], { sideLaneDone: new Set(['1#7:community']) }))
    expect(later.start).toEqual([])
    expect(later.waiting[0]?.reason).toMatch(/approve/)
    const approved = schedule(base([{ ...outside, trusted: true }], { sideLaneDone: new Set(['1#7:community']) }))
    expect(approved.start.map((d) => d.role)).toEqual(['pm'])
  })

  it('sequential PRs: a claim waits while another issue of the repository is in the dev lane', () => {
    const s = schedule(base([issue(1, ['needs-testing']), issue(2, ['ready-for-dev']), issue(3, ['ready-for-dev'], { repoId: 2 })]))
    expect(s.start.map((d) => `${d.repoId}#${d.issue}:${d.role}`)).toEqual(['1#1:tester', '2#3:engineer'])
    expect(s.waiting).toEqual([{ repoId: 1, issue: 2, reason: 'waits for the open agent pull request to be merged (one at a time: #1 holds it)' }])
    const two = schedule(base([issue(1, ['ready-for-dev']), issue(2, ['ready-for-dev'])]))
    expect(two.start.map((d) => d.issue)).toEqual([1])
    // A claim under way at the gate holds the lane too.
    const claiming = schedule(base([issue(1, ['ready-for-dev']), issue(2, ['ready-for-dev'])], { busy: new Set(['1#1']) }))
    expect(claiming.start).toEqual([])
    expect(claiming.waiting[0]?.reason).toMatch(/one at a time: #1 holds it/)
    const parallel = schedule(base([issue(1, ['ready-for-dev']), issue(2, ['ready-for-dev'])], { parallelPrs: true }))
    expect(parallel.start.map((d) => d.agent)).toEqual(['engineer', 'engineer-2'])
  })

  it('Marketing drafts for finished work once', () => {
    const s = schedule(base([], { finished: [{ repoId: 1, number: 9 }] }))
    expect(s.start).toEqual([{ repoId: 1, issue: 9, stage: 'done', role: 'marketing', agent: 'marketing' }])
    expect(schedule(base([], { finished: [{ repoId: 1, number: 9 }], sideLaneDone: new Set(['1#9:marketing']) })).start).toEqual([])
  })
})
