// JSON shapes of GitHub's REST API, built from the forge's rows. Field sets
// follow the schemas of GitHub's OpenAPI description (@octokit/openapi); the
// forge's tests check every response against them.
import type { Model } from './model'
import { isoTime } from './model'
import type { AccountRow, CommentRow, IssueRow, LabelRow, ReleaseRow, RepoRow, ReviewCommentRow, ReviewRow } from './store'
import type { Permission } from './seed'
import { atLeast } from './model'

export interface Urls {
  /** e.g. http://127.0.0.1:4000 */
  web: string
  /** e.g. http://127.0.0.1:4000/api/v3 */
  api: string
}

export function nodeId(kind: string, id: number): string {
  return Buffer.from(`0:${kind}${id}`).toString('base64').replace(/=+$/, '')
}

export function simpleUser(u: AccountRow, urls: Urls) {
  const api = `${urls.api}/users/${u.login}`
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId(u.type === 'Organization' ? 'Organization' : 'User', u.id),
    avatar_url: `${urls.web}/avatars/u/${u.id}`,
    gravatar_id: '',
    url: api,
    html_url: `${urls.web}/${u.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: u.type,
    user_view_type: 'public',
    site_admin: u.site_admin === 1
  }
}

export function privateUser(u: AccountRow, model: Model, urls: Urls) {
  const repos = model.reposOwnedBy(u.id)
  return {
    ...simpleUser(u, urls),
    name: u.name,
    company: null,
    blog: '',
    location: null,
    email: u.email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: repos.filter((r) => !r.private).length,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: isoTime(u.created_at),
    updated_at: isoTime(u.created_at),
    private_gists: 0,
    total_private_repos: repos.filter((r) => r.private).length,
    owned_private_repos: repos.filter((r) => r.private).length,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: false,
    plan: { name: 'free', space: 976562499, collaborators: 0, private_repos: 10000 }
  }
}

export function permissionsObject(p: Permission) {
  return { admin: atLeast(p, 'admin'), maintain: atLeast(p, 'maintain'), push: atLeast(p, 'write'), triage: atLeast(p, 'triage'), pull: atLeast(p, 'read') }
}

export function repository(r: RepoRow, model: Model, urls: Urls, viewer?: AccountRow) {
  const owner = model.account(r.owner_id)
  const full = `${owner.login}/${r.name}`
  const api = `${urls.api}/repos/${full}`
  const open = model.openIssueCount(r.id)
  const host = new URL(urls.web).host
  return {
    id: r.id,
    node_id: nodeId('Repository', r.id),
    name: r.name,
    full_name: full,
    private: r.private === 1,
    owner: simpleUser(owner, urls),
    html_url: `${urls.web}/${full}`,
    description: r.description,
    fork: false,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: isoTime(r.created_at),
    updated_at: isoTime(r.updated_at),
    pushed_at: isoTime(r.pushed_at),
    git_url: `git://${host}/${full}.git`,
    ssh_url: `git@${host}:${full}.git`,
    clone_url: `${urls.web}/${full}.git`,
    svn_url: `${urls.web}/${full}`,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: r.archived === 1,
    disabled: false,
    open_issues_count: open,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [] as string[],
    visibility: r.private ? 'private' : 'public',
    forks: 0,
    open_issues: open,
    watchers: 0,
    default_branch: r.default_branch,
    ...(viewer ? { permissions: permissionsObject(model.permission(r, viewer)) } : {})
  }
}

export function fullRepository(r: RepoRow, model: Model, urls: Urls, viewer?: AccountRow) {
  const owner = model.account(r.owner_id)
  return {
    ...repository(r, model, urls, viewer),
    allow_squash_merge: r.allow_squash_merge !== 0,
    allow_merge_commit: r.allow_merge_commit !== 0,
    allow_rebase_merge: r.allow_rebase_merge !== 0,
    allow_auto_merge: false,
    delete_branch_on_merge: false,
    allow_update_branch: false,
    use_squash_pr_title_as_default: false,
    squash_merge_commit_title: 'COMMIT_OR_PR_TITLE',
    squash_merge_commit_message: 'COMMIT_MESSAGES',
    merge_commit_title: 'MERGE_MESSAGE',
    merge_commit_message: 'PR_TITLE',
    network_count: 0,
    subscribers_count: 0,
    ...(owner.type === 'Organization' ? { organization: simpleUser(owner, urls) } : {})
  }
}

