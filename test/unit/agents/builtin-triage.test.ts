// PM, Community and Marketing builtin behaviours: rules, on real triggers.
import { describe, expect, it } from 'vitest'
import { community, likelyDuplicates } from '../../../agents/community/builtin'
import { marketing, summaryLine, triageType } from '../../../agents/marketing/builtin'
import { acceptanceCriteria, classify, pm } from '../../../agents/pm/builtin'
import { builtin } from '../../../src/main/agents/providers/builtin'
import { context, parse, trigger } from './builtin-helpers'

describe('PM (builtin)', () => {
  it('triages a bug: type, urgent priority, criteria from the checklist, backlog --> needs-architecture', async () => {
    const t = trigger({
      issue: {
        title: 'divide crashes on zero',
        body: 'Calling `divide(1, 0)` returns Infinity and the app crashes later.\n\nSteps to reproduce:\n1. run divide(1, 0)\n\n- [ ] divide by zero throws a RangeError\n- [ ] the error message names the divisor'
      }
    })
    const r = parse(await pm(context(t)))
    expect(r).toMatchObject({ task: 't_fixture', status: 'done', labelUpdate: { from: 'backlog', to: 'needs-architecture' }, labels: ['bug', 'priority:urgent'], issue: 7 })
    expect(r.body).toContain('- [ ] divide by zero throws a RangeError')
    expect(r.body).not.toContain('Missing information')
  })

  it('draws criteria from an "Expected" section or should-sentences, and names what is missing', async () => {
    expect(acceptanceCriteria('Some context.\n\n## Expected\n- the total is shown\n- in bold\n\n## Other\nx')).toEqual(['the total is shown', 'in bold'])
    expect(acceptanceCriteria('The export should include headers. It is slow.')).toEqual(['The export should include headers.'])
    const r = parse(await pm(context(trigger({ issue: { title: 'Export is wrong', body: 'The CSV export gives wrong numbers for every order placed yesterday in the shop.' } }))))
    expect(r.labels).toEqual(['bug', 'priority:normal'])
    expect(r.body).toMatch(/## Missing information\n- Steps to reproduce/)
  })

  it('classifies docs, chore, feature and low priority by rules', () => {
    expect(classify('Fix typo in README', '')).toMatchObject({ type: 'docs', priority: 'priority:low' })
    expect(classify('Bump eslint to v9', 'dependency upgrade')).toMatchObject({ type: 'chore', priority: 'priority:normal' })
    expect(classify('Add a dark mode', 'It would be nice to have someday.')).toMatchObject({ type: 'feature', priority: 'priority:low' })
  })

  it('asks (REQUEST) when the issue is too thin to act on', async () => {
    const r = parse(await pm(context(trigger({ issue: { title: 'it is broken', body: 'pls fix' } }))))
    expect(r.status).toBe('request')
    expect(r.statusText).toMatch(/too thin/)
    expect(r.labelUpdate).toBeNull()
  })
})

describe('Community (builtin)', () => {
  const others = [
    { number: 3, title: 'Divide by zero crashes the calculator' },
    { number: 4, title: 'Add a square root button' },
    { number: 9, title: 'crash when dividing by zero' }
  ]

  it('acknowledges, asks for a reproduction for a bug without one, points to likely duplicates', async () => {
    const t = trigger({ role: 'community', agent: 'community', issue: { number: 9, title: 'crash when dividing by zero', body: 'The app crashes.', author: 'outsider' }, data: { issues: others } })
    const r = parse(await community(context(t)))
    expect(r.status).toBe('done')
    expect(r.labelUpdate).toBeNull()
    expect(r.body).toContain('@outsider')
    expect(r.body).toMatch(/steps to reproduce/i)
    expect(r.body).toContain('#3')
    expect(r.body).not.toContain('#4')
    expect(r.statusText).toMatch(/asked for a reproduction; pointed to #3/)
  })

  it('does not ask again when steps are given, nor flag unrelated titles', async () => {
    const t = trigger({ issue: { title: 'Add a history panel', body: 'Steps to reproduce: none, it is a feature.', author: 'bob' }, data: { issues: others } })
    const r = parse(await community(context(t)))
    expect(r.body).not.toMatch(/could you add steps/i)
    expect(likelyDuplicates({ number: 1, title: 'Add a history panel' }, others)).toEqual([])
  })
})

describe('Marketing (builtin)', () => {
  it('drafts a release-note entry and an announcement', async () => {
    const t = trigger({ issue: { number: 12, title: 'Divide by zero throws a RangeError', body: 'Dividing by zero now fails loudly.', labels: ['bug', 'done'] } })
    const r = parse(await marketing(context(t)))
    expect(r.status).toBe('done')
    expect(r.body).toContain('### Fixed\n- Divide by zero throws a RangeError (#12)')
    expect(r.body).toMatch(/## Announcement\nA fix has landed in acme\/calc/)
  })

  it('names the PR (number, a title of its own, the Engineer\'s summary line) and pastes no comment or note body', async () => {
    const t = trigger({
      issue: { number: 12, title: 'Show the history', body: 'It would be nice.\n\n## Implementation\nproducing nothing: Thanks', labels: ['done'] },
      notes: [
        { role: 'pm', kind: 'triage', body: '## Triage\n- **Type:** feature\n- **Priority:** normal' },
        { role: 'engineer', kind: 'implementation', body: '## Implementation\n\nApplied the patch.' }
      ],
      data: { pull: { number: 14, title: 'History panel with undo', body: 'Closes #12\n\n## Summary\n\nAdded a history panel listing the last 20 results\n\n## Implementation\n\nApplied the patch.', merged: true } }
    })
    const r = parse(await marketing(context(t)))
    expect(r.body).toBe(
      [
        '## Release note',
        '### Added',
        '- Show the history (#12, #14): History panel with undo',
        '',
        '## Announcement',
        'New in acme/calc: show the history (#12, #14). Added a history panel listing the last 20 results.'
      ].join('\n')
    )
  })

  it("the type: the issue's type label, else the PM's triage note, else the title", () => {
    const issue = { number: 1, title: 'Make it faster', body: '', labels: [] as string[], author: 'a', comments: [] }
    expect(triageType({ ...issue, labels: ['docs'] }, [{ role: 'pm', kind: 'triage', body: '- **Type:** bug' }])).toBe('docs')
    expect(triageType(issue, [{ role: 'pm-2', kind: 'triage', body: '## Triage\n- **Type:** chore' }])).toBe('chore')
    expect(triageType(issue, [{ role: 'engineer', kind: 'triage', body: '- **Type:** bug' }])).toBe('feature')
    expect(triageType({ ...issue, title: 'Crash on start' }, [])).toBe('bug')
  })

  it('the summary line: the first plain line under "## Summary", or none', () => {
    expect(summaryLine('Closes #1\n\n## Summary\n\nFixed the mean\n\n## Implementation\nx')).toBe('Fixed the mean')
    expect(summaryLine('## Summary\n\n## Implementation\n\nApplied the patch.')).toBeNull()
    expect(summaryLine('no summary here')).toBeNull()
    expect(summaryLine('## Summary\r\n\r\n- one   item\r\n')).toBe('one item')
    expect(summaryLine(`## Summary\n${'x'.repeat(300)}`)?.length).toBe(200)
  })
})

describe('builtin provider', () => {
  it('dispatches by role (instance suffix stripped) and REQUESTs for a role it has no behaviour for', async () => {
    const byRole = parse(await builtin(context(trigger({ agent: 'pm-2', role: 'pm', issue: { title: 'Fix typo in README', body: 'The README says "calcualtor" instead of calculator in the first line.' } }))))
    expect(byRole.labels).toEqual(['docs', 'priority:low'])
    const unknown = parse(await builtin(context(trigger({ agent: 'security', role: 'security' }))))
    expect(unknown).toMatchObject({ status: 'request', statusText: expect.stringContaining('"security" role') })
  })
})
