// Scoped memory and file leases (issue #14, DESIGN.md §11): `memory.remember`,
// `memory.recall`, `memory.forget`, `leases.take`, `leases.release`,
// `leases.list`, the MCP tools remember/recall/forget/lease_files/
// release_files. Each handler takes who calls as a second argument: none is
// the person (the app's token: the desktop, the API, `baton mcp`); `/mcp`
// with a task's token passes `agentCaller(db, scope)` through
// `dispatch(…, caller)`, so the same checks (memory/scope.ts) hold for both.
// Today's notes are the issue scope: `recall issue:…` returns them too
// (read-only, keys `note/<kind>/<id>`).
import type { LeaseResult, LeaseView, MemoryEntry } from '../../shared/memory'
import { AppError } from '../../shared/errors'
import type { EventHub } from '../events'
import { callerName, checkRead, checkWrite, parseScope, SCOPE_HELP, scopeText, type Caller, type Scope } from '../memory/scope'
import { patternProblem, patternsOverlap } from '../pipeline/lease-globs'
import { audit } from '../store/audit'
import { deleteLeases, liveLeases, putLease, sweepLeases, type LeaseRow } from '../store/leases'
import { deleteMemory, putMemory, readMemory, sweepMemory } from '../store/memory'
import type { Db } from '../store/open'
import { getTask } from '../store/tasks'
import type { ApiParsedInput } from '../../shared/api'

type In<M extends 'memory.remember' | 'memory.recall' | 'memory.forget' | 'leases.take' | 'leases.release' | 'leases.list'> = ApiParsedInput<M>

export interface MemoryHandlers {
  'memory.remember': (input: In<'memory.remember'>, caller?: Caller) => { scope: string; key: string; created: boolean; expiresAt: string | null }
  'memory.recall': (input: In<'memory.recall'>, caller?: Caller) => { scope: string; entries: MemoryEntry[]; truncated: boolean }
  'memory.forget': (input: In<'memory.forget'>, caller?: Caller) => { scope: string; key: string; forgotten: boolean }
  'leases.take': (input: In<'leases.take'>, caller?: Caller) => LeaseResult
  'leases.release': (input: In<'leases.release'>, caller?: Caller) => { released: number }
  'leases.list': (input: In<'leases.list'>) => LeaseView[]
}

interface RepoRow {
  id: number
  owner: string
  name: string
}

/** The caller for a task's token (mcp/task-tokens.ts's scope): refused once that attempt no longer runs. */
export function agentCaller(db: Db, scope: { taskId: string; attempt: number; agent: string; repo: string; issue: number }): Caller {
  const task = getTask(db, scope.taskId)
  if (!task || task.attempt !== scope.attempt || (task.state !== 'running' && task.state !== 'waiting')) {
    throw new AppError('forbidden', `Task ${scope.taskId} (attempt ${scope.attempt}) no longer runs: its token acts for nothing.`)
  }
  return { kind: 'agent', name: scope.agent.toLowerCase(), taskId: task.id, repoId: task.repo_id, issue: task.issue }
}

const view = ({ repoId: _r, issueNumber: _i, ...rest }: LeaseRow): LeaseView => rest

