// The forge's state: one SQLite file (WAL) in its data folder. The schema is
// created once; the forge is a test double, so it has no migrations beyond
// "create if missing" — a data folder from an older forge is simply recreated.
import Database from 'better-sqlite3'

export type ForgeDb = Database.Database

const SCHEMA_VERSION = 3

const schema = `
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  login TEXT NOT NULL UNIQUE COLLATE NOCASE,
  type TEXT NOT NULL DEFAULT 'User',
  name TEXT,
  email TEXT,
  site_admin INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE tokens (
  token TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  scopes TEXT NOT NULL DEFAULT '',
  rate_limit INTEGER,
  created_at INTEGER NOT NULL
);
CREATE TABLE org_members (
  org_id INTEGER NOT NULL REFERENCES accounts(id),
  user_id INTEGER NOT NULL REFERENCES accounts(id),
  PRIMARY KEY (org_id, user_id)
);
CREATE TABLE repos (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL COLLATE NOCASE,
  description TEXT,
  private INTEGER NOT NULL DEFAULT 0,
  archived INTEGER NOT NULL DEFAULT 0,
  default_branch TEXT NOT NULL DEFAULT 'main',
  next_number INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  pushed_at INTEGER NOT NULL,
  UNIQUE (owner_id, name)
);
CREATE TABLE collaborators (
  repo_id INTEGER NOT NULL REFERENCES repos(id),
  user_id INTEGER NOT NULL REFERENCES accounts(id),
  permission TEXT NOT NULL,
  PRIMARY KEY (repo_id, user_id)
);
CREATE TABLE labels (
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL REFERENCES repos(id),
  name TEXT NOT NULL COLLATE NOCASE,
  color TEXT NOT NULL,
  description TEXT,
  is_default INTEGER NOT NULL DEFAULT 0,
  UNIQUE (repo_id, name)
);
CREATE TABLE issues (
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL REFERENCES repos(id),
  number INTEGER NOT NULL,
  title TEXT NOT NULL,
  body TEXT,
  state TEXT NOT NULL DEFAULT 'open',
  state_reason TEXT,
  user_id INTEGER NOT NULL REFERENCES accounts(id),
  is_pull INTEGER NOT NULL DEFAULT 0,
  locked INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER,
  closed_by_id INTEGER REFERENCES accounts(id),
  UNIQUE (repo_id, number)
);
CREATE INDEX issues_updated ON issues (repo_id, updated_at);
CREATE TABLE issue_labels (
  issue_id INTEGER NOT NULL REFERENCES issues(id),
  label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
  PRIMARY KEY (issue_id, label_id)
);
CREATE TABLE issue_assignees (
  issue_id INTEGER NOT NULL REFERENCES issues(id),
  user_id INTEGER NOT NULL REFERENCES accounts(id),
  PRIMARY KEY (issue_id, user_id)
);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  issue_id INTEGER NOT NULL REFERENCES issues(id),
  user_id INTEGER NOT NULL REFERENCES accounts(id),
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX comments_issue ON comments (issue_id, id);
CREATE TABLE pulls (
  issue_id INTEGER PRIMARY KEY REFERENCES issues(id),
  head_ref TEXT NOT NULL,
  base_ref TEXT NOT NULL,
  head_sha TEXT NOT NULL,
  base_sha TEXT NOT NULL,
  draft INTEGER NOT NULL DEFAULT 0,
  merged_at INTEGER,
  merged_by_id INTEGER REFERENCES accounts(id),
  merge_commit_sha TEXT,
  merge_base_sha TEXT
);
CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  pull_id INTEGER NOT NULL REFERENCES issues(id),
  user_id INTEGER NOT NULL REFERENCES accounts(id),
  body TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  submitted_at INTEGER
);
CREATE TABLE review_comments (
  id INTEGER PRIMARY KEY,
  review_id INTEGER NOT NULL REFERENCES reviews(id),
  pull_id INTEGER NOT NULL REFERENCES issues(id),
  user_id INTEGER NOT NULL REFERENCES accounts(id),
  path TEXT NOT NULL,
  line INTEGER,
  side TEXT NOT NULL DEFAULT 'RIGHT',
  body TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  diff_hunk TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE releases (
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL REFERENCES repos(id),
  tag_name TEXT NOT NULL,
  target_commitish TEXT NOT NULL,
  name TEXT,
  body TEXT,
  draft INTEGER NOT NULL DEFAULT 0,
  prerelease INTEGER NOT NULL DEFAULT 0,
  author_id INTEGER NOT NULL REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  published_at INTEGER
);
CREATE TABLE device_codes (
  device_code TEXT PRIMARY KEY,
  user_code TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  interval_s INTEGER NOT NULL,
  approved_user_id INTEGER REFERENCES accounts(id),
  denied INTEGER NOT NULL DEFAULT 0,
  access_token TEXT,
  last_poll_at INTEGER
);
`

