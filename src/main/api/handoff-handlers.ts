// Hand-offs to other projects (issue #14; pipeline/handoff.ts): the API's
// `handoffs.*` and the repository setting that decides whether a hand-off into
// another owner's repository waits for the person. The engine does the work,
// under the origin issue's lock; these name who asked and read the rows.
import type { Handoff, RepoSummary } from '../../shared/api'
import { AppError } from '../../shared/errors'
import type { EventHub } from '../events'
import type { PipelineEngine } from '../pipeline/engine'
import { handoffView } from '../pipeline/handoff'
import { audit } from '../store/audit'
import { setHandoffApproval, type HandoffRow } from '../store/handoffs'
import type { Db } from '../store/open'
import { listRepos } from '../store/queries'
import type { Handlers } from './dispatch'
import type { Caller } from '../memory/scope'

export type HandoffHandlers = Pick<Handlers, 'handoffs.create' | 'handoffs.list' | 'handoffs.approve' | 'handoffs.refuse' | 'repos.setHandoffApproval'>

export function handoffHandlers(c: { db: Db; events: EventHub; engine: () => PipelineEngine; login: () => string | null; tick: () => void }): HandoffHandlers {
  return {
    // The author on GitHub is the signed-in person (the app's token), as for issues.create; the audit names them too.
    // An agent's (a task's token on /mcp) is marked as its words and starts untrusted (pipeline/agent-filed.ts).
    'handoffs.create': (input, caller?: Caller) => c.engine().handoff(input, c.login(), caller?.kind === 'agent' ? caller.name : null),
    'handoffs.list': ({ repoId, issue }): Handoff[] => {
      if (issue !== undefined && repoId === undefined) throw new AppError('bad_request', 'Name the repository (repoId) of the issue.')
      const rows = c.db
        .prepare('SELECT * FROM handoffs WHERE (? IS NULL OR from_repo_id = ?) AND (? IS NULL OR from_issue = ?) ORDER BY id DESC LIMIT 500')
        .all(repoId ?? null, repoId ?? null, issue ?? null, issue ?? null) as HandoffRow[]
      return rows.map((r) => handoffView(c.db, r))
    },
    'handoffs.approve': ({ id }) => c.engine().approveHandoff(id, c.login()),
    'handoffs.refuse': ({ id, reason }) => c.engine().refuseHandoff(id, c.login(), reason || null),
    'repos.setHandoffApproval': ({ id, required }): RepoSummary => {
      if (!setHandoffApproval(c.db, id, required)) throw new AppError('not_found', `No connected repository ${id}.`)
      const repo = listRepos(c.db).find((r) => r.id === id) as RepoSummary
      audit(c.db, {
        kind: 'repo.handoff-approval',
        repoId: id,
        subject: c.login(),
        message: required ? `Hand-offs from ${repo.owner}/${repo.name} into another owner's repository wait for approval` : `Hand-offs from ${repo.owner}/${repo.name} into another owner's repository are filed without asking`
      })
      c.events.changed('repos', 'events')
      c.tick()
      return repo
    }
  }
}
