// Who may move an issue where (DESIGN.md §4): only a stage's owner may move an
// issue out of it, only along an allowed move; no agent merges, closes, or
// moves an issue to the final stage.
import type { Pipeline } from './definition'
import { ownsStage, stageByLabel } from './definition'

export type MoveCheck = { ok: true } | { ok: false; reason: string }

/** `capabilities`: the answering role's (role.yml), for a stage owned by a capability. */
export function checkMove(pipeline: Pipeline, move: { role: string; from: string; to: string; current: string | null; capabilities?: readonly string[] }): MoveCheck {
  const from = stageByLabel(pipeline, move.from)
  if (!from) return { ok: false, reason: `"${move.from}" is not a stage of this pipeline` }
  if (!stageByLabel(pipeline, move.to)) return { ok: false, reason: `"${move.to}" is not a stage of this pipeline` }
  if (move.current !== move.from) {
    return { ok: false, reason: `the issue is at "${move.current ?? 'no stage'}", not "${move.from}" (someone moved it)` }
  }
  if (!ownsStage(from, move.role, move.capabilities)) {
    const owner = from.capability ? `agents that can ${from.capability}` : (from.owner ?? 'a person')
    return { ok: false, reason: `${move.role} does not own "${move.from}" (owner: ${owner})` }
  }
  if (move.to === pipeline.done) return { ok: false, reason: `no agent moves an issue to "${pipeline.done}": a person merges` }
  if (!from.next.includes(move.to)) {
    return { ok: false, reason: `"${move.from}" --> "${move.to}" is not an allowed move (allowed: ${from.next.join(', ') || 'none'})` }
  }
  return { ok: true }
}
