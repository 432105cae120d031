// Which notification goes where (issue #12), pure and shared: the desktop entry,
// the webhook sender (src/main/notify/) and the renderer all ask these, so the rules are
// tested here and the Electron code stays a few lines (src/main/index.ts).
//
// Four kinds notify: an agent's REQUEST, a failure that needs a person, a PR
// ready for the person's review and a spent budget. Each can be turned off in
// Settings → Notifications, and so can each channel (desktop, webhook).
import type { ApiEvent, NotificationSettings, NotifyKind } from './api'

export type NotifyEvent = Extract<ApiEvent, { type: 'notify' }>
export type Channel = 'desktop' | 'webhook'

/** Whether `event` goes out on `channel` under these settings. `info` (Baton's own news) never leaves the app. */
export function shouldNotify(settings: NotificationSettings, event: NotifyEvent, channel: Channel): boolean {
  if (event.kind === 'info') return false
  if (!settings[event.kind as NotifyKind]) return false
  return settings[channel]
}

/** The app route a click opens: the PR for a review, else the issue, else the inbox. */
export function routeOf(event: NotifyEvent): string {
  if (event.repoId !== undefined && event.pr !== undefined && event.kind === 'review') return `#/pr/${event.repoId}/${event.pr}`
  if (event.kind === 'request' || event.kind === 'failure' || event.kind === 'budget') return '#/inbox'
  if (event.repoId !== undefined && event.issue !== undefined) return `#/issue/${event.repoId}/${event.issue}`
  return '#/inbox'
}

export interface DesktopNotice {
  title: string
  body: string
  /** The hash route the window opens when the notice is clicked. */
  route: string
}

// Notification centres cut long bodies anyway; a REQUEST's question can be a page.
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text)

export function desktopNotice(event: NotifyEvent): DesktopNotice {
  return { title: clip(event.title, 120), body: clip(event.body.replace(/\s+/g, ' ').trim(), 300), route: routeOf(event) }
}

/** A body both Slack (`text`) and Discord (`content`, at most 2,000 characters) accept. */
export function webhookBody(event: NotifyEvent, link: string | null): { text: string; content: string } {
  const label = { request: 'Question', failure: 'Needs you', review: 'Ready for review', budget: 'Budget spent', info: 'Baton' }[event.kind]
  const body = clip(event.body.trim(), 1500)
  const text = `[Baton · ${label}] ${event.title}${body ? `\n${body}` : ''}${link ? `\n${link}` : ''}`
  return { text, content: clip(text, 2000) }
}
