// The triage roles (PM, Community, Marketing) on the forge's seeded sandbox
// issues (src/forge/sandbox): the texts a person meets first in the sandbox.
import { describe, expect, it } from 'vitest'
import { builtin } from '../../../src/main/agents/providers/builtin'
import { sandboxSeed } from '../../../src/forge/sandbox'
import type { Trigger } from '../../../src/shared/protocol/trigger'
import { context, parse, trigger } from './builtin-helpers'

const seeded = sandboxSeed().repositories?.[0]?.issues ?? []
const issue = (n: number): Trigger['issue'] => {
  const s = seeded[n - 1]!
  return { number: n, title: s.title, body: s.body ?? '', labels: [], author: s.author, comments: [] }
}
const others = seeded.map((s, i) => ({ number: i + 1, title: s.title, state: 'open' }))
const pm = async (n: number) => parse(await builtin(context(trigger({ task: `t_pm${n}`, stage: 'backlog', role: 'pm', agent: 'pm', issue: issue(n) }))))

describe('PM (builtin) on the sandbox issues', () => {
  it('#1 "Add a power function": DONE, criteria from its Acceptance line, backlog --> needs-architecture', async () => {
    const r = await pm(1)
    expect(r).toMatchObject({ task: 't_pm1', issue: 1, status: 'done', labelUpdate: { from: 'backlog', to: 'needs-architecture' } })
    expect(r.labels).toContain('priority:normal')
    expect(r.body).toContain('- [ ] `power(2, 10) === 1024`')
  })

  it('#2 "capitalize(\'\') throws a TypeError": a bug, with its steps, nothing missing', async () => {
    const r = await pm(2)
    expect(r).toMatchObject({ status: 'done', labels: ['bug', expect.stringMatching(/^priority:/)] })
    expect(r.body).not.toMatch(/Steps to reproduce/)
  })

  it('#3 "Make it better" / "It should be better.": too thin → REQUEST listing what is missing, no move', async () => {
    const r = await pm(3)
    expect(r.status).toBe('request')
    expect(r.labelUpdate).toBeNull()
    expect(r.labels).toEqual([])
    expect(r.body).toMatch(/What should change/)
    expect(r.body).toMatch(/acceptance criteria/i)
  })

  // KNOWN DEFECTS of agents/pm/builtin.ts (not this test's author's file; see
  // the report): marked `.fails` so CI stays green while they stand, and so
  // each one turns red, asking for `.fails` to go, the day it is fixed.
  it('#1 is typed a feature: words inside the patch ("assert.throws") must not make it a bug', async () => {
    expect((await pm(1)).labels).toEqual(['feature', 'priority:normal'])
  })

  it('#1 criteria stop at the fenced patch: no diff line becomes a criterion', async () => {
    const r = await pm(1)
    expect(r.body).not.toMatch(/- \[ \] (diff --git|@@|\+\+\+|index )/)
  })

  it('#5 "Add a cube function": a feature whose criteria come from the body\'s `cube(3) === 27` line', async () => {
    const r = await pm(5)
    expect(r.labels).toEqual(['feature', 'priority:normal'])
    expect(r.body).toContain('cube(3) === 27')
  })
})

describe('Community (builtin) on the outsider\'s issue', () => {
  it('#4 "Wrong result from the calculator": thanks the outsider, asks for a reproduction, moves nothing', async () => {
    const t = trigger({ task: 't_com4', stage: 'community', role: 'community', agent: 'community', issue: issue(4), data: { issues: others } })
    const r = parse(await builtin(context(t)))
    expect(r).toMatchObject({ status: 'done', labelUpdate: null, labels: [] })
    expect(r.body).toContain('@outsider')
    expect(r.body).toMatch(/steps to reproduce/i)
    // None of the other seeded titles is about the same problem.
    expect(r.body).not.toMatch(/looks close to/)
  })

  it('points to a likely duplicate among the listed issues', async () => {
    const dup = { number: 6, title: 'Add a power function to calc', body: 'Please add power.', labels: [], author: 'outsider', comments: [] }
    const r = parse(await builtin(context(trigger({ role: 'community', agent: 'community', stage: 'community', issue: dup, data: { issues: others } }))))
    expect(r.body).toMatch(/looks close to #1 \(“Add a power function”\)/)
  })
})

describe('Marketing (builtin) on merged sandbox work', () => {
  it('#1 merged: an "Added" release-note entry and an announcement, no move', async () => {
    const done = { ...issue(1), labels: ['feature', 'done'] }
    const notes = [{ role: 'engineer', kind: 'implementation', body: 'Applied the patch from the issue body.' }]
    const r = parse(await builtin(context(trigger({ role: 'marketing', agent: 'marketing', stage: 'done', issue: done, notes }))))
    expect(r).toMatchObject({ status: 'done', labelUpdate: null })
    expect(r.body).toContain('## Release note\n### Added\n- Add a power function (#1)')
    expect(r.body).toMatch(/## Announcement\nNew in acme\/calc: add a power function \(#1\)/)
  })
})
