// Branch protection: `GET|PUT|DELETE /repos/{o}/{r}/branches/{branch}/protection`.
// A PUT keeps every setting it is given and answers with every key GitHub's
// answer has (`protected-branch` in GitHub's OpenAPI description); what the
// forge cannot represent (teams, GitHub Apps) is a 422, never a 200 that
// quietly dropped it. The merge guard (checks.ts `mergeBlocker`) enforces the
// required checks and approving reviews; the other settings are kept and
// answered, not enforced on pushes.
import type { Router } from '../http/api'
import { HttpError, bodyObject, validationFailed } from '../http/api'
import { readBranches } from '../git'
import type { Model } from '../model'
import { repoApiUrl, simpleUser, type Urls } from '../shapes'
import type { BranchProtectionRow, RepoRow } from '../store'
import { protectionOf } from './checks'
import { repoAccess } from './access'

const FLAGS = ['required_linear_history', 'allow_force_pushes', 'allow_deletions', 'block_creations', 'required_conversation_resolution', 'lock_branch', 'allow_fork_syncing'] as const
type Flag = (typeof FLAGS)[number]
const REQUIRED = ['required_status_checks', 'enforce_admins', 'required_pull_request_reviews', 'restrictions'] as const
const KNOWN = new Set<string>([...REQUIRED, ...FLAGS])

/** What `branch_protection.settings` holds beside the columns the merge guard reads. */
export interface ProtectionSettings {
  /** required_status_checks was given (not null). */
  statusChecks: boolean
  checks: Array<{ context: string; app_id: number | null }>
  enforceAdmins: boolean
  reviews: null | {
    dismissStale: boolean
    codeOwners: boolean
    lastPush: boolean
    /** Logins; null when dismissal_restrictions was not given. */
    dismissalUsers: string[] | null
    bypassUsers: string[] | null
  }
  /** Logins who may push; null when restrictions is null. */
  restrictions: string[] | null
  flags: Record<Flag, boolean>
}

const invalid = (field: string, message?: string) => validationFailed([{ resource: 'Protection', field, code: 'invalid', ...(message ? { message } : {}) }])

function bool(v: unknown, field: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback
  if (typeof v !== 'boolean') throw invalid(field, `${field} must be a boolean`)
  return v
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(field, `${field} must be an array of strings`)
  return v as string[]
}

function object(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(field, `${field} must be an object or null`)
  return v as Record<string, unknown>
}

/**
 * Users, teams and apps given for `field`: users must exist; the forge has no
 * teams or GitHub Apps, so a non-empty list of either is refused; and as on
 * GitHub, only an organization's repository takes such lists.
 */
function actors(model: Model, repo: RepoRow, v: Record<string, unknown>, field: string): string[] {
  const users = strings(v.users, `${field}.users`)
  for (const kind of ['teams', 'apps'] as const) {
    if (strings(v[kind], `${field}.${kind}`).length) throw invalid(`${field}.${kind}`, `The forge has no ${kind}: ${field}.${kind} must be empty`)
  }
  if (users.length && model.account(repo.owner_id).type !== 'Organization') {
    throw new HttpError(422, 'Only organization repositories can have users and team restrictions', { errors: [{ resource: 'Protection', field: `${field}.users`, code: 'invalid' }] })
  }
  for (const login of users) if (!model.accountByLogin(login)) throw invalid(`${field}.users`, `No user "${login}"`)
  return users.map((login) => model.accountByLogin(login)!.login)
}

