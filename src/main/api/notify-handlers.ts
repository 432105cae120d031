// Settings → Notifications' webhook: its URL is a secret (notify/webhook-store.ts),
// so these answer only whether one is set and its host; the audit log says
// that it was set or removed, never what it is.
import { AppError } from '../../shared/errors'
import type { EventHub } from '../events'
import type { Notifier } from '../notify/notifier'
import { WEBHOOK_VARIABLE, type WebhookStore } from '../notify/webhook-store'
import { audit } from '../store/audit'
import type { Db } from '../store/open'
import type { Handlers } from './dispatch'

export type NotifyHandlers = Pick<Handlers, 'notify.webhook' | 'notify.setWebhook' | 'notify.clearWebhook' | 'notify.testWebhook'>

export function notifyHandlers(c: { db: Db; events: EventHub; webhook: WebhookStore; notifier: Notifier }): NotifyHandlers {
  const fixed = () => {
    if (c.webhook.describe().fromEnv) throw new AppError('conflict', `The webhook comes from ${WEBHOOK_VARIABLE}: change or unset that variable instead.`)
  }
  return {
    'notify.webhook': () => c.webhook.describe(),
    'notify.setWebhook': ({ url }) => {
      fixed()
      c.webhook.set(url)
      const now = c.webhook.describe()
      audit(c.db, { kind: 'notify.webhook', message: `Webhook set (${now.host ?? 'unknown host'})` })
      c.events.changed('settings', 'events')
      return now
    },
    'notify.clearWebhook': () => {
      fixed()
      c.webhook.clear()
      audit(c.db, { kind: 'notify.webhook', message: 'Webhook removed' })
      c.events.changed('settings', 'events')
      return c.webhook.describe()
    },
    'notify.testWebhook': async () => {
      const result = await c.notifier.test()
      audit(c.db, { kind: 'notify.test', message: result.ok ? `Webhook test delivered (${result.status})` : `Webhook test failed: ${result.error ?? 'unknown'}` })
      c.events.changed('events')
      return result
    }
  }
}
