// A branch and a file's contents, read from the real bare repository:
// `GET /repos/{o}/{r}/branches/{branch}` and `GET /repos/{o}/{r}/contents/{path}`
// (`ref` defaults to the default branch; no path, or `contents/`, lists the
// root), shaped like GitHub's answers. A file asked for with GitHub's raw media
// type (`application/vnd.github.raw`, `.raw+json`, Octokit's `v3.raw`) is
// answered as its bytes, as on GitHub; a folder is always a JSON listing.
import { execFile } from 'node:child_process'
import type { ApiContext, ApiRequest, ApiResult, Router } from '../http/api'
import { HttpError, notFound } from '../http/api'
import { git, gitEnv, readBranches } from '../git'
import { isoTime } from '../model'
import { repoApiUrl, repoWebUrl } from '../shapes'
import { repoAccess } from './access'
import { protectionOf } from './checks'

interface CommitInfo {
  sha: string
  tree: string
  parents: string[]
  author: { name: string; email: string; date: string }
  committer: { name: string; email: string; date: string }
  message: string
}

async function commitInfo(gitDir: string, sha: string): Promise<CommitInfo> {
  const out = (await git(['--git-dir', gitDir, 'show', '-s', '--format=%H%n%T%n%P%n%an%n%ae%n%at%n%cn%n%ce%n%ct%n%B', sha])).stdout.split('\n')
  const [h, tree, parents, an, ae, at, cn, ce, ct, ...message] = out
  return {
    sha: h!,
    tree: tree!,
    parents: parents ? parents.split(' ').filter(Boolean) : [],
    author: { name: an!, email: ae!, date: isoTime(Number(at) * 1000) },
    committer: { name: cn!, email: ce!, date: isoTime(Number(ct) * 1000) },
    message: message.join('\n').trim()
  }
}

/** A blob's bytes (git()'s output is text, which would mangle a binary file). */
function blobBytes(gitDir: string, sha: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('git', ['--git-dir', gitDir, 'cat-file', 'blob', sha], { env: gitEnv(), encoding: 'buffer', maxBuffer: 100 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout)
    )
  })
}

const RAW = /application\/vnd\.github(?:\.v3)?\.raw(?:\+json)?(?:\s*[;,]|\s*$)/i

async function contents(req: ApiRequest, ctx: ApiContext): Promise<ApiResult> {
  const { repo } = repoAccess(req, ctx)
  const gitDir = ctx.model.gitDir(repo)
  const ref = req.query.get('ref') || repo.default_branch
  const path = (req.params.path ?? '').replace(/^\/+|\/+$/g, '')
  const object = `${ref}:${path}`
  const type = await git(['--git-dir', gitDir, 'cat-file', '-t', object], { okCodes: [0, 128] })
  if (type.code !== 0) throw notFound()
  const sha = (await git(['--git-dir', gitDir, 'rev-parse', object])).stdout.trim()
  const api = repoApiUrl(repo, ctx.model, ctx.urls)
  const web = repoWebUrl(repo, ctx.model, ctx.urls)
  const entry = (p: string, s: string, kind: 'file' | 'dir', size: number) => {
    const url = `${api}/contents/${p}?ref=${encodeURIComponent(ref)}`
    const html = `${web}/${kind === 'dir' ? 'tree' : 'blob'}/${ref}/${p}`
    const gitUrl = `${api}/git/${kind === 'dir' ? 'trees' : 'blobs'}/${s}`
    return {
      type: kind,
      name: p.split('/').pop() ?? p,
      path: p,
      sha: s,
      size,
      url,
      git_url: gitUrl,
      html_url: html,
      download_url: kind === 'file' ? `${web}/raw/${ref}/${p}` : null,
      _links: { self: url, git: gitUrl, html }
    }
  }
  const kind = type.stdout.trim()
  if (kind === 'tree') {
    const listing = (await git(['--git-dir', gitDir, 'ls-tree', '-l', object])).stdout
    const items = listing
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const m = /^\d+ (blob|tree) ([0-9a-f]{40})\s+(-|\d+)\t(.+)$/.exec(line)
        if (!m) return null
        return entry(path ? `${path}/${m[4]}` : m[4]!, m[2]!, m[1] === 'tree' ? 'dir' : 'file', m[3] === '-' ? 0 : Number(m[3]))
      })
      .filter((e) => e !== null)
    return { status: 200, body: items }
  }
  if (kind !== 'blob') throw new HttpError(404, 'Not Found')
  const bytes = await blobBytes(gitDir, sha)
  if (RAW.test(String(req.headers.accept ?? ''))) {
    return { status: 200, raw: bytes, headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8', 'x-github-media-type': 'github.v3; param=raw' } }
  }
  // GitHub wraps the base64 at 60 characters.
  const base64 = (bytes.toString('base64').match(/.{1,60}/g) ?? []).join('\n')
  return { status: 200, body: { ...entry(path, sha, 'file', bytes.length), content: base64 ? `${base64}\n` : '', encoding: 'base64' } }
}

export function contentRoutes(router: Router): void {
  router.add('GET', '/repos/{owner}/{repo}/branches/{branch}', async (req, ctx) => {
    const { repo } = repoAccess(req, ctx)
    const name = req.params.branch!
    const sha = (await readBranches(ctx.model.gitDir(repo))).get(name)
    if (!sha) throw notFound()
    const c = await commitInfo(ctx.model.gitDir(repo), sha)
    const api = repoApiUrl(repo, ctx.model, ctx.urls)
    const web = repoWebUrl(repo, ctx.model, ctx.urls)
    const rule = protectionOf(ctx.model, repo.id, name)
    const required = rule ? (JSON.parse(rule.contexts) as string[]) : []
    return {
      status: 200,
      body: {
        name,
        commit: {
          sha,
          node_id: Buffer.from(`Commit:${sha}`).toString('base64'),
          url: `${api}/commits/${sha}`,
          html_url: `${web}/commit/${sha}`,
          comments_url: `${api}/commits/${sha}/comments`,
          commit: {
            url: `${api}/git/commits/${sha}`,
            author: c.author,
            committer: c.committer,
            message: c.message,
            comment_count: 0,
            tree: { sha: c.tree, url: `${api}/git/trees/${c.tree}` }
          },
          author: null,
          committer: null,
          parents: c.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${web}/commit/${p}` }))
        },
        _links: { self: `${api}/branches/${name}`, html: `${web}/tree/${name}` },
        // The branch's protection as GitHub summarises it here: whether there is a rule, and the checks it requires.
        protected: rule !== undefined,
        protection: rule
          ? { enabled: true, required_status_checks: { enforcement_level: required.length ? 'non_admins' : 'off', contexts: required, checks: required.map((context) => ({ context, app_id: null })) } }
          : { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
        protection_url: `${api}/branches/${name}/protection`
      }
    }
  })

  router.add('GET', '/repos/{owner}/{repo}/contents/{path}', contents)
  // `contents/` arrives here too: the server drops a trailing slash.
  router.add('GET', '/repos/{owner}/{repo}/contents', contents)
}
