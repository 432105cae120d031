// Sync: GitHub mirrored into SQLite (DESIGN.md §3, §7).
//
// Four lists per repository — issues (state=all, since the cursor), their
// comments (since), pull requests (most recently updated first, until the
// ones already seen) and labels — each asked with If-None-Match on its first
// page. A 304 (Octokit raises it as an error with status 304) is a cache hit
// and costs no rate limit, so an idle repository is free to poll. The ETag
// is kept only when the next poll asks the very same question (same cursor):
// a change costs two counted requests, idleness none.
//
// Everything is fetched first; then one transaction writes it, with no await
// inside. An issue Baton itself changed while the fetch was in flight (see
// `LocalWrites`) is left alone: the stale answer must not undo the change.
import type { Db } from '../store/open'
import type { GitHubOctokit } from './client'
import { isNotModified } from './errors'
import { issueNumberOfComment, replaceLabels, upsertComment, upsertIssue, upsertPull } from './rows'

type Obj = Record<string, unknown>

export interface SyncRepo {
  id: number
  owner: string
  name: string
}

export interface SyncResult {
  /** Issue and PR numbers whose mirrored rows changed. */
  changed: number[]
  labelsChanged: boolean
  /** Requests sent, and how many of them were answered 304. */
  requests: number
  notModified: number
}

/** Issues Baton wrote itself, and when: a sync that fetched before that must not overwrite them. */
export class LocalWrites {
  private readonly at = new Map<string, number>()
  constructor(private readonly now: () => number = Date.now) {}
  touch(repoId: number, issue: number): void {
    this.at.set(`${repoId}#${issue}`, this.now())
  }
  since(repoId: number, issue: number, t: number): boolean {
    return (this.at.get(`${repoId}#${issue}`) ?? -Infinity) >= t
  }
}

interface ListState {
  etag: string | null
  cursor: string | null
}

function readState(db: Db, repoId: number, key: string): ListState {
  return (db.prepare('SELECT etag, cursor FROM sync_state WHERE repo_id = ? AND key = ?').get(repoId, key) as ListState | undefined) ?? { etag: null, cursor: null }
}

function writeState(db: Db, repoId: number, key: string, s: ListState): void {
  db.prepare('INSERT INTO sync_state (repo_id, key, etag, cursor) VALUES (?, ?, ?, ?) ON CONFLICT(repo_id, key) DO UPDATE SET etag = excluded.etag, cursor = excluded.cursor').run(
    repoId,
    key,
    s.etag,
    s.cursor
  )
}

interface Fetched {
  notModified: boolean
  items: Obj[]
  etag: string | null
}

class Counter {
  requests = 0
  notModified = 0
}

/**
 * GET a list with If-None-Match on its first page, then follow `Link: next`
 * until the end or until `enough(page)` says the rest is already known.
 */
async function fetchList(octokit: GitHubOctokit, route: string, params: Obj, etag: string | null, counter: Counter, enough?: (page: Obj[]) => boolean): Promise<Fetched> {
  let response: { data: unknown; headers: Record<string, string | undefined> }
  counter.requests++
  try {
    response = (await octokit.request(route, { ...params, per_page: 100, headers: etag ? { 'if-none-match': etag } : {} })) as typeof response
  } catch (error) {
    if (isNotModified(error)) {
      counter.notModified++
      return { notModified: true, items: [], etag }
    }
    throw error
  }
  const items = [...(response.data as Obj[])]
  const firstEtag = response.headers.etag ?? null
  let link = response.headers.link
  let page = items
  for (;;) {
    const next = link ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined
    if (!next || (enough && enough(page))) break
    counter.requests++
    const more = (await octokit.request({ method: 'GET', url: next } as never)) as typeof response
    page = more.data as Obj[]
    items.push(...page)
    link = more.headers.link
  }
  return { notModified: false, items, etag: firstEtag }
}

const maxTime = (a: string | null, b: unknown): string | null => (b && (!a || String(b) > a) ? String(b) : a)