export function label(l: LabelRow, repoApi: string) {
  return {
    id: l.id,
    node_id: nodeId('Label', l.id),
    url: `${repoApi}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    color: l.color,
    default: l.is_default === 1,
    description: l.description
  }
}

export function repoApiUrl(r: RepoRow, model: Model, urls: Urls): string {
  return `${urls.api}/repos/${model.account(r.owner_id).login}/${r.name}`
}
export function repoWebUrl(r: RepoRow, model: Model, urls: Urls): string {
  return `${urls.web}/${model.account(r.owner_id).login}/${r.name}`
}

export function issue(i: IssueRow, r: RepoRow, model: Model, urls: Urls) {
  const api = repoApiUrl(r, model, urls)
  const web = repoWebUrl(r, model, urls)
  const issueApi = `${api}/issues/${i.number}`
  const assignees = model.assignees(i.id).map((a) => simpleUser(a, urls))
  const pull = i.is_pull ? model.pull(i.id) : undefined
  return {
    id: i.id,
    node_id: nodeId(i.is_pull ? 'PullRequest' : 'Issue', i.id),
    url: issueApi,
    repository_url: api,
    labels_url: `${issueApi}/labels{/name}`,
    comments_url: `${issueApi}/comments`,
    events_url: `${issueApi}/events`,
    html_url: `${web}/${i.is_pull ? 'pull' : 'issues'}/${i.number}`,
    number: i.number,
    state: i.state,
    state_reason: i.state_reason,
    title: i.title,
    body: i.body,
    user: simpleUser(model.account(i.user_id), urls),
    labels: model.issueLabels(i.id).map((l) => label(l, api)),
    assignee: assignees[0] ?? null,
    assignees,
    milestone: null,
    locked: i.locked === 1,
    active_lock_reason: null,
    comments: model.commentCount(i.id),
    closed_at: i.closed_at === null ? null : isoTime(i.closed_at),
    created_at: isoTime(i.created_at),
    updated_at: isoTime(i.updated_at),
    closed_by: i.closed_by_id === null ? null : simpleUser(model.account(i.closed_by_id), urls),
    author_association: model.authorAssociation(r, i.user_id),
    timeline_url: `${issueApi}/timeline`,
    performed_via_github_app: null,
    reactions: reactions(`${issueApi}/reactions`),
    ...(pull
      ? {
          draft: pull.draft === 1,
          pull_request: {
            url: `${api}/pulls/${i.number}`,
            html_url: `${web}/pull/${i.number}`,
            diff_url: `${web}/pull/${i.number}.diff`,
            patch_url: `${web}/pull/${i.number}.patch`,
            merged_at: pull.merged_at === null ? null : isoTime(pull.merged_at)
          }
        }
      : {})
  }
}

function reactions(url: string) {
  return { url, total_count: 0, '+1': 0, '-1': 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 }
}

export function comment(c: CommentRow, i: IssueRow, r: RepoRow, model: Model, urls: Urls) {
  const api = repoApiUrl(r, model, urls)
  const web = repoWebUrl(r, model, urls)
  return {
    id: c.id,
    node_id: nodeId('IssueComment', c.id),
    url: `${api}/issues/comments/${c.id}`,
    html_url: `${web}/${i.is_pull ? 'pull' : 'issues'}/${i.number}#issuecomment-${c.id}`,
    issue_url: `${api}/issues/${i.number}`,
    body: c.body,
    user: simpleUser(model.account(c.user_id), urls),
    created_at: isoTime(c.created_at),
    updated_at: isoTime(c.updated_at),
    author_association: model.authorAssociation(r, c.user_id),
    performed_via_github_app: null,
    reactions: reactions(`${api}/issues/comments/${c.id}/reactions`)
  }
}

export function review(v: ReviewRow, prNumber: number, r: RepoRow, model: Model, urls: Urls) {
  const api = repoApiUrl(r, model, urls)
  const web = repoWebUrl(r, model, urls)
  const html = `${web}/pull/${prNumber}#pullrequestreview-${v.id}`
  return {
    id: v.id,
    node_id: nodeId('PullRequestReview', v.id),
    user: simpleUser(model.account(v.user_id), urls),
    body: v.body,
    state: v.state,
    html_url: html,
    pull_request_url: `${api}/pulls/${prNumber}`,
    author_association: model.authorAssociation(r, v.user_id),
    _links: { html: { href: html }, pull_request: { href: `${api}/pulls/${prNumber}` } },
    ...(v.submitted_at === null ? {} : { submitted_at: isoTime(v.submitted_at) }),
    commit_id: v.commit_id
  }
}

export function reviewComment(c: ReviewCommentRow, prNumber: number, r: RepoRow, model: Model, urls: Urls) {
  const api = repoApiUrl(r, model, urls)
  const web = repoWebUrl(r, model, urls)
  const url = `${api}/pulls/comments/${c.id}`
  const html = `${web}/pull/${prNumber}#discussion_r${c.id}`
  return {
    url,
    pull_request_review_id: c.review_id,
    id: c.id,
    node_id: nodeId('PullRequestReviewComment', c.id),
    diff_hunk: c.diff_hunk,
    path: c.path,
    commit_id: c.commit_id,
    original_commit_id: c.commit_id,
    user: simpleUser(model.account(c.user_id), urls),
    body: c.body,
    created_at: isoTime(c.created_at),
    updated_at: isoTime(c.updated_at),
    html_url: html,
    pull_request_url: `${api}/pulls/${prNumber}`,
    author_association: model.authorAssociation(r, c.user_id),
    _links: { self: { href: url }, html: { href: html }, pull_request: { href: `${api}/pulls/${prNumber}` } },
    start_line: null,
    original_start_line: null,
    start_side: null,
    line: c.line,
    original_line: c.line,
    side: c.side,
    subject_type: 'line',
    reactions: reactions(`${url}/reactions`)
  }
}

export function release(rel: ReleaseRow, r: RepoRow, model: Model, urls: Urls) {
  const api = repoApiUrl(r, model, urls)
  const web = repoWebUrl(r, model, urls)
  const url = `${api}/releases/${rel.id}`
  return {
    url,
    html_url: `${web}/releases/tag/${encodeURIComponent(rel.tag_name)}`,
    assets_url: `${url}/assets`,
    upload_url: `${urls.web}/api/uploads/repos/${model.account(r.owner_id).login}/${r.name}/releases/${rel.id}/assets{?name,label}`,
    tarball_url: `${api}/tarball/${encodeURIComponent(rel.tag_name)}`,
    zipball_url: `${api}/zipball/${encodeURIComponent(rel.tag_name)}`,
    id: rel.id,
    node_id: nodeId('Release', rel.id),
    tag_name: rel.tag_name,
    target_commitish: rel.target_commitish,
    name: rel.name,
    body: rel.body,
    draft: rel.draft === 1,
    prerelease: rel.prerelease === 1,
    created_at: isoTime(rel.created_at),
    published_at: rel.published_at === null ? null : isoTime(rel.published_at),
    author: simpleUser(model.account(rel.author_id), urls),
    assets: [] as unknown[]
  }
}
