// A scheduler wait on a card: what holds the issue decides its activity, so a
// card says "Waiting for a person" only when a person is what it waits for.
import { describe, expect, it } from 'vitest'
import { activityOfWait } from '../../../src/main/store/board'

describe('activityOfWait', () => {
  it.each([
    ['blocked by #1, #4', 'blocked'],
    ['waits for the open agent pull request to be merged (one at a time: #3 holds it)', 'blocked'],
    ['waits for a free engineer', 'queued'],
    ['waits: pm is paused (resume it in Agents)', 'waiting'],
    ['waits for a maintainer to approve it (label "approved"): the author is not trusted', 'waiting']
  ])('%s → %s', (why, activity) => {
    expect(activityOfWait(why)).toBe(activity)
  })
})
