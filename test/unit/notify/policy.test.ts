// The notification policy (src/shared/notify.ts): which kind goes out on which
// channel, what a click opens, and the bodies the desktop and a webhook get.
import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { desktopNotice, routeOf, shouldNotify, webhookBody, type NotifyEvent } from '../../../src/shared/notify'

const on = DEFAULT_SETTINGS.notifications
const event = (over: Partial<NotifyEvent> = {}): NotifyEvent => ({ type: 'notify', kind: 'request', title: 'pm asks about #4', body: 'Which one?', repoId: 2, issue: 4, ...over })

describe('shouldNotify', () => {
  it('sends every kind on every channel by default, and never Baton\'s own info', () => {
    for (const kind of ['request', 'failure', 'review', 'budget'] as const) {
      expect(shouldNotify(on, event({ kind }), 'desktop')).toBe(true)
      expect(shouldNotify(on, event({ kind }), 'webhook')).toBe(true)
    }
    expect(shouldNotify(on, event({ kind: 'info' }), 'desktop')).toBe(false)
  })

  it('a kind turned off is off on both channels; a channel turned off is off for every kind', () => {
    expect(shouldNotify({ ...on, review: false }, event({ kind: 'review' }), 'desktop')).toBe(false)
    expect(shouldNotify({ ...on, review: false }, event({ kind: 'review' }), 'webhook')).toBe(false)
    expect(shouldNotify({ ...on, review: false }, event({ kind: 'budget' }), 'webhook')).toBe(true)
    expect(shouldNotify({ ...on, webhook: false }, event({ kind: 'budget' }), 'webhook')).toBe(false)
    expect(shouldNotify({ ...on, webhook: false }, event({ kind: 'budget' }), 'desktop')).toBe(true)
  })
})

describe('routeOf and the bodies', () => {
  it('a review opens its PR, an inbox kind the inbox', () => {
    expect(routeOf(event({ kind: 'review', pr: 9 }))).toBe('#/pr/2/9')
    expect(routeOf(event({ kind: 'review' }))).toBe('#/issue/2/4')
    expect(routeOf(event({ kind: 'failure' }))).toBe('#/inbox')
    expect(routeOf(event({ kind: 'budget' }))).toBe('#/inbox')
  })

  it('clips long text; a webhook body carries text and content (Discord: ≤ 2,000 characters)', () => {
    const long = 'word '.repeat(1000)
    const notice = desktopNotice(event({ body: long }))
    expect(notice.body.length).toBe(300)
    expect(notice.body.endsWith('…')).toBe(true)
    const body = webhookBody(event({ body: long }), 'https://github.com/acme/calc/issues/4')
    expect(body.content.length).toBeLessThanOrEqual(2000)
    expect(body.text.startsWith('[Baton · Question] pm asks about #4\n')).toBe(true)
    expect(body.text.endsWith('https://github.com/acme/calc/issues/4')).toBe(true)
  })
})
