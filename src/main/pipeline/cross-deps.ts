// Dependencies across repositories (issue #14): "blocked by acme/lib#7".
// A connected repository's issue is read from the mirror (the sync keeps it);
// one that is not connected is asked read-only through the GitHub port
// (`readIssue`, with its ETag: an unchanged issue is a free 304), at most once
// a minute per issue and never inside a tick (the tick reads what the last
// answer left in `remote_issues` and a lookup ticks again when it changes).
import type { Db } from '../store/open'
import type { ElsewhereState, IssueRef } from './dependencies'
import type { EngineContext } from './engine-context'

/** How long an unconnected repository's issue is taken as last read. */
export const REMOTE_TTL_MS = 60_000

interface RemoteRow {
  state: string | null
  state_reason: string | null
  etag: string | null
  error: string | null
  checked_at: string
}

/** Lookups in flight, per engine (one per issue at a time). */
const inflight = new WeakMap<EngineContext, Set<string>>()

function connected(db: Db, ref: IssueRef): number | null {
  const row = db.prepare('SELECT id FROM repos WHERE owner = ? COLLATE NOCASE AND name = ? COLLATE NOCASE').get(ref.owner, ref.name) as { id: number } | undefined
  return row?.id ?? null
}

function remoteRow(db: Db, ref: IssueRef): RemoteRow | undefined {
  return db
    .prepare('SELECT state, state_reason, etag, error, checked_at FROM remote_issues WHERE owner = ? COLLATE NOCASE AND name = ? COLLATE NOCASE AND number = ?')
    .get(ref.owner, ref.name, ref.number) as RemoteRow | undefined
}

/** What the scheduler knows of another repository's issue now; starts a lookup when the last one is over a minute old. */
export function elsewhereState(ctx: EngineContext, ref: IssueRef): ElsewhereState {
  const { db } = ctx
  const repoId = connected(db, ref)
  if (repoId !== null) {
    const issue = db.prepare('SELECT state FROM issues WHERE repo_id = ? AND number = ?').get(repoId, ref.number) as { state: string } | undefined
    if (!issue) return { closed: false, note: 'not synced yet' }
    return { closed: issue.state === 'closed', note: null }
  }
  const row = remoteRow(db, ref)
  if (!row || ctx.now().getTime() - Date.parse(row.checked_at) >= REMOTE_TTL_MS) lookUp(ctx, ref, row)
  if (!row) return { closed: false, note: 'looking it up' }
  if (row.error) return { closed: false, note: `cannot read it: ${row.error}` }
  return { closed: row.state === 'closed', note: null }
}

function lookUp(ctx: EngineContext, ref: IssueRef, row: RemoteRow | undefined): void {
  const read = ctx.o.github.readIssue
  if (!read) return
  const key = `${ref.owner}/${ref.name}#${ref.number}`.toLowerCase()
  const running = inflight.get(ctx) ?? new Set<string>()
  inflight.set(ctx, running)
  if (running.has(key)) return
  running.add(key)
  const save = (fields: { state: string | null; stateReason: string | null; etag: string | null; error: string | null }) => {
    const before = remoteRow(ctx.db, ref)
    ctx.db
      .prepare(
        `INSERT INTO remote_issues (owner, name, number, state, state_reason, etag, error, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(owner, name, number) DO UPDATE SET state = excluded.state, state_reason = excluded.state_reason, etag = excluded.etag, error = excluded.error, checked_at = excluded.checked_at`
      )
      .run(ref.owner, ref.name, ref.number, fields.state, fields.stateReason, fields.etag, fields.error, ctx.now().toISOString())
    // A changed answer may unblock (or block) an issue: schedule again.
    if (!before || before.state !== fields.state || before.error !== fields.error) void ctx.tick()
  }
  void ctx
    .track(
      'cross-repo dependency',
      read(ref.owner, ref.name, ref.number, row?.error ? null : (row?.etag ?? null)).then(
        (got) => {
          if (got.notModified && row) save({ state: row.state, stateReason: row.state_reason, etag: got.etag, error: null })
          else if (got.issue) save({ state: got.issue.state, stateReason: got.issue.stateReason, etag: got.etag, error: null })
        },
        (error: unknown) => {
          const status = (error as { status?: number }).status
          save({ state: row?.state ?? null, stateReason: row?.state_reason ?? null, etag: null, error: status ? String(status) : (error as Error).message.slice(0, 200) })
        }
      )
    )
    .finally(() => running.delete(key))
}
