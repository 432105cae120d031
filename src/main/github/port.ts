// The pipeline's writes to GitHub (pipeline/ports.ts, GitHubPort). Each is
// safe to repeat (DESIGN.md §7): a comment finds its hidden marker first, a PR
// finds its branch's open PR first. Each also updates the SQLite mirror, so
// the app sees the change before the next sync.
import { AppError } from '../../shared/errors'
import type { GitHubPort, RepoRef } from '../pipeline/ports'
import type { Db } from '../store/open'
import type { GitHubOctokit } from './client'
import { githubMessage, toAppError } from './errors'
import { labelNames, setIssueLabels, upsertComment, upsertPull } from './rows'
import type { LocalWrites } from './sync'

/** What the port needs from the service. */
export interface PortHost {
  db: Db
  /** The signed-in client, or an AppError('unauthorized') when signed out. */
  octokit(): GitHubOctokit
  login(): string | null
  syncNow(repoId: number): Promise<unknown>
  local: LocalWrites
  /** After a write that changed the mirror. */
  changed?(repoId: number, numbers: number[]): void
}

interface Row {
  id: number
  owner: string
  name: string
  default_branch: string
}

function repoRow(db: Db, repo: RepoRef): Row {
  const row = db.prepare('SELECT id, owner, name, default_branch FROM repos WHERE id = ?').get(repo.id) as Row | undefined
  if (!row) throw new AppError('not_found', `${repo.owner}/${repo.name} is not connected any more.`)
  return row
}

export function createGitHubPort(host: PortHost): GitHubPort {
  const ctx = (repo: RepoRef) => {
    const row = repoRow(host.db, repo)
    return { row, octokit: host.octokit(), base: { owner: row.owner, repo: row.name } }
  }

  return {
    async comment(repo, issue, body, marker) {
      const { row, octokit, base } = ctx(repo)
      try {
        // Newest first would be cheaper, but the issue comments API lists oldest first only: read them all.
        const existing = await octokit.paginate(octokit.rest.issues.listComments, { ...base, issue_number: issue, per_page: 100 })
        const found = existing.find((c) => (c.body ?? '').includes(marker))
        const text = body.includes(marker) ? body : `${body}\n\n${marker}`
        const comment = found ?? (await octokit.rest.issues.createComment({ ...base, issue_number: issue, body: text })).data
        if (upsertComment(host.db, row.id, issue, comment as unknown as Record<string, unknown>)) host.changed?.(row.id, [issue])
      } catch (error) {
        throw toAppError(error, `commenting on #${issue}`)
      }
    },

    async setLabels(repo, issue, add, remove) {
      const { row, octokit, base } = ctx(repo)
      const adding = [...new Set(add)].filter((l) => !remove.includes(l))
      const removing = [...new Set(remove)]
      try {
        let after: string[]
        if (!adding.length && !removing.length) {
          after = labelNames((await octokit.rest.issues.listLabelsOnIssue({ ...base, issue_number: issue, per_page: 100 })).data)
        } else if (removing.length <= 1) {
          // Add then remove: one request each, and no one else's label is touched.
          after = adding.length ? labelNames((await octokit.rest.issues.addLabels({ ...base, issue_number: issue, labels: adding })).data) : []
          if (removing.length) {
            try {
              after = labelNames((await octokit.rest.issues.removeLabel({ ...base, issue_number: issue, name: removing[0] as string })).data)
            } catch (error) {
              // Already gone (someone removed it): the labels after are the ones we read.
              if ((error as { status?: number }).status !== 404) throw error
              if (!adding.length) after = labelNames((await octokit.rest.issues.listLabelsOnIssue({ ...base, issue_number: issue, per_page: 100 })).data)
            }
          }
        } else {
          // Several to remove: read the labels now, then set the whole list in one request.
          const now = labelNames((await octokit.rest.issues.listLabelsOnIssue({ ...base, issue_number: issue, per_page: 100 })).data)
          const next = [...now.filter((l) => !removing.includes(l)), ...adding.filter((l) => !now.includes(l))]
          after = next.length === now.length && next.every((l) => now.includes(l)) ? now : labelNames((await octokit.rest.issues.setLabels({ ...base, issue_number: issue, labels: next })).data)
        }
        host.local.touch(row.id, issue)
        setIssueLabels(host.db, row.id, issue, after)
        host.changed?.(row.id, [issue])
        return after
      } catch (error) {
        throw toAppError(error, `changing the labels of #${issue}`)
      }
    },

    async ensurePullRequest(repo, head, title, body) {
      const { row, octokit, base } = ctx(repo)
      try {
        const open = await octokit.rest.pulls.list({ ...base, state: 'open', head: `${row.owner}:${head}`, per_page: 10 })
        let pull = open.data.find((p) => p.head.ref === head) as Record<string, unknown> | undefined
        if (!pull) {
          try {
            pull = (await octokit.rest.pulls.create({ ...base, head, base: row.default_branch, title, body })).data as unknown as Record<string, unknown>
          } catch (error) {
            // Opened meanwhile (a retry after a lost answer): find it rather than fail.
            if ((error as { status?: number }).status === 422 && /already exists/i.test(githubMessage(error))) {
              const again = await octokit.rest.pulls.list({ ...base, state: 'open', head: `${row.owner}:${head}`, per_page: 10 })
              pull = again.data.find((p) => p.head.ref === head) as Record<string, unknown> | undefined
            }
            if (!pull) throw error
          }
        }
        upsertPull(host.db, row.id, pull)
        host.changed?.(row.id, [Number(pull.number)])
        return Number(pull.number)
      } catch (error) {
        throw toAppError(error, `opening the pull request for ${head}`)
      }
    },

    async merge(repo, pr, method) {
      const { row, octokit, base } = ctx(repo)
      try {
        const result = await octokit.rest.pulls.merge({ ...base, pull_number: pr, merge_method: method })
        host.db.prepare("UPDATE pulls SET state = 'closed', merged = 1 WHERE repo_id = ? AND number = ?").run(row.id, pr)
        host.changed?.(row.id, [pr])
        return { sha: result.data.sha }
      } catch (error) {
        const status = (error as { status?: number }).status
        if (status === 405 || status === 409 || (status === 422 && /merge/i.test(githubMessage(error)))) {
          throw new AppError('conflict', `GitHub would not merge #${pr}: ${githubMessage(error)}.`, { reason: githubMessage(error), status })
        }
        throw toAppError(error, `merging #${pr}`)
      }
    },

    async review(repo, pr, event, body, comments) {
      const { octokit, base } = ctx(repo)
      try {
        await octokit.rest.pulls.createReview({ ...base, pull_number: pr, event, body, comments: comments.map((c) => ({ path: c.path, line: c.line, body: c.body })) })
      } catch (error) {
        throw toAppError(error, `reviewing #${pr}`)
      }
    },

    async syncNow(repo) {
      await host.syncNow(repo.id)
    },

    login: () => host.login()
  }
}
