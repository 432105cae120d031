// The person's configuration: roles (provider, model, instances over
// role.yml), pipelines (Settings' custom ones, and which one a repository
// follows) and the trust policy. Every change is checked (messages name the
// field), kept in SQLite, applied live where it can be, and audited.
import type { PipelineView, RoleConfig, Settings, TrustPolicy } from '../../shared/api'
import { AppError } from '../../shared/errors'
import { checkOverride, effectiveSettings, readRoleOverrides, roleConfig, writeRoleOverride, type RoleOverride } from '../agents/role-config'
import type { Role } from '../agents/roles'
import type { EventHub } from '../events'
import type { Logger } from '../log'
import { PIPELINE_FILE, type Pipelines } from '../pipeline/loader'
import type { Runtime } from '../runtime'
import { audit } from '../store/audit'
import type { Db } from '../store/open'
import { readSettings } from '../store/settings'
import { auditBudgetChange } from '../store/spend'
import type { Handlers } from './dispatch'

export interface ConfigContext {
  db: Db
  events: EventHub
  log: Logger
  pipelines: Pipelines
  /** The role folders (the runtime's when it runs). */
  roles: () => Role[]
  runtime: () => Runtime | null
  /** Creates a repository's missing labels (its pipeline's stages, the approval label). */
  ensureLabels: (repoId: number) => Promise<unknown>
  /**
   * Whether a provider can run (agents/provider-status.ts#readiness): `refuse`
   * when it cannot at all (no CLI), `warn` when it may not authenticate.
   */
  providerReadiness?: (provider: string) => { refuse: string | null; warn: string | null }
}

export type ConfigHandlers = Pick<Handlers, 'roles.list' | 'roles.update' | 'pipeline.get' | 'pipeline.update'>

const shown = (v: unknown) => (v === null || v === undefined ? 'default' : String(v))