/** The PUT body, checked, as the row's columns and its settings. */
export function parseProtection(model: Model, repo: RepoRow, b: Record<string, unknown>): { contexts: string[]; strict: boolean; reviews: number; settings: ProtectionSettings } {
  const missing = REQUIRED.filter((field) => b[field] === undefined)
  // GitHub requires all four keys (each may be null).
  if (missing.length) throw validationFailed(missing.map((field) => ({ resource: 'Protection', field, code: 'missing_field' as const })))
  const unknown = Object.keys(b).filter((k) => !KNOWN.has(k))
  if (unknown.length) throw validationFailed(unknown.map((field) => ({ resource: 'Protection', field, code: 'invalid' as const, message: `The forge does not support "${field}"` })))

  let checks: ProtectionSettings['checks'] = []
  let strict = false
  if (b.required_status_checks !== null) {
    const c = object(b.required_status_checks, 'required_status_checks')
    strict = bool(c.strict, 'required_status_checks.strict', false)
    if (c.checks !== undefined && c.checks !== null) {
      if (!Array.isArray(c.checks)) throw invalid('required_status_checks.checks')
      checks = c.checks.map((x: unknown, i) => {
        const item = object(x, `required_status_checks.checks[${i}]`)
        if (typeof item.context !== 'string') throw invalid(`required_status_checks.checks[${i}].context`)
        const app = item.app_id
        if (app !== undefined && app !== null && !Number.isInteger(app)) throw invalid(`required_status_checks.checks[${i}].app_id`)
        // -1 means "any app" on GitHub, and reads back as null.
        return { context: item.context, app_id: typeof app === 'number' && app > 0 ? app : null }
      })
    } else {
      checks = strings(c.contexts, 'required_status_checks.contexts').map((context) => ({ context, app_id: null }))
    }
  }

  let reviews: ProtectionSettings['reviews'] = null
  let count = 0
  if (b.required_pull_request_reviews !== null) {
    const r = object(b.required_pull_request_reviews, 'required_pull_request_reviews')
    count = r.required_approving_review_count === undefined ? 1 : Number(r.required_approving_review_count)
    if (!Number.isInteger(count) || count < 0 || count > 6) throw invalid('required_approving_review_count', 'required_approving_review_count must be between 0 and 6')
    reviews = {
      dismissStale: bool(r.dismiss_stale_reviews, 'required_pull_request_reviews.dismiss_stale_reviews', false),
      codeOwners: bool(r.require_code_owner_reviews, 'required_pull_request_reviews.require_code_owner_reviews', false),
      lastPush: bool(r.require_last_push_approval, 'required_pull_request_reviews.require_last_push_approval', false),
      dismissalUsers:
        r.dismissal_restrictions === undefined || r.dismissal_restrictions === null
          ? null
          : actors(model, repo, object(r.dismissal_restrictions, 'dismissal_restrictions'), 'dismissal_restrictions'),
      bypassUsers:
        r.bypass_pull_request_allowances === undefined || r.bypass_pull_request_allowances === null
          ? null
          : actors(model, repo, object(r.bypass_pull_request_allowances, 'bypass_pull_request_allowances'), 'bypass_pull_request_allowances')
    }
  }

  let restrictions: string[] | null = null
  if (b.restrictions !== null) {
    const r = object(b.restrictions, 'restrictions')
    if (model.account(repo.owner_id).type !== 'Organization') {
      throw new HttpError(422, 'Only organization repositories can have users and team restrictions', { errors: [{ resource: 'Protection', field: 'restrictions', code: 'invalid' }] })
    }
    restrictions = actors(model, repo, r, 'restrictions')
  }

  const flags = Object.fromEntries(FLAGS.map((f) => [f, bool(b[f], f, false)])) as Record<Flag, boolean>
  return {
    contexts: checks.map((c) => c.context),
    strict,
    reviews: count,
    settings: { statusChecks: b.required_status_checks !== null, checks, enforceAdmins: bool(b.enforce_admins, 'enforce_admins', false), reviews, restrictions, flags }
  }
}

/** A row's settings; a row written before they were kept reads as the forge answered then. */
function settingsOf(rule: BranchProtectionRow): ProtectionSettings {
  const stored = JSON.parse(rule.settings || '{}') as Partial<ProtectionSettings>
  if (stored.flags) return stored as ProtectionSettings
  const contexts = JSON.parse(rule.contexts) as string[]
  return {
    statusChecks: true,
    checks: contexts.map((context) => ({ context, app_id: null })),
    enforceAdmins: true,
    reviews: rule.required_reviews > 0 ? { dismissStale: false, codeOwners: false, lastPush: false, dismissalUsers: null, bypassUsers: null } : null,
    restrictions: null,
    flags: Object.fromEntries(FLAGS.map((f) => [f, false])) as Record<Flag, boolean>
  }
}

