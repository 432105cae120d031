// A role's settings as they apply: its role.yml with the person's overrides
// from Settings on top (provider, model, instances), kept in the `settings`
// table under `roleOverrides`. role.yml is never written.
import { z } from 'zod'
import { PROVIDERS, type RoleConfig } from '../../shared/api'
import { AppError } from '../../shared/errors'
import type { Db } from '../store/open'
import type { Role, RoleSettings } from './roles'

const KEY = 'roleOverrides'

export const RoleOverride = z
  .object({
    provider: z.enum(PROVIDERS).optional(),
    /** null: no model (the provider's default). */
    model: z.string().min(1).nullable().optional(),
    instances: z.number().int().min(0).max(20).optional()
  })
  .strict()
export type RoleOverride = z.infer<typeof RoleOverride>

export function readRoleOverrides(db: Db): Record<string, RoleOverride> {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(KEY) as { value: string } | undefined
  if (!row) return {}
  let raw: unknown
  try {
    raw = JSON.parse(row.value)
  } catch {
    return {}
  }
  const out: Record<string, RoleOverride> = {}
  for (const [role, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    // A damaged entry is ignored: role.yml stands.
    const parsed = RoleOverride.safeParse(value)
    if (parsed.success) out[role] = parsed.data
  }
  return out
}

/** Merges a change into a role's override (undefined fields stay, `reset` forgets them all). */
export function writeRoleOverride(db: Db, role: string, change: RoleOverride & { reset?: boolean }): RoleOverride {
  const all = readRoleOverrides(db)
  const { reset, ...fields } = change
  const next: RoleOverride = reset ? {} : { ...all[role] }
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (next as Record<string, unknown>)[k] = v
  if (Object.keys(next).length) all[role] = next
  else delete all[role]
  db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(KEY, JSON.stringify(all))
  return next
}

/** role.yml with the override on top. */
export function effectiveSettings(role: Pick<Role, 'settings'>, override: RoleOverride | undefined): RoleSettings {
  if (!override) return role.settings
  const settings: RoleSettings = { ...role.settings }
  if (override.provider !== undefined) settings.provider = override.provider
  if (override.model !== undefined) {
    if (override.model === null) delete settings.model
    else settings.model = override.model
  }
  if (override.instances !== undefined) settings.instances = override.instances
  return settings
}

/** Refuses an override that cannot run, naming the field. */
export function checkOverride(role: Role, override: RoleOverride): void {
  const settings = effectiveSettings(role, override)
  if (settings.provider === 'command' && !settings.command) {
    throw new AppError('bad_request', `provider: the command provider needs a command, and agents/${role.name}/role.yml names none (add "command:" there first)`, {
      field: 'provider'
    })
  }
}

export function roleConfig(role: Role, override: RoleOverride | undefined, running: number): RoleConfig {
  const settings = effectiveSettings(role, override)
  return {
    name: role.name,
    description: role.settings.description,
    stages: [...role.settings.stages],
    provider: settings.provider,
    model: settings.model ?? null,
    instances: settings.instances,
    defaults: { provider: role.settings.provider, model: role.settings.model ?? null, instances: role.settings.instances },
    overridden: (['provider', 'model', 'instances'] as const).filter((k) => override?.[k] !== undefined),
    hasCommand: Boolean(role.settings.command),
    capabilities: [...role.settings.capabilities],
    priority: role.settings.priority,
    running
  }
}
