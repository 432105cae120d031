// Desktop notifications for `notify` events: the web Notification API works
// in a browser and, in Electron, the renderer's Notification becomes a native
// one. Permission is asked only from a person's gesture (browsers ignore or
// penalise a request made on load).
import type { ApiEvent } from '../../../shared/api'

export type NotifyPermission = NotificationPermission | 'unsupported'

export function permission(): NotifyPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission
}

export async function askPermission(): Promise<NotifyPermission> {
  if (typeof Notification === 'undefined') return 'unsupported'
  try {
    return await Notification.requestPermission()
  } catch {
    return Notification.permission
  }
}

const ASKED = 'baton.notifications.asked'

/**
 * Ask for permission once per browser, from the first gesture after start
 * (headless mode; the desktop app's notifications come from main). Later,
 * Settings → Notifications and the inbox offer the button again.
 */
export function askOnce(): void {
  if (permission() !== 'default') return
  try {
    if (localStorage.getItem(ASKED)) return
    localStorage.setItem(ASKED, new Date().toISOString())
  } catch {
    return
  }
  void askPermission()
}

export function show(event: Extract<ApiEvent, { type: 'notify' }>, onClick: () => void): void {
  if (permission() !== 'granted') return
  try {
    const n = new Notification(event.title, { body: event.body, tag: `baton-${event.kind}` })
    n.onclick = () => {
      window.focus()
      onClick()
      n.close()
    }
  } catch {
    /* some platforms refuse notifications from a page; the inbox still shows it */
  }
}
