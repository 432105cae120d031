// The labels Baton's pipeline and triage use, created where missing with a
// colour and a description. A person's own labels are never changed or
// removed, even one that shares a name with ours (compared case-insensitively,
// as GitHub does).
import { DEFAULT_STAGES } from '../../shared/pipeline'
import type { GitHubOctokit } from './client'

export interface LabelSpec {
  name: string
  color: string
  description: string
}

export const BATON_LABELS: readonly LabelSpec[] = [
  ...DEFAULT_STAGES.map((s) => ({ name: s.label, color: s.color, description: `Baton: ${s.description}` })),
  { name: 'bug', color: 'd73a4a', description: "Something isn't working" },
  { name: 'feature', color: 'a2eeef', description: 'New feature or request' },
  { name: 'docs', color: '0075ca', description: 'Improvements or additions to documentation' },
  { name: 'chore', color: 'cfd3d7', description: 'Maintenance: dependencies, tooling, clean-up' },
  { name: 'priority:urgent', color: 'b60205', description: 'Baton: scheduled before everything else' },
  { name: 'priority:normal', color: 'fbca04', description: 'Baton: scheduled in order' },
  { name: 'priority:low', color: 'c2e0c6', description: 'Baton: scheduled when nothing else waits' },
  { name: 'approved', color: '0e8a16', description: "Baton: a maintainer approved an outside author's issue for the agents" }
]

/** Creates the missing labels (one request each, spaced by the client); returns the names created. */
export async function bootstrapLabels(octokit: GitHubOctokit, owner: string, repo: string, specs: readonly LabelSpec[] = BATON_LABELS): Promise<string[]> {
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
