// Creating an issue from Baton: it goes to GitHub and into the mirror at once
// (labels default to `backlog`, where the pipeline starts). When GitHub
// cannot take it — offline, 5xx, rate limited — it stays in `drafts` with the
// reason, so nothing typed is lost, and can be retried or discarded.
import { z } from 'zod'
import type { Draft } from '../../shared/api'
import { AppError } from '../../shared/errors'
import { audit } from '../store/audit'
import type { Db } from '../store/open'
import type { GitHubOctokit } from './client'
import { toAppError } from './errors'
import { upsertIssue } from './rows'

export const issueInput = z.object({
  title: z.string().trim().min(1, 'A title is needed.').max(256, 'GitHub takes titles of at most 256 characters.'),
  body: z.string().max(65_536, 'GitHub takes bodies of at most 65,536 characters.').default(''),
  labels: z.array(z.string().trim().min(1).max(50)).max(100).default([])
})

export type IssueInput = z.input<typeof issueInput>
export type CreateIssueResult = { created: true; number: number; url: string } | { created: false; draft: Draft }

interface RepoRow {
  id: number
  owner: string
  name: string
}

export function parseIssueInput(input: IssueInput): { title: string; body: string; labels: string[] } {
  const parsed = issueInput.safeParse(input)
  if (!parsed.success) {
    throw new AppError('bad_request', parsed.error.issues.map((i) => i.message).join(' '), { fields: parsed.error.issues.map((i) => i.path.join('.')) })
  }
  const labels = [...new Set(parsed.data.labels)]
  return { title: parsed.data.title, body: parsed.data.body, labels: labels.length ? labels : ['backlog'] }
}

export function getDraft(db: Db, id: number): Draft {
  const row = db
    .prepare('SELECT d.id, d.repo_id, r.owner, r.name, d.title, d.body, d.labels, d.error, d.created_at FROM drafts d JOIN repos r ON r.id = d.repo_id WHERE d.id = ?')
    .get(id) as { id: number; repo_id: number; owner: string; name: string; title: string; body: string; labels: string; error: string | null; created_at: string } | undefined
  if (!row) throw new AppError('not_found', `There is no draft ${id} (it may have been posted or discarded).`)
  return { id: row.id, repoId: row.repo_id, repo: `${row.owner}/${row.name}`, title: row.title, body: row.body, labels: JSON.parse(row.labels) as string[], error: row.error, createdAt: row.created_at }
}

export async function createIssue(
  db: Db,
  octokit: GitHubOctokit | null,
  repo: RepoRow,
  input: IssueInput,
  webUrl: (number: number) => string,
  keep: { draftId?: number } = {}
): Promise<CreateIssueResult> {
  const { title, body, labels } = parseIssueInput(input)
  let failure: AppError
  try {
    if (!octokit) throw new AppError('unauthorized', 'Sign in to GitHub to post it; it is kept as a draft meanwhile.')
    // A retried draft may already be on GitHub: its first POST can have been
    // applied with the answer lost (DESIGN.md §7: check before repeating).
    const posted = keep.draftId !== undefined ? await findPosted(db, octokit, repo, keep.draftId, title, body) : undefined
    const issue = posted ?? (await octokit.rest.issues.create({ owner: repo.owner, repo: repo.name, title, body, labels })).data
    db.transaction(() => {
      upsertIssue(db, repo.id, issue as unknown as Record<string, unknown>)
      if (keep.draftId !== undefined) db.prepare('DELETE FROM drafts WHERE id = ?').run(keep.draftId)
      audit(db, { kind: 'issue.create', repoId: repo.id, issue: issue.number, message: `Created #${issue.number}: ${title}` })
    })()
    return { created: true, number: issue.number, url: webUrl(issue.number) }
  } catch (error) {
    failure = toAppError(error, `creating the issue on ${repo.owner}/${repo.name}`)
  }
  // Not posted (offline, 5xx, rate limited, or refused): the words stay, with the reason.
  // A retry updates its own draft rather than adding one.
  let id = keep.draftId
  if (id === undefined) {
    id = Number(
      db
        .prepare('INSERT INTO drafts (repo_id, title, body, labels, error, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(repo.id, title, body, JSON.stringify(labels), failure.message, new Date().toISOString()).lastInsertRowid
    )
  } else {
    db.prepare('UPDATE drafts SET error = ? WHERE id = ?').run(failure.message, id)
  }
  return { created: false, draft: getDraft(db, id) }
}

/** How far before the draft's own time its lost POST may have landed on GitHub (clock skew). */
const SKEW_MS = 10 * 60_000

/** The issue a draft's earlier attempt created, if GitHub has one: same title and body, by this account, since the draft. */
async function findPosted(db: Db, octokit: GitHubOctokit, repo: RepoRow, draftId: number, title: string, body: string) {
  const draft = db.prepare('SELECT created_at FROM drafts WHERE id = ?').get(draftId) as { created_at: string } | undefined
  if (!draft) return undefined
  const since = new Date(Date.parse(draft.created_at) - SKEW_MS).toISOString()
  const me = (await octokit.rest.users.getAuthenticated()).data.login
  const recent = await octokit.paginate(octokit.rest.issues.listForRepo, { owner: repo.owner, repo: repo.name, creator: me, state: 'all', since, per_page: 100 })
  return recent.find((i) => !i.pull_request && i.title === title && (i.body ?? '') === body)
}

export function listDraftsOf(db: Db, repoId?: number): Draft[] {
  const ids = (repoId === undefined ? db.prepare('SELECT id FROM drafts ORDER BY id').all() : db.prepare('SELECT id FROM drafts WHERE repo_id = ? ORDER BY id').all(repoId)) as Array<{ id: number }>
  return ids.map(({ id }) => getDraft(db, id))
}

export function discardDraft(db: Db, id: number): { discarded: true } {
  getDraft(db, id)
  db.prepare('DELETE FROM drafts WHERE id = ?').run(id)
  return { discarded: true }
}
