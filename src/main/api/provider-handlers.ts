// Settings → Providers: each model provider's status, a Check that runs one
// short real turn, and the keys a person types into Baton. A key is kept by
// secrets/provider-keys.ts (never in SQLite, never in the audit log: the
// audit says only that one was set), and the agents of that provider start
// again with it (by environment: agents/agent-env.ts gives it to them only).
import { MODEL_PROVIDERS, type ModelProvider, type ProviderStatus } from '../../shared/api'
import type { ProviderStatusService } from '../agents/provider-status'
import type { EventHub } from '../events'
import type { ProviderKeys } from '../secrets/provider-keys'
import type { Runtime } from '../runtime'
import { audit } from '../store/audit'
import type { Db } from '../store/open'
import type { Handlers } from './dispatch'

export interface ProviderHandlerContext {
  db: Db
  events: EventHub
  keys: ProviderKeys
  status: ProviderStatusService
  runtime: () => Runtime | null
}

export type ProviderHandlers = Pick<Handlers, 'providers.status' | 'providers.check' | 'providers.setKey' | 'providers.clearKey'>

export function providerHandlers(c: ProviderHandlerContext): ProviderHandlers {
  const changedKey = async (provider: ModelProvider, message: string): Promise<ProviderStatus> => {
    const restarted = c.runtime()?.supervisor.restartProvider(provider) ?? []
    audit(c.db, { kind: 'provider.key', subject: provider, message: `${message}${restarted.length ? `; ${restarted.join(', ')} restart with it` : ''}` })
    c.events.changed('settings', 'agents', 'events')
    return c.status.status(provider)
  }
  return {
    'providers.status': () => Promise.all(MODEL_PROVIDERS.map((p) => c.status.status(p))),
    'providers.check': async ({ provider, model }) => {
      const result = await c.status.check(provider, model)
      audit(c.db, {
        kind: 'provider.check',
        subject: provider,
        message: result.ok ? `Check of ${provider} answered in ${(result.durationMs / 1000).toFixed(1)} s${result.costUsd !== null ? `, $${result.costUsd.toFixed(4)}` : ''}` : `Check of ${provider} failed: ${result.error ?? 'unknown'}`
      })
      c.events.changed('events')
      return result
    },
    'providers.setKey': ({ provider, key }) => {
      c.keys.set(provider, key)
      return changedKey(provider, `A key for ${provider} was set in Baton`)
    },
    'providers.clearKey': ({ provider }) => {
      c.keys.clear(provider)
      return changedKey(provider, `The key Baton held for ${provider} was removed`)
    }
  }
}