// Version 2 adds commit statuses, check runs, branch protection and the
// repository's allowed merge methods; a version-1 folder is brought forward.
const schemaV2 = `
ALTER TABLE repos ADD COLUMN allow_merge_commit INTEGER NOT NULL DEFAULT 1;
ALTER TABLE repos ADD COLUMN allow_squash_merge INTEGER NOT NULL DEFAULT 1;
ALTER TABLE repos ADD COLUMN allow_rebase_merge INTEGER NOT NULL DEFAULT 1;
CREATE TABLE statuses (
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL REFERENCES repos(id),
  sha TEXT NOT NULL,
  state TEXT NOT NULL,
  context TEXT NOT NULL,
  description TEXT,
  target_url TEXT,
  creator_id INTEGER NOT NULL REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX statuses_sha ON statuses (repo_id, sha, id);
CREATE TABLE check_runs (
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL REFERENCES repos(id),
  head_sha TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  conclusion TEXT,
  details_url TEXT,
  title TEXT,
  summary TEXT,
  started_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX check_runs_sha ON check_runs (repo_id, head_sha, id);
CREATE TABLE branch_protection (
  repo_id INTEGER NOT NULL REFERENCES repos(id),
  branch TEXT NOT NULL,
  contexts TEXT NOT NULL DEFAULT '[]',
  strict INTEGER NOT NULL DEFAULT 0,
  required_reviews INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (repo_id, branch)
);
`

// Version 3 keeps every branch-protection setting a PUT gives (JSON, see
// routes/checks.ts `ProtectionSettings`), so the forge answers with what it
// was told instead of defaults.
const schemaV3 = `
ALTER TABLE branch_protection ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
`

/** Opens (creating if needed) the forge database; `fresh` says whether it was just created. */
export function openForgeDb(file: string): { db: ForgeDb; fresh: boolean } {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  db.pragma('foreign_keys = ON')
  const version = db.pragma('user_version', { simple: true }) as number
  if (version === SCHEMA_VERSION) return { db, fresh: false }
  if (version === 1 || version === 2) {
    db.exec('BEGIN')
    if (version === 1) db.exec(schemaV2)
    db.exec(schemaV3)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
    db.exec('COMMIT')
    return { db, fresh: false }
  }
  if (version !== 0) {
    db.close()
    throw new Error(`The forge database ${file} has schema version ${version}, expected ${SCHEMA_VERSION}; remove the data folder to start fresh.`)
  }
  db.exec('BEGIN')
  db.exec(schema)
  db.exec(schemaV2)
  db.exec(schemaV3)
  db.pragma(`user_version = ${SCHEMA_VERSION}`)
  db.exec('COMMIT')
  return { db, fresh: true }
}

export interface AccountRow {
  id: number
  login: string
  type: 'User' | 'Organization'
  name: string | null
  email: string | null
  site_admin: number
  created_at: number
}
export interface RepoRow {
  id: number
  owner_id: number
  name: string
  description: string | null
  private: number
  archived: number
  default_branch: string
  next_number: number
  created_at: number
  updated_at: number
  pushed_at: number
  allow_merge_commit: number
  allow_squash_merge: number
  allow_rebase_merge: number
}
export interface LabelRow {
  id: number
  repo_id: number
  name: string
  color: string
  description: string | null
  is_default: number
}
export interface IssueRow {
  id: number
  repo_id: number
  number: number
  title: string
  body: string | null
  state: 'open' | 'closed'
  state_reason: string | null
  user_id: number
  is_pull: number
  locked: number
  created_at: number
  updated_at: number
  closed_at: number | null
  closed_by_id: number | null
}
export interface CommentRow {
  id: number
  issue_id: number
  user_id: number
  body: string
  created_at: number
  updated_at: number
}
export interface PullRow {
  issue_id: number
  head_ref: string
  base_ref: string
  head_sha: string
  base_sha: string
  draft: number
  merged_at: number | null
  merged_by_id: number | null
  merge_commit_sha: string | null
  merge_base_sha: string | null
}
export interface ReviewRow {
  id: number
  pull_id: number
  user_id: number
  body: string
  state: string
  commit_id: string
  submitted_at: number | null
}
export interface ReviewCommentRow {
  id: number
  review_id: number
  pull_id: number
  user_id: number
  path: string
  line: number | null
  side: string
  body: string
  commit_id: string
  diff_hunk: string
  created_at: number
  updated_at: number
}
export interface ReleaseRow {
  id: number
  repo_id: number
  tag_name: string
  target_commitish: string
  name: string | null
  body: string | null
  draft: number
  prerelease: number
  author_id: number
  created_at: number
  published_at: number | null
}
export interface DeviceCodeRow {
  device_code: string
  user_code: string
  client_id: string
  scope: string
  created_at: number
  expires_at: number
  interval_s: number
  approved_user_id: number | null
  denied: number
  access_token: string | null
  last_poll_at: number | null
}
export interface TokenRow {
  token: string
  account_id: number
  scopes: string
  rate_limit: number | null
  created_at: number
}
export interface StatusRow {
  id: number
  repo_id: number
  sha: string
  state: 'error' | 'failure' | 'pending' | 'success'
  context: string
  description: string | null
  target_url: string | null
  creator_id: number
  created_at: number
  updated_at: number
}
export interface CheckRunRow {
  id: number
  repo_id: number
  head_sha: string
  name: string
  status: 'queued' | 'in_progress' | 'completed'
  conclusion: string | null
  details_url: string | null
  title: string | null
  summary: string | null
  started_at: number
  completed_at: number | null
}
export interface BranchProtectionRow {
  repo_id: number
  branch: string
  contexts: string
  strict: number
  required_reviews: number
  /** JSON: the rest of what the PUT gave (routes/checks.ts `ProtectionSettings`). */
  settings: string
}
