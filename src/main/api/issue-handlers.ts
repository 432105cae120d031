// The issue page's writes (issue #13): a person comments, adds and removes
// labels, closes (as completed or not planned) and reopens. Each goes through
// the GitHub service's idempotent path the engine uses (a comment found again
// by its marker, labels computed against the current ones, a state read
// before it is written), lands in the mirror at once, and is audited with who
// did it.
import { randomUUID } from 'node:crypto'
import { AppError } from '../../shared/errors'
import type { EventHub } from '../events'
import type { GitHubService } from '../github/service'
import type { RepoRef } from '../pipeline/ports'
import { audit } from '../store/audit'
import type { Db } from '../store/open'
import type { Handlers } from './dispatch'

export type IssueHandlers = Pick<Handlers, 'issues.comment' | 'issues.setLabels' | 'issues.close' | 'issues.reopen'>

/**
 * The marker of a person's comment: it names the draft (`key`), never a role,
 * so the page shows the comment as its author's and a repeat finds it.
 */
export function personMarker(key: string): string {
  return `<!-- baton:task=person-${key} baton:kind=comment -->`
}

export function issueHandlers(c: { db: Db; events: EventHub; github: GitHubService; tick: () => void }): IssueHandlers {
  const repoOf = (repoId: number, issue: number): RepoRef => {
    const row = c.db.prepare('SELECT id, owner, name, default_branch FROM repos WHERE id = ?').get(repoId) as
      | { id: number; owner: string; name: string; default_branch: string }
      | undefined
    if (!row) throw new AppError('not_found', `No connected repository with id ${repoId}.`)
    if (!c.db.prepare('SELECT 1 FROM issues WHERE repo_id = ? AND number = ? AND is_pull = 0').get(repoId, issue)) {
      throw new AppError('not_found', `Issue #${issue} is not known to Baton (not synced yet, a pull request, or in another repository).`)
    }
    return { id: row.id, owner: row.owner, name: row.name, defaultBranch: row.default_branch }
  }
  const who = () => c.github.login() ?? 'A person'
  const done = (repoId: number, issue: number, kind: string, message: string) => {
    audit(c.db, { kind, repoId, issue, subject: c.github.login(), message })
    c.events.changed('issues', 'events')
    c.tick()
  }

  return {
    'issues.comment': async ({ repoId, issue, body, key }) => {
      const repo = repoOf(repoId, issue)
      const marker = personMarker(key ?? randomUUID().replace(/-/g, ''))
      const url = await c.github.port().comment(repo, issue, `${body}\n\n${marker}`, marker)
      done(repoId, issue, 'issue.comment', `${who()} commented on #${issue}`)
      return { commented: true as const, url: url ?? null }
    },
    'issues.setLabels': async ({ repoId, issue, add, remove }) => {
      const repo = repoOf(repoId, issue)
      const both = add.filter((l) => remove.includes(l))
      if (both.length) throw new AppError('bad_request', `"${both[0]}" is both added and removed: name it once.`)
      const labels = await c.github.port().setLabels(repo, issue, add, remove)
      const said = [...add.map((l) => `+${l}`), ...remove.map((l) => `−${l}`)].join(' ')
      done(repoId, issue, 'issue.labels', `${who()} changed the labels of #${issue}: ${said}`)
      return { labels }
    },
    'issues.close': async ({ repoId, issue, reason }) => {
      repoOf(repoId, issue)
      const { changed } = await c.github.setIssueState(repoId, issue, { state: 'closed', reason })
      if (changed) done(repoId, issue, 'issue.close', `${who()} closed #${issue} as ${reason === 'not_planned' ? 'not planned' : 'completed'}`)
      return { closed: true as const, reason, changed }
    },
    'issues.reopen': async ({ repoId, issue }) => {
      repoOf(repoId, issue)
      const { changed } = await c.github.setIssueState(repoId, issue, { state: 'open' })
      if (changed) done(repoId, issue, 'issue.reopen', `${who()} reopened #${issue}`)
      return { reopened: true as const, changed }
    }
  }
}
