import type { Activity } from '../../../shared/api'

export const ACTIVITY: Record<Activity, { label: string; tone: '' | 'ok' | 'warn' | 'danger' | 'info' }> = {
  idle: { label: 'Idle', tone: '' },
  queued: { label: 'Queued', tone: 'info' },
  working: { label: 'Working', tone: 'ok' },
  waiting: { label: 'Waiting for a person', tone: 'warn' },
  blocked: { label: 'Blocked', tone: 'warn' },
  failed: { label: 'Failed', tone: 'danger' },
  done: { label: 'Done', tone: '' },
  closed: { label: 'Closed', tone: '' }
}

/** "for 5 min" style elapsed time since an ISO instant. */
export function elapsed(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return ''
  const sec = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  if (sec < 60) return `${sec}s`
  if (sec < 3600) return `${Math.floor(sec / 60)} min`
  if (sec < 86_400) return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`
  return `${Math.floor(sec / 86_400)} d`
}
