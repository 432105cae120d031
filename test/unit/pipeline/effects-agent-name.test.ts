// The agent's name on GitHub (issue #14): a comment Baton posts for an answer
// is signed `<instance>@<owner/repo>` after "via Baton", and its hidden
// marker stays what it was, so a comment posted before names existed is still
// found by a retried write and still read as the role's.
import { describe, expect, it } from 'vitest'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { planEffects, type AgentAnswer, type EffectContext } from '../../../src/main/pipeline/effects'
import { batonRole, parseMarker, sameMarker } from '../../../src/shared/marker'

const answer = (over: Partial<AgentAnswer> = {}): AgentAnswer => ({ status: 'done', text: 'Claimed it', move: null, branch: null, handoffs: [], labels: [], body: 'On it.', ...over })
const ctx = (over: Partial<EffectContext> = {}): EffectContext => ({
  pipeline: defaultPipeline,
  taskId: 't_9',
  role: 'engineer',
  taskStage: 'ready-for-dev',
  currentStage: 'ready-for-dev',
  issue: { number: 3, title: 'Parse dates', labels: ['ready-for-dev'] },
  handoffsSoFar: 0,
  handoffCap: 5,
  loopsSoFar: 0,
  loopCap: 3,
  roles: ['pm', 'architect', 'engineer', 'tester'],
  testPlan: null,
  taskBranch: 'baton/3-parse-dates',
  defaultBranch: 'main',
  place: { attempt: 2, answer: 1 },
  ...over
})

const commentOf = (plan: ReturnType<typeof planEffects>) => plan.effects.find((e) => e.kind === 'comment') as { body: string; marker: string }

describe("an answer's comment names its agent", () => {
  it('signs <instance>@<owner/repo> after "via Baton", for a DONE and for a REQUEST', () => {
    const done = commentOf(planEffects(answer(), ctx({ agent: 'engineer-2@acme/app' })))
    expect(done.body).toMatch(/^\*\*Engineer\*\* · via Baton · `engineer-2@acme\/app`\n\nOn it\.\n\n<!-- baton:task=t_9 /)
    const ask = commentOf(planEffects(answer({ status: 'request', text: 'Which date format?' }), ctx({ agent: 'engineer-2@acme/app' })))
    expect(ask.body.split('\n')[0]).toBe('**Engineer** · via Baton · `engineer-2@acme/app`')
  })

  it('keeps the marker as it was: an old comment (no name) and a new one name the same answer', () => {
    const named = commentOf(planEffects(answer(), ctx({ agent: 'engineer-2@acme/app' })))
    const unnamed = commentOf(planEffects(answer(), ctx()))
    expect(named.marker).toBe('<!-- baton:task=t_9 baton:attempt=2 baton:answer=1 baton:role=engineer -->')
    expect(named.marker).toBe(unnamed.marker)
    expect(unnamed.body.split('\n')[0]).toBe('**Engineer** · via Baton')
    // A retried write looks for its marker in the comments already there: the old one is found.
    expect(sameMarker(parseMarker(unnamed.body)!, parseMarker(named.marker)!)).toBe(true)
    expect(batonRole({ author: 'baton-bot', body: named.body }, 'baton-bot')).toBe('engineer')
    expect(batonRole({ author: 'baton-bot', body: unnamed.body }, 'baton-bot')).toBe('engineer')
  })
})
