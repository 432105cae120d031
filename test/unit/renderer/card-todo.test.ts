// What a board card tells the person to do comes from its data (needs,
// blockedBy, request, activity), never from the words of its reason.
import { describe, expect, it } from 'vitest'
import type { BoardIssue } from '../../../src/shared/api'
import { cardTodo } from '../../../src/renderer/src/lib/card-todo'

const card = (over: Partial<BoardIssue>): BoardIssue => ({
  repoId: 2,
  repo: 'acme/shop',
  number: 6,
  title: 'Fix it',
  stage: 'ready-for-dev',
  labels: ['ready-for-dev'],
  author: 'mara',
  owner: 'engineer',
  agent: null,
  activity: 'idle',
  reason: null,
  since: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  pr: null,
  url: 'https://github.com/acme/shop/issues/6',
  needs: null,
  blockedBy: null,
  request: null,
  ...over
})

describe('blocked by other repositories (issue #14)', () => {
  it('names them after the local issues, which stay linked', () => {
    const todo = cardTodo(card({ activity: 'blocked', blockedBy: { kind: 'issues', issues: [3], elsewhere: ['acme/lib#7', 'x/y#2'] } }))
    expect(todo).toMatchObject({ text: 'Blocked by', links: [{ label: '#3', href: expect.stringContaining('3') }], after: ', acme/lib#7, x/y#2', needsYou: false })
    expect(cardTodo(card({ activity: 'blocked', blockedBy: { kind: 'issues', issues: [], elsewhere: ['acme/lib#7'] } }))).toMatchObject({ links: [], after: ' acme/lib#7' })
  })
})

describe('cardTodo', () => {
  it('a review names and links its PR', () => {
    expect(cardTodo(card({ needs: 'review', pr: 8 }))).toEqual({ text: 'Review', links: [{ label: 'PR #8', href: '#/pr/2/8' }], after: '', action: null, needsYou: true })
  })

  it("each wait for the person has its action: the question's answer, Approve, Retry (a failure or a spent budget)", () => {
    expect(cardTodo(card({ needs: 'answer', request: { id: 4, question: 'Which browser?' } }))).toMatchObject({ text: 'Answer: Which browser?', action: 'answer', needsYou: true })
    expect(cardTodo(card({ needs: 'approve' }))).toMatchObject({ action: 'approve', needsYou: true })
    expect(cardTodo(card({ needs: 'retry', reason: 'failed 3 times: boom' }))).toMatchObject({ text: 'failed 3 times: boom', action: 'retry' })
    expect(cardTodo(card({ needs: 'budget', reason: 'budget: $5.20 of $5.00 spent on #6 — waits for a person (raise the budget in Settings → Budgets, or Retry)' }))).toMatchObject({
      text: 'budget: $5.20 of $5.00 spent on #6',
      action: 'retry'
    })
    expect(cardTodo(card({ needs: 'paused', reason: 'waits: pm is paused (resume it in Agents)' }))).toMatchObject({ text: 'pm is paused: resume it in', links: [{ href: '#/agents' }], action: null })
  })

  it('a blocker is linked: the issues it depends on, or the PR holding the one-PR slot (looked up on the holder when the card has none)', () => {
    expect(cardTodo(card({ activity: 'blocked', blockedBy: { kind: 'issues', issues: [1, 4] } }))?.links).toEqual([
      { label: '#1', href: '#/issue/2/1' },
      { label: '#4', href: '#/issue/2/4' }
    ])
    const held = card({ activity: 'blocked', blockedBy: { kind: 'pr-slot', issue: 5, pr: null } })
    expect(cardTodo(held)).toMatchObject({ text: 'Waits for', links: [{ label: '#5', href: '#/issue/2/5' }], needsYou: false })
    expect(cardTodo(held, (repo, n) => (repo === 2 && n === 5 ? 9 : null))).toMatchObject({ links: [{ label: 'PR #9', href: '#/pr/2/9' }], after: ' (#5) to merge: one PR at a time' })
  })

  it('working or queued offers Stop; words in the reason alone decide nothing', () => {
    expect(cardTodo(card({ activity: 'working', agent: 'engineer' }))).toMatchObject({ action: 'stop', needsYou: false })
    expect(cardTodo(card({ activity: 'idle', reason: 'waits for a maintainer to approve it' }))).toBeNull()
  })
})
