// The pipeline as data (DESIGN.md §4): stages (each a label), owners and
// allowed moves. The default is DEFAULT_STAGES; a repository may define its
// own in `.baton/pipeline.yml`, validated here with messages that name the
// field that is wrong.
import { parse as parseYaml } from 'yaml'
import { DEFAULT_STAGES, PipelineSpec, type StageDef } from '../../shared/pipeline'
import { AppError } from '../../shared/errors'

export interface Pipeline {
  stages: StageDef[]
  /** The stage new issues start in. */
  entry: string
  /** The stage a merged PR's issue reaches (never set by an agent). */
  done: string
}

export const defaultPipeline: Pipeline = { stages: DEFAULT_STAGES.map((s) => ({ ...s })), entry: 'backlog', done: 'done' }

/** Parses and checks a pipeline file; the error names the file and the field. */
export function parsePipeline(text: string, source = '.baton/pipeline.yml', roles?: readonly string[]): Pipeline {
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (error) {
    throw new AppError('bad_request', `${source}: not valid YAML: ${(error as Error).message}`)
  }
  return checkPipeline(raw, source, roles)
}

/**
 * Checks a pipeline given as data (a parsed file, or the Settings screen's
 * input): the shape, then unique labels, moves to stages that exist, owners
 * that are roles, and an ownerless final stage. The error names the source and the field.
 */
export function checkPipeline(raw: unknown, source: string, roles?: readonly string[]): Pipeline {
  const parsed = PipelineSpec.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.length ? issue.path.join('.') : '(top level)'
    throw new AppError('bad_request', `${source}: ${where}: ${issue?.message ?? 'invalid'}`, { path: issue?.path })
  }
  const stages: StageDef[] = parsed.data.stages.map((s) => ({
    label: s.label,
    owner: s.owner,
    title: s.title ?? s.label,
    description: s.description,
    color: s.color.toLowerCase(),
    next: s.next,
    ...(s.capability ? { capability: s.capability, route: s.route ?? 'any' } : {}),
    ...(s.join ? { join: s.join } : {}),
    ...(s.workspace ? { workspace: s.workspace } : {}),
    ...(s.onCritical ? { onCritical: s.onCritical } : {})
  }))
  const labels = new Set<string>()
  stages.forEach((stage, i) => {
    if (labels.has(stage.label)) throw new AppError('bad_request', `${source}: stages.${i}.label: "${stage.label}" appears twice`)
    labels.add(stage.label)
  })
  parsed.data.stages.forEach((spec, i) => checkRouting(spec, `${source}: stages.${i}`))
  stages.forEach((stage, i) => {
    if (stage.onCritical && !labels.has(stage.onCritical)) throw new AppError('bad_request', `${source}: stages.${i}.onCritical: no stage is labelled "${stage.onCritical}"`)
    stage.next.forEach((to, j) => {
      if (!labels.has(to)) throw new AppError('bad_request', `${source}: stages.${i}.next.${j}: no stage is labelled "${to}"`)
    })
    if (roles && stage.owner && !roles.includes(stage.owner)) {
      throw new AppError('bad_request', `${source}: stages.${i}.owner: no role "${stage.owner}" (roles: ${roles.join(', ')})`)
    }
  })
  const entry = parsed.data.entry ?? (stages[0] as StageDef).label
  const done = parsed.data.done ?? (stages[stages.length - 1] as StageDef).label
  if (!labels.has(entry)) throw new AppError('bad_request', `${source}: entry: no stage is labelled "${entry}"`)
  if (!labels.has(done)) throw new AppError('bad_request', `${source}: done: no stage is labelled "${done}"`)
  if (stages.find((s) => s.label === done)?.capability) {
    throw new AppError('bad_request', `${source}: done: the final stage "${done}" cannot be owned by a capability (no agent closes an issue)`)
  }
  if (stages.find((s) => s.label === done)?.owner) {
    throw new AppError('bad_request', `${source}: done: the final stage "${done}" cannot have an owner (no agent closes an issue)`)
  }
  return { stages, entry, done }
}

/**
 * A stage is owned by a role (`owner`), by a capability (`capability`, routed
 * `any` or `all`), or by a person (neither); `route`, `join` and `workspace`
 * belong to capability stages, `join` to `route: all`.
 */
function checkRouting(spec: { owner: string | null; capability?: string; route?: string; join?: string; workspace?: string }, where: string): void {
  if (spec.owner && spec.capability) throw new AppError('bad_request', `${where}: a stage is owned by a role (owner: ${spec.owner}) or by a capability (capability: ${spec.capability}), not both`)
  if (!spec.capability) {
    for (const field of ['route', 'join', 'workspace'] as const) {
      if (spec[field] !== undefined) throw new AppError('bad_request', `${where}.${field}: only a stage owned by a capability has a ${field} (add "capability: <name>", e.g. review)`)
    }
    return
  }
  if (spec.join !== undefined && spec.route !== 'all') throw new AppError('bad_request', `${where}.join: a join merges a fan-out's answers: it needs "route: all" (route is ${spec.route ?? 'any'})`)
}

/** Whether a role (or a fan-out's parent, `@<capability>`) with these capabilities may answer for the stage. */
export function ownsStage(stage: StageDef, role: string, capabilities: readonly string[] = []): boolean {
  if (stage.capability) return role === `@${stage.capability}` || capabilities.includes(stage.capability)
  return stage.owner !== null && stage.owner === role
}

export function stageByLabel(pipeline: Pipeline, label: string): StageDef | undefined {
  return pipeline.stages.find((s) => s.label === label)
}

/**
 * The issue's stage: the first pipeline stage among its labels. Several stage
 * labels at once (a person added one without removing another) resolve to the
 * latest stage in pipeline order, which is where the person moved it.
 */
export function stageOf(pipeline: Pipeline, labels: readonly string[]): StageDef | null {
  let found: StageDef | null = null
  for (const stage of pipeline.stages) if (labels.includes(stage.label)) found = stage
  return found
}
