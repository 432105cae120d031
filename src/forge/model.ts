// The forge's data model over SQLite: accounts, repositories, permissions and
// the issue/label/comment records. Route handlers and the programmatic admin
// helpers both go through here; every write moves `updated_at`.
import { join } from 'node:path'
import type { Statement } from 'better-sqlite3'
import type { AccountRow, CommentRow, ForgeDb, IssueRow, LabelRow, PullRow, RepoRow, TokenRow } from './store'
import type { Permission } from './seed'

export const permissionRank: Record<Permission, number> = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 }

export function atLeast(have: Permission, need: Permission): boolean {
  return permissionRank[have] >= permissionRank[need]
}

export type AuthorAssociation = 'OWNER' | 'MEMBER' | 'COLLABORATOR' | 'CONTRIBUTOR' | 'NONE'

export class Model {
  constructor(
    readonly db: ForgeDb,
    readonly reposDir: string,
    /** Milliseconds since the epoch; tests move it. */
    readonly now: () => number
  ) {}

  // Prepared statements are reused: a page of 100 issues runs ~1,000 small queries.
  private statements = new Map<string, Statement>()
  private q(sql: string): Statement {
    let st = this.statements.get(sql)
    if (!st) {
      st = this.db.prepare(sql)
      this.statements.set(sql, st)
    }
    return st
  }

  gitDir(repo: RepoRow): string {
    const owner = this.account(repo.owner_id)
    return join(this.reposDir, owner.login.toLowerCase(), `${repo.name.toLowerCase()}.git`)
  }

