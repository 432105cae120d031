// The pipeline's labels, created where missing. A person's own labels are
// never changed or removed, even when they share a name with one of ours.
import { DEFAULT_STAGES } from '../../shared/pipeline'
import type { StageDef } from '../../shared/pipeline'
import type { GitHub } from './octokit'

export interface LabelSpec {
  name: string
  color: string
  description: string
}

export const BATON_LABELS: readonly LabelSpec[] = [
  ...DEFAULT_STAGES.map((s) => ({ name: s.label, color: s.color, description: `Baton: ${s.description}` })),
  { name: 'bug', color: 'd73a4a', description: "Something isn't working" },
  { name: 'feature', color: 'a2eeef', description: 'New feature or request' },
  { name: 'docs', color: '0075ca', description: 'Documentation' },
  { name: 'chore', color: 'cfd3d7', description: 'Maintenance' },
  { name: 'priority:urgent', color: 'b60205', description: 'Baton: scheduled first' },
  { name: 'priority:normal', color: 'fbca04', description: 'Baton: scheduled in order' },
  { name: 'priority:low', color: 'c2e0c6', description: 'Baton: scheduled last' },
  { name: 'approved', color: '0e8a16', description: "Baton: a maintainer approved an outside author's issue for the agents" }
]

/** The labels a pipeline needs: its stages (a custom pipeline's too), the triage labels, and the trust policy's approval label. */
export function labelsFor(stages: readonly StageDef[], approvalLabel = 'approved'): LabelSpec[] {
  const out = new Map<string, LabelSpec>()
  for (const s of stages) out.set(s.label, { name: s.label, color: s.color, description: `Baton: ${s.description || s.title}`.slice(0, 100) })
  for (const l of BATON_LABELS.filter((l) => !DEFAULT_STAGES.some((s) => s.label === l.name) && l.name !== 'approved')) if (!out.has(l.name)) out.set(l.name, l)
  const approval = BATON_LABELS.find((l) => l.name === 'approved') as LabelSpec
  if (!out.has(approvalLabel)) out.set(approvalLabel, { ...approval, name: approvalLabel })
  return [...out.values()]
}

/** Creates the missing labels; returns the names created. */
export async function bootstrapLabels(octokit: GitHub, owner: string, repo: string, specs: readonly LabelSpec[] = BATON_LABELS): Promise<string[]> {
  const existing = await octokit.paginate(octokit.rest.issues.listLabelsForRepo, { owner, repo, per_page: 100 })
  const have = new Set(existing.map((l) => l.name.toLowerCase()))
  const created: string[] = []
  for (const label of specs) {
    if (have.has(label.name.toLowerCase())) continue
    try {
      await octokit.rest.issues.createLabel({ owner, repo, name: label.name, color: label.color, description: label.description })
    } catch (error) {
      // Someone created it meanwhile (422 already_exists): theirs stands.
      if ((error as { status?: number }).status === 422) continue
      throw error
    }
    created.push(label.name)
  }
  return created
}
