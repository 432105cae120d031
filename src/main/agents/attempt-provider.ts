// Which provider and model one of several parallel attempts runs on (issue
// #15): the trigger's `parallel` carries the repository's list entry for it
// (`provider[:model]`). An instance runs an attempt's own model on its own
// provider, and `builtin` (or `command`, when its role names a command)
// instead, since neither needs a key. Another model provider it does not run:
// model keys go only to that provider's agents (DESIGN.md §9, agent-env.ts),
// so this instance has none — the attempt runs on the instance's own provider
// and says why in its live output.
import type { Trigger } from '../../shared/protocol/trigger'

export interface RunSettings {
  provider: string
  model?: string
  command?: string
}

export function attemptRun<S extends RunSettings>(settings: S, parallel: Trigger['parallel']): { settings: S; note: string | null } {
  const wanted = parallel?.provider
  if (!parallel || !wanted) return { settings, note: null }
  if (wanted === settings.provider) return { settings: parallel.model ? { ...settings, model: parallel.model } : settings, note: null }
  if (wanted === 'builtin') return { settings: { ...settings, provider: 'builtin' }, note: null }
  if (wanted === 'command' && settings.command) return { settings: { ...settings, provider: 'command' }, note: null }
  const why =
    wanted === 'command'
      ? 'its role names no command'
      : `${wanted}'s key goes only to ${wanted}'s agents, and this instance runs ${settings.provider}`
  return { settings, note: `attempt ${parallel.index} of ${parallel.of} asked for ${wanted}${parallel.model ? `:${parallel.model}` : ''}, but ${why}: it runs on ${settings.provider}${settings.model ? ` (${settings.model})` : ''}` }
}
