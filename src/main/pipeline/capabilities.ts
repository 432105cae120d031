// Stages owned by a capability (DESIGN.md §4): which instances can take one
// now, and where their tasks work. Pure: the scheduler and the fan-out read
// the supervisor's presence (what each instance advertised with its last
// heartbeat, and whether it still beats) through these.
import { stageByLabel, type Pipeline } from './definition'
import { baseRole, CODE_ROLES } from './engine-context'
import type { AgentPresence } from './ports'

/** Higher priority first (role.yml `priority:`, default 0), then by name: the same order every pass. */
export const byPriority = (a: AgentPresence, b: AgentPresence): number => b.priority - a.priority || a.agent.localeCompare(b.agent)

/**
 * The online instances that advertise `capability`, by priority, and of them
 * the free ones (in `idle`, which already leaves out instances kept for a
 * dispatch or an answer, and those whose heartbeat is older than two beats).
 */
export function capableNow(capability: string, presence: readonly AgentPresence[], idle: ReadonlyMap<string, readonly string[]>): { online: AgentPresence[]; free: AgentPresence[] } {
  const online = presence.filter((p) => p.online && p.capabilities.includes(capability)).sort(byPriority)
  return { online, free: online.filter((p) => idle.get(p.role)?.includes(p.agent)) }
}

/**
 * Where a task works: a capability stage says so (`workspace:`; by default
 * the PR's head when the stage comes after an Engineer's stage — there is a
 * pushed branch to read — else no worktree); a role-owned stage by its role.
 * A fan-out's children each get a worktree of their own (one per task id).
 */
export function workspaceModeOf(pipeline: Pipeline, stageLabel: string, role: string): 'read' | 'write' | 'test' | null {
  const stage = stageByLabel(pipeline, stageLabel)
  if (stage?.capability) {
    const index = pipeline.stages.indexOf(stage)
    const where = stage.workspace ?? (pipeline.stages.slice(0, index).some((s) => s.owner === 'engineer') ? 'pr' : 'none')
    return where === 'pr' ? 'test' : where === 'default' ? 'read' : null
  }
  return CODE_ROLES[baseRole(role)] ?? null
}

/** Instances that will advertise `capability` once they start (their first seconds): a fan-out waits for them to be in it. */
export const startingFor = (capability: string, presence: readonly AgentPresence[]): AgentPresence[] => presence.filter((p) => p.starting && p.declared?.includes(capability))

/** What a stage owned by a capability waits for, in the board's words. */
export const capabilityWait = (capability: string, anyOnline: boolean): string =>
  anyOnline ? `waits for a free agent that can ${capability}` : `waits for an online agent that can ${capability}`
