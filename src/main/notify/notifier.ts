// The core's notifications (issue #12): every `notify` event on the EventHub
// (an agent's REQUEST and a failure for a person from pipeline/inbox.ts, a PR
// ready for review from ready.ts, a spent budget from the budget gate) goes,
// as Settings → Notifications allows (src/shared/notify.ts), to
//   - the desktop app's own notifications (the desktop entry subscribes with
//     `onDesktop`; headless, the renderer shows the browser's from the same event),
//   - the outgoing webhook, one POST at a time, retried with backoff (webhook.ts).
// A webhook that fails is logged by host only, and never stops the pipeline.
import type { NotificationSettings } from '../../shared/api'
import { desktopNotice, shouldNotify, webhookBody, type DesktopNotice, type NotifyEvent } from '../../shared/notify'
import type { EventHub } from '../events'
import type { Logger } from '../log'
import { sendWebhook, type WebhookOptions, type WebhookResult } from './webhook'
import type { WebhookStore } from './webhook-store'

export interface Notifier {
  /** The desktop entry's hook: notices the settings let through. */
  onDesktop(listener: (notice: DesktopNotice) => void): () => void
  /** Send a test message to the webhook now, whatever the settings say. */
  test(): Promise<WebhookResult>
  /** Resolves once every queued webhook send has finished (tests, shutdown). */
  idle(): Promise<void>
  stop(): void
}

export function createNotifier(options: {
  events: EventHub
  settings: () => NotificationSettings
  webhook: WebhookStore
  log: Logger
  send?: WebhookOptions
}): Notifier {
  const desktop = new Set<(notice: DesktopNotice) => void>()
  let queue: Promise<void> = Promise.resolve()

  const post = (event: NotifyEvent) => {
    const url = options.webhook.get()
    if (!url) return
    queue = queue
      .then(async () => {
        const result = await sendWebhook(url, webhookBody(event, event.url ?? null), options.send)
        if (!result.ok) options.log.warn(`notify: the webhook failed after ${result.tries} tries: ${result.error}`)
      })
      .catch((error: unknown) => options.log.warn(`notify: the webhook failed: ${(error as Error).message}`))
  }

  const unsubscribe = options.events.subscribe((event) => {
    if (event.type !== 'notify') return
    let settings: NotificationSettings
    try {
      settings = options.settings()
    } catch {
      return // the database is closing
    }
    if (shouldNotify(settings, event, 'desktop')) {
      const notice = desktopNotice(event)
      for (const listener of desktop) listener(notice)
    }
    if (shouldNotify(settings, event, 'webhook')) post(event)
  })

  return {
    onDesktop(listener) {
      desktop.add(listener)
      return () => desktop.delete(listener)
    },
    async test() {
      const url = options.webhook.get()
      if (!url) return { ok: false, status: null, tries: 0, error: 'No webhook URL is set.' }
      const event: NotifyEvent = { type: 'notify', kind: 'info', title: 'Baton can reach this channel', body: 'A test message from Settings → Notifications.' }
      return sendWebhook(url, webhookBody(event, null), { ...options.send, tries: 1 })
    },
    idle: () => queue,
    stop: () => {
      unsubscribe()
      desktop.clear()
    }
  }
}
