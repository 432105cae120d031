// The issue page reads once (issue #13): event words instead of audit kinds, a
// stage named once per visit, and Markdown rendered once per text however
// often the page's data is refreshed.
import { describe, expect, it } from 'vitest'
import { eventWord, moveText, parseMove, timelineEvents } from '../../../src/renderer/src/lib/issue-timeline'
import { memoByText } from '../../../src/renderer/src/lib/memo-text'

const ev = (id: number, kind: string, message: string) => ({ id, at: `2026-07-01T00:00:${String(id).padStart(2, '0')}Z`, kind, message })

describe('event words', () => {
  it('says words, never the audit kind', () => {
    expect(eventWord('stage.move')).toBe('Moved')
    expect(eventWord('issue.close')).toBe('Closed')
    expect(eventWord('pr.merge')).toBe('Merged')
    expect(eventWord('issue.approve')).toBe('Approved')
    // A kind the map does not know yet still reads as a word.
    expect(eventWord('checks.some_new-thing')).toBe('Some new thing')
    for (const kind of ['stage.move', 'stage.loop', 'issue.labels', 'budget.stop', 'task.stop']) expect(eventWord(kind)).not.toMatch(/\./)
  })

  it('a move names its stages by their titles, with its reason', () => {
    const title = (l: string) => ({ backlog: 'Backlog', 'needs-architecture': 'Architecture', 'in-progress': 'In progress' })[l] ?? l
    expect(parseMove('backlog → needs-architecture')).toEqual({ from: 'backlog', to: 'needs-architecture', why: null })
    expect(moveText('— → backlog (new issue)', title)).toBe('to Backlog · new issue')
    expect(moveText('needs-architecture → in-progress', title)).toBe('from Architecture to In progress')
    expect(moveText('something else', title)).toBe('something else')
  })
})

describe('timeline events', () => {
  it('a stage once per visit, notes left to the Notes panel, task events to the task cards', () => {
    const shown = timelineEvents([
      ev(1, 'stage.move', '— → backlog (new issue)'),
      ev(2, 'task.create', 'pm on backlog'),
      ev(3, 'stage.move', 'backlog → needs-architecture'),
      ev(4, 'stage.move', 'backlog → needs-architecture'),
      ev(5, 'signal.note', 'review comment: a note for the Engineer'),
      ev(6, 'task.stop', 'owner stopped the task'),
      ev(7, 'stage.move', 'needs-architecture → in-progress'),
      ev(8, 'stage.move', 'in-progress → needs-architecture (changes requested)')
    ])
    expect(shown.map((e) => e.id)).toEqual([1, 3, 6, 7, 8])
  })
})

describe('Markdown memo', () => {
  it('renders a text once however often it is asked, and again only when it changes', () => {
    const render = memoByText((t: string) => `<p>${t}</p>`, 3)
    // An idle page refreshed 42 times hands the same three texts each time.
    for (let i = 0; i < 42; i++) for (const t of ['body', 'comment', 'note']) render(t)
    expect(render.runs).toBe(3)
    expect(render('body')).toBe('<p>body</p>')
    render('body, edited')
    expect(render.runs).toBe(4)
  })

  it('keeps the latest texts: the least recently used one is dropped first', () => {
    const render = memoByText((t: string) => t.length, 2)
    render('a')
    render('b')
    render('a') // a is used again: b is now the oldest
    render('c')
    expect(render.runs).toBe(3)
    render('a')
    expect(render.runs).toBe(3)
    render('b')
    expect(render.runs).toBe(4)
  })
})