/** The resource as GitHub answers it: `protected-branch` to a PUT, `branch-protection` (with `name`, `protection_url`, `enabled`) to a GET. */
export function protectionBody(rule: BranchProtectionRow, repo: RepoRow, model: Model, urls: Urls, read = false) {
  const s = settingsOf(rule)
  const url = `${repoApiUrl(repo, model, urls)}/branches/${encodeURIComponent(rule.branch)}/protection`
  const users = (logins: string[]) => logins.flatMap((l) => {
    const u = model.accountByLogin(l)
    return u ? [simpleUser(u, urls)] : []
  })
  const enabled = (on: boolean) => ({ enabled: on })
  return {
    url,
    ...(read ? { name: rule.branch, protection_url: url, enabled: true } : {}),
    ...(s.statusChecks
      ? {
          required_status_checks: {
            url: `${url}/required_status_checks`,
            strict: rule.strict === 1,
            contexts: s.checks.map((c) => c.context),
            checks: s.checks,
            contexts_url: `${url}/required_status_checks/contexts`
          }
        }
      : {}),
    ...(s.reviews
      ? {
          required_pull_request_reviews: {
            url: `${url}/required_pull_request_reviews`,
            dismiss_stale_reviews: s.reviews.dismissStale,
            require_code_owner_reviews: s.reviews.codeOwners,
            required_approving_review_count: rule.required_reviews,
            require_last_push_approval: s.reviews.lastPush,
            ...(s.reviews.dismissalUsers
              ? {
                  dismissal_restrictions: {
                    url: `${url}/dismissal_restrictions`,
                    users_url: `${url}/dismissal_restrictions/users`,
                    teams_url: `${url}/dismissal_restrictions/teams`,
                    users: users(s.reviews.dismissalUsers),
                    teams: [],
                    apps: []
                  }
                }
              : {}),
            ...(s.reviews.bypassUsers ? { bypass_pull_request_allowances: { users: users(s.reviews.bypassUsers), teams: [], apps: [] } } : {})
          }
        }
      : {}),
    ...(s.restrictions
      ? {
          restrictions: {
            url: `${url}/restrictions`,
            users_url: `${url}/restrictions/users`,
            teams_url: `${url}/restrictions/teams`,
            apps_url: `${url}/restrictions/apps`,
            users: users(s.restrictions),
            teams: [],
            apps: []
          }
        }
      : {}),
    required_signatures: { url: `${url}/required_signatures`, enabled: false },
    enforce_admins: { url: `${url}/enforce_admins`, enabled: s.enforceAdmins },
    ...Object.fromEntries(FLAGS.map((f) => [f, enabled(s.flags[f])]))
  }
}

export function protectionRoutes(router: Router): void {
  // Registered before `GET branches/{branch}`, whose name may hold a `/`: a
  // path ending in /protection is the protection (as on GitHub).
  router.add('GET', '/repos/{owner}/{repo}/branches/{branch}/protection', (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'admin', false)
    const rule = protectionOf(ctx.model, repo.id, req.params.branch ?? '')
    if (!rule) throw new HttpError(404, 'Branch not protected')
    return { status: 200, body: protectionBody(rule, repo, ctx.model, ctx.urls, true) }
  })

  router.add('PUT', '/repos/{owner}/{repo}/branches/{branch}/protection', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'admin')
    const branch = req.params.branch ?? ''
    if (!(await readBranches(ctx.model.gitDir(repo))).has(branch)) throw new HttpError(404, 'Branch not found')
    const p = parseProtection(ctx.model, repo, bodyObject(req))
    ctx.model.db
      .prepare(
        `INSERT INTO branch_protection (repo_id, branch, contexts, strict, required_reviews, settings) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(repo_id, branch) DO UPDATE SET contexts = excluded.contexts, strict = excluded.strict, required_reviews = excluded.required_reviews, settings = excluded.settings`
      )
      .run(repo.id, branch, JSON.stringify(p.contexts), p.strict ? 1 : 0, p.reviews, JSON.stringify(p.settings))
    const rule = protectionOf(ctx.model, repo.id, branch)!
    return { status: 200, body: protectionBody(rule, repo, ctx.model, ctx.urls) }
  })

  router.add('DELETE', '/repos/{owner}/{repo}/branches/{branch}/protection', (req, ctx) => {
    const { repo } = repoAccess(req, ctx, 'admin')
    const gone = ctx.model.db.prepare('DELETE FROM branch_protection WHERE repo_id = ? AND branch = ?').run(repo.id, req.params.branch ?? '').changes
    if (!gone) throw new HttpError(404, 'Branch not protected')
    return { status: 204 }
  })
}