export function configHandlers(c: ConfigContext): ConfigHandlers & {
  /** Checks a settings patch before it is written (the trust policy's label must not be a stage). */
  checkSettings(patch: Partial<Settings>): void
  /** After a settings patch is written: audit the trust policy in words, create its label. */
  settingsChanged(before: Settings, after: Settings): void
} {
  const repoIds = () => (c.db.prepare('SELECT id FROM repos ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id)
  const repoName = (id: number) => {
    const row = c.db.prepare('SELECT owner, name FROM repos WHERE id = ?').get(id) as { owner: string; name: string } | undefined
    if (!row) throw new AppError('not_found', `No connected repository with id ${id}.`)
    return `${row.owner}/${row.name}`
  }
  const labelsLater = (ids: number[]) => {
    for (const id of ids) void c.ensureLabels(id).catch((error: unknown) => c.log.warn(`labels: ${(error as Error).message}`))
  }

  const findRole = (name: string): Role => {
    const all = c.roles()
    const role = all.find((r) => r.name === name)
    if (!role) throw new AppError('not_found', `No role "${name}" (roles: ${all.map((r) => r.name).join(', ')}).`)
    return role
  }
  const running = (name: string) => c.runtime()?.supervisor.list().filter((a) => a.role === name && a.state !== 'stopped').length ?? 0
  const configOf = (role: Role): RoleConfig => roleConfig(role, readRoleOverrides(c.db)[role.name], running(role.name))

  const view = (repoId: number | null): PipelineView => {
    const roles = c.roles().map((r) => r.name)
    if (repoId === null) {
      const custom = c.pipelines.custom(null)
      const resolved = c.pipelines.resolve(-1)
      return { repoId, source: resolved.source, ...resolved.pipeline, file: null, custom: Boolean(custom), roles }
    }
    repoName(repoId)
    const resolved = c.pipelines.resolve(repoId)
    const file = c.pipelines.fileState(repoId)
    return {
      repoId,
      source: resolved.source,
      ...resolved.pipeline,
      file: file ? { path: PIPELINE_FILE, present: file.present, error: file.error, checkedAt: file.checkedAt } : null,
      custom: Boolean(c.pipelines.custom(repoId)),
      roles
    }
  }

  const stageLabels = (): Set<string> => new Set([-1, ...repoIds()].flatMap((id) => c.pipelines.forRepo(id).stages.map((s) => s.label)))

  return {
    'roles.list': () => c.roles().map(configOf),

    'roles.update': ({ role: name, reset, ...fields }) => {
      const role = findRole(name)
      const given = Object.entries(fields).filter(([, v]) => v !== undefined)
      if (!given.length && !reset) throw new AppError('bad_request', 'Say what to change: provider, model, instances, or reset.')
      const before = configOf(role)
      const overrides = readRoleOverrides(c.db)
      const next: RoleOverride = reset ? {} : { ...overrides[name] }
      for (const [k, v] of given) (next as Record<string, unknown>)[k] = v
      checkOverride(role, next)
      // A provider that is not ready is refused (no CLI) or warned about (no
      // sign-in found) now, in words that say what to do — not at the first task.
      const nextProvider = effectiveSettings(role, next).provider
      const ready = nextProvider !== before.provider ? c.providerReadiness?.(nextProvider) : undefined
      if (ready?.refuse) throw new AppError('bad_request', `provider: ${ready.refuse}.`, { field: 'provider' })
      writeRoleOverride(c.db, name, { ...fields, reset })
      const after = configOf(role)
      const changes = (['provider', 'model', 'instances'] as const)
        .filter((k) => before[k] !== after[k])
        .map((k) => `${k} ${shown(before[k])} → ${shown(after[k])}`)
      audit(c.db, {
        kind: 'role.update',
        subject: name,
        message: `${name}: ${changes.length ? changes.join(', ') : 'no change'}${reset ? ' (back to role.yml)' : ''}`,
        data: { before: { provider: before.provider, model: before.model, instances: before.instances }, after: { provider: after.provider, model: after.model, instances: after.instances } }
      })

      let applies: string
      const runtime = c.runtime()
      if (!runtime) applies = 'It applies when the agents start (they start once a repository is connected).'
      else if (!changes.length) applies = 'Nothing changed.'
      else {
        const steps = runtime.configureRole(name)
        const parts: string[] = []
        const named = (kind: string) => steps.filter((s) => s.applies === kind).map((s) => s.agent)
        if (named('now').length) parts.push(`${named('now').join(', ')} restarted with it now`)
        if (named('after-task').length) parts.push(`${named('after-task').join(', ')} after the task in hand`)
        if (named('started').length) parts.push(`${named('started').join(', ')} started`)
        if (named('stopped').length) parts.push(`${named('stopped').join(', ')} stopped`)
        applies = `Applies to each agent's next task: ${parts.join('; ') || 'no agent of this role runs'}.`
      }
      if (after.instances === 0 && role.settings.stages.length) applies += ` With no ${name}, issues at ${role.settings.stages.join(', ')} wait.`
      c.events.changed('agents', 'settings', 'events')
      return { role: after, applies, warning: ready?.warn ?? null }
    },

    'pipeline.get': ({ repoId }) => view(repoId),

    'pipeline.update': ({ repoId, pipeline }) => {
      const scope = repoId === null ? 'every repository' : repoName(repoId)
      const set = c.pipelines.setCustom(repoId, pipeline)
      const approval = readSettings(c.db).trust.approvalLabel
      if (set?.stages.some((s) => s.label === approval)) {
        c.pipelines.setCustom(repoId, null)
        throw new AppError('bad_request', `pipeline: stages: "${approval}" is the trust policy's approval label, not a stage`)
      }
      audit(c.db, {
        kind: 'pipeline.update',
        repoId,
        message: set
          ? `Custom pipeline for ${scope}: ${set.stages.map((s) => `${s.label}${s.owner ? ` (${s.owner})` : ''}`).join(' → ')}`
          : `Custom pipeline for ${scope} removed`
      })
      labelsLater(repoId === null ? repoIds() : [repoId])
      c.events.changed('settings', 'issues', 'events')
      void c.runtime()?.engine.tick().catch(() => undefined)
      return view(repoId)
    },

    checkSettings(patch) {
      if (patch.trust && stageLabels().has(patch.trust.approvalLabel)) {
        throw new AppError('bad_request', `trust.approvalLabel: "${patch.trust.approvalLabel}" is a pipeline stage; pick another label`)
      }
    },

    settingsChanged(before, after) {
      // A budget raised lets held issues go on at the next pass (budget-gate.ts).
      if (auditBudgetChange(c.db, before.budgets, after.budgets)) void c.runtime()?.engine.tick().catch(() => undefined)
      const b: TrustPolicy = before.trust
      const a: TrustPolicy = after.trust
      if (JSON.stringify(a) === JSON.stringify(b)) return
      audit(c.db, {
        kind: 'trust.update',
        message: `Trust policy: trusted ${a.associations.join(', ')}; approval label "${a.approvalLabel}" (was ${b.associations.join(', ')}; "${b.approvalLabel}")`,
        data: { before: b, after: a }
      })
      if (a.approvalLabel !== b.approvalLabel) labelsLater(repoIds())
      void c.runtime()?.engine.tick().catch(() => undefined)
    }
  }
}
