// A group of parallel attempts waiting for a person's pick (issue #15): the
// hold's words make the card wait for the person (needs: pick, the Needs you
// lane), and the card's to-do line links the issue page, where the attempts
// are side by side.
import { describe, expect, it } from 'vitest'
import type { BoardIssue } from '../../../src/shared/api'
import { cardTodo } from '../../../src/renderer/src/lib/card-todo'
import { attemptsSummary } from '../../../src/main/pipeline/attempt-rules'
import { waitOf } from '../../../src/main/store/board'

describe('a pick that waits for the person', () => {
  const why = `${attemptsSummary(['passed', 'failed', 'passed'])} — waits for a person to pick the one that becomes the pull request`
  it('is waiting, needs pick, and blocked by nothing', () => {
    expect(why).toBe('3 attempts: 2 passed, 1 failed — waits for a person to pick the one that becomes the pull request')
    expect(waitOf(why)).toEqual({ activity: 'waiting', needs: 'pick', blockedBy: null })
    // Attempts still running are not a wait for the person.
    expect(waitOf(attemptsSummary(['passed', 'testing'])).needs).toBeNull()
  })
  it("the card's to-do links the issue page", () => {
    const card = { repoId: 1, number: 12, needs: 'pick', reason: why, activity: 'waiting', blockedBy: null, request: null, pr: null } as unknown as BoardIssue
    expect(cardTodo(card)).toEqual({ text: 'Pick the attempt that becomes the PR on', links: [{ label: '#12', href: '#/issue/1/12' }], after: '', action: null, needsYou: true })
  })
})