export function memoryHandlers(c: { db: Db; events: EventHub; login: () => string | null; now?: () => Date; tick?: () => void }): MemoryHandlers {
  const { db } = c
  const now = () => (c.now?.() ?? new Date()).toISOString()
  const person = (): Caller => ({ kind: 'person', login: c.login() })

  const repoNamed = (name: string): RepoRow => {
    const row = db.prepare('SELECT id, owner, name FROM repos WHERE lower(owner) = ? AND lower(name) = ?').get(...(name.toLowerCase().split('/') as [string, string])) as RepoRow | undefined
    if (!row) {
      const all = (db.prepare('SELECT owner, name FROM repos ORDER BY owner, name').all() as RepoRow[]).map((r) => `${r.owner}/${r.name}`)
      throw new AppError('not_found', `${name} is not connected to Baton. Connected: ${all.join(', ') || 'none'}.`)
    }
    return row
  }

  /** The scope, checked and written the one way it is stored (a repository as it is connected), with its repository and issue. */
  const resolve = (text: string): { scope: Scope; text: string; repoId: number | null; issue: number | null } => {
    const scope = parseScope(text)
    if (!scope) throw new AppError('bad_request', `${JSON.stringify(text)} is not a scope: ${SCOPE_HELP}.`, { issues: [{ path: 'scope', message: SCOPE_HELP }] })
    if (scope.kind === 'issue' || scope.kind === 'repo') {
      const repo = repoNamed(scope.repo)
      const full = `${repo.owner}/${repo.name}`
      if (scope.kind === 'issue') {
        if (!db.prepare('SELECT 1 FROM issues WHERE repo_id = ? AND number = ? AND is_pull = 0').get(repo.id, scope.number)) {
          throw new AppError('not_found', `Issue #${scope.number} is not known to Baton in ${full} (not synced yet, a pull request, or another repository's).`)
        }
        const canonical: Scope = { kind: 'issue', repo: full, number: scope.number }
        return { scope: canonical, text: scopeText(canonical), repoId: repo.id, issue: scope.number }
      }
      const canonical: Scope = { kind: 'repo', repo: full }
      return { scope: canonical, text: scopeText(canonical), repoId: repo.id, issue: null }
    }
    return { scope, text: scopeText(scope), repoId: null, issue: null }
  }

  const changed = () => c.events.changed('issues', 'events')

  /** The issue's notes as entries of its scope (read-only): what the roles' answers left. */
  const notesOf = (repoId: number, issue: number, scope: string): MemoryEntry[] =>
    (db.prepare('SELECT id, role, kind, body, created_at FROM notes WHERE repo_id = ? AND issue = ? ORDER BY id DESC').all(repoId, issue) as Array<{ id: number; role: string; kind: string; body: string; created_at: string }>).map(
      (n) => ({ scope, key: `note/${n.kind}/${n.id}`, text: n.body, author: n.role, createdAt: n.created_at, updatedAt: n.created_at, expiresAt: null, source: 'note' })
    )

  /** The repository a lease call is about: the caller's task's, or the one it names (a person must name one). */
  const leaseRepo = (caller: Caller, repo: string | undefined): RepoRow => {
    if (caller.kind === 'agent') {
      const own = db.prepare('SELECT id, owner, name FROM repos WHERE id = ?').get(caller.repoId) as RepoRow
      if (repo && repo.toLowerCase() !== `${own.owner}/${own.name}`.toLowerCase()) {
        throw new AppError('forbidden', `${caller.name} leases files of its task's repository (${own.owner}/${own.name}) only, not ${repo}.`)
      }
      return own
    }
    if (!repo) throw new AppError('bad_request', 'repo is needed: a person names the repository whose files to lease (owner/name).', { issues: [{ path: 'repo', message: 'repo is needed' }] })
    return repoNamed(repo)
  }

  const holderOf = (caller: Caller) => ({ holder: callerName(caller), taskId: caller.kind === 'agent' ? caller.taskId : null })

  return {
    'memory.remember': ({ scope, key, text, ttlSec }, caller = person()) => {
      const target = resolve(scope)
      checkWrite(caller, target.scope)
      if (key.startsWith('note/')) throw new AppError('bad_request', `note/… keys are the issue's notes (what the roles' answers left): choose another key than ${key}.`, { issues: [{ path: 'key', message: 'note/ is reserved' }] })
      const at = now()
      const expiresAt = ttlSec ? new Date(Date.parse(at) + ttlSec * 1000).toISOString() : null
      sweepMemory(db, at)
      const { created } = putMemory(db, { scope: target.text, key, text, author: callerName(caller), repoId: target.repoId, issue: target.issue, at, expiresAt })
      audit(db, {
        kind: 'memory.remember',
        repoId: target.repoId,
        issue: target.issue,
        taskId: caller.kind === 'agent' ? caller.taskId : null,
        subject: callerName(caller),
        message: `${callerName(caller)} remembered ${key} in ${target.text}${expiresAt ? ` until ${expiresAt}` : ''}`
      })
      if (target.issue !== null) changed()
      return { scope: target.text, key, created, expiresAt }
    },
    'memory.recall': ({ scope, key, prefix, query, limit }, caller = person()) => {
      const target = resolve(scope)
      checkRead(caller, target.scope)
      const at = now()
      sweepMemory(db, at)
      let entries = readMemory(db, { scope: target.text, key, prefix, query, limit: limit + 1, now: at })
      if (target.scope.kind === 'issue' && target.repoId !== null) {
        const q = query?.toLowerCase()
        const notes = notesOf(target.repoId, target.scope.number, target.text).filter(
          (n) => (key === undefined || n.key === key) && (!prefix || n.key.startsWith(prefix)) && (!q || n.key.toLowerCase().includes(q) || n.text.toLowerCase().includes(q))
        )
        entries = [...entries, ...notes].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
      }
      return { scope: target.text, entries: entries.slice(0, limit), truncated: entries.length > limit }
    },
    'memory.forget': ({ scope, key }, caller = person()) => {
      const target = resolve(scope)
      checkWrite(caller, target.scope)
      if (key.startsWith('note/')) throw new AppError('forbidden', `${key} is one of the issue's notes (a role's answer): notes are kept, they cannot be forgotten.`)
      const forgotten = deleteMemory(db, target.text, key, now())
      if (forgotten) {
        audit(db, { kind: 'memory.forget', repoId: target.repoId, issue: target.issue, taskId: caller.kind === 'agent' ? caller.taskId : null, subject: callerName(caller), message: `${callerName(caller)} forgot ${key} in ${target.text}` })
        if (target.issue !== null) changed()
      }
      return { scope: target.text, key, forgotten }
    },
    'leases.take': ({ paths, ttlSec, reason, repo }, caller = person()) => {
      const problems = paths.map((p) => patternProblem(p)).filter((p): p is string => p !== null)
      if (problems.length) throw new AppError('bad_request', `paths: ${problems[0]}.`, { issues: problems.map((message) => ({ path: 'paths', message })) })
      const target = leaseRepo(caller, repo)
      const { holder, taskId } = holderOf(caller)
      const attempt = taskId ? (getTask(db, taskId)?.attempt ?? null) : null
      const issue = caller.kind === 'agent' ? caller.issue : null
      const at = now()
      const expiresAt = new Date(Date.parse(at) + ttlSec * 1000).toISOString()
      return db.transaction((): LeaseResult => {
        sweepLeases(db, at)
        // Another holder's lease, or one of another issue's tasks: a task's own leases (main's plan lease among them) never stand in its way.
        const others = liveLeases(db, at, target.id).filter((l) => !(l.holder === holder && l.task === taskId) && !(issue !== null && l.issueNumber === issue))
        const granted: LeaseView[] = []
        const refused: LeaseResult['refused'] = []
        for (const pattern of [...new Set(paths)]) {
          const clash = others.find((l) => patternsOverlap(l.pattern, pattern))
          if (clash) {
            refused.push({ pattern, heldBy: view(clash) })
            continue
          }
          const id = putLease(db, { repoId: target.id, pattern, taskId, attempt, holder, issue, source: 'tool', reason: reason ?? null, at, expiresAt })
          granted.push(view(liveLeases(db, at, target.id).find((l) => l.id === id) as LeaseRow))
        }
        audit(db, {
          kind: 'lease.take',
          repoId: target.id,
          issue,
          taskId,
          subject: holder,
          message: `${holder} leased ${granted.map((g) => g.pattern).join(', ') || 'nothing'} in ${target.owner}/${target.name} until ${expiresAt}${refused.length ? `; refused ${refused.map((r) => `${r.pattern} (held by ${r.heldBy.holder})`).join(', ')}` : ''}`
        })
        c.events.changed('issues', 'events')
        c.tick?.()
        return { granted, refused }
      })()
    },
    'leases.release': ({ paths, repo }, caller = person()) => {
      const target = leaseRepo(caller, repo)
      const { holder, taskId } = holderOf(caller)
      const released = deleteLeases(db, { repoId: target.id, holder, taskId, patterns: paths })
      if (released) {
        audit(db, { kind: 'lease.release', repoId: target.id, issue: caller.kind === 'agent' ? caller.issue : null, taskId, subject: holder, message: `${holder} released ${released} lease${released === 1 ? '' : 's'} in ${target.owner}/${target.name}` })
        c.events.changed('issues', 'events')
        c.tick?.()
      }
      return { released }
    },
    'leases.list': ({ repo }) => liveLeases(db, now(), repo ? repoNamed(repo).id : undefined).map(view)
  }
}