/** One pass over one repository. */
export async function syncRepository(db: Db, octokit: GitHubOctokit, repo: SyncRepo, local?: LocalWrites, now: () => number = Date.now): Promise<SyncResult> {
  const started = now()
  const counter = new Counter()
  const base = { owner: repo.owner, repo: repo.name }
  const st = { issues: readState(db, repo.id, 'issues'), comments: readState(db, repo.id, 'comments'), pulls: readState(db, repo.id, 'pulls'), labels: readState(db, repo.id, 'labels') }

  const since = (cursor: string | null) => (cursor ? { since: cursor } : {})
  const issues = await fetchList(octokit, 'GET /repos/{owner}/{repo}/issues', { ...base, state: 'all', sort: 'updated', direction: 'asc', ...since(st.issues.cursor) }, st.issues.etag, counter)
  const comments = await fetchList(
    octokit,
    'GET /repos/{owner}/{repo}/issues/comments',
    { ...base, sort: 'updated', direction: 'asc', ...since(st.comments.cursor) },
    st.comments.etag,
    counter
  )
  // Pulls have no `since`: newest first, and stop at a page that reaches what the cursor already saw.
  const pullsCursor = st.pulls.cursor
  const pulls = await fetchList(octokit, 'GET /repos/{owner}/{repo}/pulls', { ...base, state: 'all', sort: 'updated', direction: 'desc' }, st.pulls.etag, counter, (page) =>
    pullsCursor !== null && page.some((p) => String(p.updated_at) < pullsCursor)
  )
  const labels = await fetchList(octokit, 'GET /repos/{owner}/{repo}/labels', base, st.labels.etag, counter)

  const changed = new Set<number>()
  let labelsChanged = false
  db.transaction(() => {
    if (!issues.notModified) {
      let cursor = st.issues.cursor
      let skipped: string | null = null
      for (const issue of issues.items) {
        cursor = maxTime(cursor, issue.updated_at)
        if (local?.since(repo.id, Number(issue.number), started)) {
          // Ask again next time: the cursor stays at or before it, and no ETag.
          if (skipped === null || String(issue.updated_at) < skipped) skipped = String(issue.updated_at)
          continue
        }
        if (upsertIssue(db, repo.id, issue)) changed.add(Number(issue.number))
      }
      if (skipped !== null && cursor !== null && skipped < cursor) cursor = skipped
      writeState(db, repo.id, 'issues', { etag: cursor === st.issues.cursor && skipped === null ? issues.etag : null, cursor })
    }
    if (!comments.notModified) {
      let cursor = st.comments.cursor
      for (const comment of comments.items) {
        cursor = maxTime(cursor, comment.updated_at)
        const issue = issueNumberOfComment(comment)
        if (issue && upsertComment(db, repo.id, issue, comment)) changed.add(issue)
      }
      writeState(db, repo.id, 'comments', { etag: cursor === st.comments.cursor ? comments.etag : null, cursor })
    }
    if (!pulls.notModified) {
      let cursor = pullsCursor
      for (const pull of pulls.items) {
        cursor = maxTime(cursor, pull.updated_at)
        if (upsertPull(db, repo.id, pull)) changed.add(Number(pull.number))
      }
      // The pulls question does not depend on the cursor: its ETag always stands.
      writeState(db, repo.id, 'pulls', { etag: pulls.etag, cursor })
    }
    if (!labels.notModified) {
      labelsChanged = replaceLabels(db, repo.id, labels.items)
      writeState(db, repo.id, 'labels', { etag: labels.etag, cursor: null })
    }
    db.prepare('UPDATE repos SET last_sync_at = ?, sync_error = NULL WHERE id = ?').run(new Date(now()).toISOString(), repo.id)
  })()
  return { changed: [...changed].sort((a, b) => a - b), labelsChanged, requests: counter.requests, notModified: counter.notModified }
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return t
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout)
}

export interface SyncLoopOptions {
  intervalMs: number | (() => number)
  /** The repositories to poll on each tick. */
  repos: () => number[]
  /** One repository's pass; returns the changed issue numbers. */
  syncOne: (repoId: number) => Promise<number[]>
  onChange?: (repoId: number, changed: number[]) => void
  onError?: (repoId: number, error: unknown) => void
  timers?: Timers
}

export interface SyncLoop {
  /** One pass over every repository now (waits for a pass in flight first). */
  tick(): Promise<void>
  stop(): void
}

/** Polls every repository, one after another, then waits the interval; errors are reported and the loop goes on (offline resumes by itself). */
export function startSyncLoop(options: SyncLoopOptions): SyncLoop {
  const timers = options.timers ?? realTimers
  const interval = () => (typeof options.intervalMs === 'function' ? options.intervalMs() : options.intervalMs)
  let stopped = false
  let handle: unknown = null
  let running: Promise<void> | null = null

  const pass = async () => {
    for (const id of options.repos()) {
      if (stopped) return
      try {
        const changed = await options.syncOne(id)
        if (changed.length) options.onChange?.(id, changed)
      } catch (error) {
        options.onError?.(id, error)
      }
    }
  }
  const schedule = () => {
    if (!stopped) handle = timers.setTimeout(() => void tick(), interval())
  }
  const tick = async (): Promise<void> => {
    if (running) return running
    if (handle !== null) timers.clearTimeout(handle)
    handle = null
    running = pass().finally(() => {
      running = null
      schedule()
    })
    return running
  }
  void tick()
  return {
    tick,
    stop() {
      stopped = true
      if (handle !== null) timers.clearTimeout(handle)
      handle = null
    }
  }
}