  // ── accounts and tokens ──────────────────────────────────────────────────
  account(id: number): AccountRow {
    const row = this.q('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined
    if (!row) throw new Error(`No account with id ${id}`)
    return row
  }
  accountByLogin(login: string): AccountRow | undefined {
    return this.q('SELECT * FROM accounts WHERE login = ?').get(login) as AccountRow | undefined
  }
  createAccount(a: { login: string; type?: 'User' | 'Organization'; name?: string | null; email?: string | null; siteAdmin?: boolean }): AccountRow {
    const existing = this.accountByLogin(a.login)
    if (existing) throw new Error(`The account "${a.login}" already exists`)
    const info = this.db
      .prepare('INSERT INTO accounts (login, type, name, email, site_admin, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(a.login, a.type ?? 'User', a.name ?? null, a.email ?? null, a.siteAdmin ? 1 : 0, this.now())
    return this.account(Number(info.lastInsertRowid))
  }
  addToken(accountId: number, token: string, scopes: string[], rateLimit?: number): void {
    this.db
      .prepare('INSERT OR REPLACE INTO tokens (token, account_id, scopes, rate_limit, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(token, accountId, scopes.join(', '), rateLimit ?? null, this.now())
  }
  tokenRow(token: string): TokenRow | undefined {
    return this.q('SELECT * FROM tokens WHERE token = ?').get(token) as TokenRow | undefined
  }
  tokensOf(accountId: number): TokenRow[] {
    return this.q('SELECT * FROM tokens WHERE account_id = ? ORDER BY created_at').all(accountId) as TokenRow[]
  }
  addMember(orgId: number, userId: number): void {
    this.q('INSERT OR IGNORE INTO org_members (org_id, user_id) VALUES (?, ?)').run(orgId, userId)
  }
  isMember(orgId: number, userId: number): boolean {
    return !!this.q('SELECT 1 FROM org_members WHERE org_id = ? AND user_id = ?').get(orgId, userId)
  }

  // ── repositories and permissions ─────────────────────────────────────────
  repo(owner: string, name: string): RepoRow | undefined {
    return this.db
      .prepare('SELECT r.* FROM repos r JOIN accounts a ON a.id = r.owner_id WHERE a.login = ? AND r.name = ?')
      .get(owner, name) as RepoRow | undefined
  }
  repoById(id: number): RepoRow {
    return this.q('SELECT * FROM repos WHERE id = ?').get(id) as RepoRow
  }
  reposOwnedBy(ownerId: number): RepoRow[] {
    return this.q('SELECT * FROM repos WHERE owner_id = ? ORDER BY id').all(ownerId) as RepoRow[]
  }
  touchRepo(repoId: number, pushed = false): void {
    const t = this.now()
    this.q(`UPDATE repos SET updated_at = ?${pushed ? ', pushed_at = ?' : ''} WHERE id = ?`).run(...(pushed ? [t, t, repoId] : [t, repoId]))
  }
  setPermission(repoId: number, userId: number, permission: Permission): void {
    if (permission === 'none') this.q('DELETE FROM collaborators WHERE repo_id = ? AND user_id = ?').run(repoId, userId)
    else
      this.db
        .prepare('INSERT INTO collaborators (repo_id, user_id, permission) VALUES (?, ?, ?) ON CONFLICT (repo_id, user_id) DO UPDATE SET permission = excluded.permission')
        .run(repoId, userId, permission)
  }
  explicitPermission(repoId: number, userId: number): Permission | undefined {
    const row = this.q('SELECT permission FROM collaborators WHERE repo_id = ? AND user_id = ?').get(repoId, userId) as
      | { permission: Permission }
      | undefined
    return row?.permission
  }
  /** A user's effective role on a repository, as GitHub resolves it. */
  permission(repo: RepoRow, user: AccountRow | undefined): Permission {
    const base: Permission = repo.private ? 'none' : 'read'
    let best: Permission = base
    if (!user) return base
    if (repo.owner_id === user.id) return 'admin'
    const explicit = this.explicitPermission(repo.id, user.id)
    if (explicit && permissionRank[explicit] > permissionRank[best]) best = explicit
    // Organization members get the organization's base permission (read).
    if (best === 'none' && this.isMember(repo.owner_id, user.id)) best = 'read'
    return best
  }
  authorAssociation(repo: RepoRow, userId: number): AuthorAssociation {
    if (repo.owner_id === userId) return 'OWNER'
    if (this.isMember(repo.owner_id, userId)) return 'MEMBER'
    if (this.explicitPermission(repo.id, userId)) return 'COLLABORATOR'
    const merged = this.db
      .prepare('SELECT 1 FROM issues i JOIN pulls p ON p.issue_id = i.id WHERE i.repo_id = ? AND i.user_id = ? AND p.merged_at IS NOT NULL LIMIT 1')
      .get(repo.id, userId)
    return merged ? 'CONTRIBUTOR' : 'NONE'
  }

  // ── labels ───────────────────────────────────────────────────────────────
  labels(repoId: number): LabelRow[] {
    return this.q('SELECT * FROM labels WHERE repo_id = ? ORDER BY name COLLATE NOCASE').all(repoId) as LabelRow[]
  }
  label(repoId: number, name: string): LabelRow | undefined {
    return this.q('SELECT * FROM labels WHERE repo_id = ? AND name = ?').get(repoId, name) as LabelRow | undefined
  }
  createLabel(repoId: number, name: string, color = 'ededed', description: string | null = null): LabelRow {
    const info = this.q('INSERT INTO labels (repo_id, name, color, description) VALUES (?, ?, ?, ?)').run(repoId, name, color.toLowerCase(), description)
    return this.q('SELECT * FROM labels WHERE id = ?').get(Number(info.lastInsertRowid)) as LabelRow
  }
  /** Labels an issue names that do not exist yet are created, as GitHub does. */
  ensureLabel(repoId: number, name: string): LabelRow {
    return this.label(repoId, name) ?? this.createLabel(repoId, name)
  }
  /** In the order they were given (the row id: a PUT rewrites the rows in its order, a POST appends), not by name. */
  issueLabels(issueId: number): LabelRow[] {
    return this.db
      .prepare('SELECT l.* FROM labels l JOIN issue_labels il ON il.label_id = l.id WHERE il.issue_id = ? ORDER BY il.rowid')
      .all(issueId) as LabelRow[]
  }
  addIssueLabels(issue: IssueRow, names: string[]): void {
    const add = this.q('INSERT OR IGNORE INTO issue_labels (issue_id, label_id) VALUES (?, ?)')
    for (const name of names) add.run(issue.id, this.ensureLabel(issue.repo_id, name).id)
    this.touchIssue(issue.id)
  }
  setIssueLabels(issue: IssueRow, names: string[]): void {
    this.q('DELETE FROM issue_labels WHERE issue_id = ?').run(issue.id)
    this.addIssueLabels(issue, names)
  }

  // ── issues ───────────────────────────────────────────────────────────────
  issue(repoId: number, number: number): IssueRow | undefined {
    return this.q('SELECT * FROM issues WHERE repo_id = ? AND number = ?').get(repoId, number) as IssueRow | undefined
  }
  issueById(id: number): IssueRow {
    return this.q('SELECT * FROM issues WHERE id = ?').get(id) as IssueRow
  }
  touchIssue(issueId: number): void {
    this.q('UPDATE issues SET updated_at = ? WHERE id = ?').run(this.now(), issueId)
  }
  createIssue(repo: RepoRow, input: { title: string; body?: string | null; userId: number; labels?: string[]; assignees?: number[]; isPull?: boolean }): IssueRow {
    return this.db.transaction(() => {
      const current = this.repoById(repo.id)
      const number = current.next_number
      this.q('UPDATE repos SET next_number = next_number + 1 WHERE id = ?').run(repo.id)
      const t = this.now()
      const info = this.db
        .prepare('INSERT INTO issues (repo_id, number, title, body, user_id, is_pull, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(repo.id, number, input.title, input.body ?? null, input.userId, input.isPull ? 1 : 0, t, t)
      const issue = this.issueById(Number(info.lastInsertRowid))
      if (input.labels?.length) this.addIssueLabels(issue, input.labels)
      for (const a of input.assignees ?? []) this.q('INSERT OR IGNORE INTO issue_assignees (issue_id, user_id) VALUES (?, ?)').run(issue.id, a)
      return this.issueById(issue.id)
    })()
  }
  setIssueState(issue: IssueRow, state: 'open' | 'closed', reason: string | null, byUserId: number): void {
    const t = this.now()
    if (state === 'closed')
      this.db
        .prepare('UPDATE issues SET state = ?, state_reason = ?, closed_at = COALESCE(CASE WHEN state = \'closed\' THEN closed_at END, ?), closed_by_id = ?, updated_at = ? WHERE id = ?')
        .run('closed', reason ?? 'completed', t, byUserId, t, issue.id)
    else
      this.db
        .prepare('UPDATE issues SET state = ?, state_reason = ?, closed_at = NULL, closed_by_id = NULL, updated_at = ? WHERE id = ?')
        .run('open', issue.state === 'closed' ? 'reopened' : issue.state_reason, t, issue.id)
  }
  assignees(issueId: number): AccountRow[] {
    return this.db
      .prepare('SELECT a.* FROM accounts a JOIN issue_assignees ia ON ia.user_id = a.id WHERE ia.issue_id = ? ORDER BY a.login')
      .all(issueId) as AccountRow[]
  }
  setAssignees(issueId: number, userIds: number[]): void {
    this.q('DELETE FROM issue_assignees WHERE issue_id = ?').run(issueId)
    for (const id of userIds) this.q('INSERT OR IGNORE INTO issue_assignees (issue_id, user_id) VALUES (?, ?)').run(issueId, id)
  }
  commentCount(issueId: number): number {
    return (this.q('SELECT count(*) AS n FROM comments WHERE issue_id = ?').get(issueId) as { n: number }).n
  }
  openIssueCount(repoId: number): number {
    return (this.q("SELECT count(*) AS n FROM issues WHERE repo_id = ? AND state = 'open'").get(repoId) as { n: number }).n
  }

  // ── comments ─────────────────────────────────────────────────────────────
  comment(repoId: number, id: number): CommentRow | undefined {
    return this.db
      .prepare('SELECT c.* FROM comments c JOIN issues i ON i.id = c.issue_id WHERE i.repo_id = ? AND c.id = ?')
      .get(repoId, id) as CommentRow | undefined
  }
  createComment(issue: IssueRow, userId: number, body: string): CommentRow {
    const t = this.now()
    const info = this.q('INSERT INTO comments (issue_id, user_id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(issue.id, userId, body, t, t)
    this.touchIssue(issue.id)
    return this.q('SELECT * FROM comments WHERE id = ?').get(Number(info.lastInsertRowid)) as CommentRow
  }

  // ── pulls ────────────────────────────────────────────────────────────────
  pull(issueId: number): PullRow | undefined {
    return this.q('SELECT * FROM pulls WHERE issue_id = ?').get(issueId) as PullRow | undefined
  }
}

export function isoTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}
