// The pipeline's labels, created where missing. A person's own labels are
// never changed or removed, even when they share a name with one of ours.
import { DEFAULT_STAGES } from '../../shared/pipeline'
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

/** Creates the missing labels; returns the names created. */
export async function bootstrapLabels(octokit: GitHub, owner: string, repo: string): Promise<string[]> {
  const existing = await octokit.paginate(octokit.rest.issues.listLabelsForRepo, { owner, repo, per_page: 100 })
  const have = new Set(existing.map((l) => l.name.toLowerCase()))
  const created: string[] = []
  for (const label of BATON_LABELS) {
    if (have.has(label.name.toLowerCase())) continue
    await octokit.rest.issues.createLabel({ owner, repo, name: label.name, color: label.color, description: label.description })
    created.push(label.name)
  }
  return created
}
