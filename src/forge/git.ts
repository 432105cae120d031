// Git plumbing on the forge's bare repositories. Every call is a real `git`
// child process; failures carry the command and what git printed.
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'

export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string
  ) {
    super(`git ${args.join(' ')} exited with ${code}: ${stderr.trim() || stdout.trim()}`)
    this.name = 'GitCommandError'
  }
}

export interface Identity {
  name: string
  email: string
  /** Unix seconds. */
  time: number
}

export interface GitResult {
  stdout: string
  stderr: string
  code: number
}

/** The environment every forge git call runs with: no user or system config leaks in. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? tmpdir(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LANG: 'C',
    ...extra
  }
}

function identityEnv(who: Identity): Record<string, string> {
  const date = `${who.time} +0000`
  return {
    GIT_AUTHOR_NAME: who.name,
    GIT_AUTHOR_EMAIL: who.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: who.name,
    GIT_COMMITTER_EMAIL: who.email,
    GIT_COMMITTER_DATE: date
  }
}

export function git(
  args: string[],
  options: { cwd?: string; input?: string | Buffer; env?: Record<string, string>; okCodes?: number[] } = {}
): Promise<GitResult> {
  const okCodes = options.okCodes ?? [0]
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8')
      const stderr = Buffer.concat(err).toString('utf8')
      if (code !== null && okCodes.includes(code)) resolve({ stdout, stderr, code })
      else reject(new GitCommandError(args, code, stdout, stderr))
    })
    child.stdin.on('error', () => {}) // git may exit before reading all input; its exit code says why.
    child.stdin.end(options.input ?? '')
  })
}

/** Creates a bare repository; with files, commits them as the first commit of `branch`. */
export async function initBareRepo(dir: string, branch: string, files: Record<string, string>, who: Identity): Promise<string | null> {
  await git(['init', '--quiet', '--bare', `--initial-branch=${branch}`, dir])
  const paths = Object.keys(files).sort()
  if (paths.length === 0) return null
  // One fast-import stream writes every blob, tree and the commit in a single process.
  const chunks: Buffer[] = []
  const text = (s: string) => chunks.push(Buffer.from(s, 'utf8'))
  const data = (s: string) => {
    const b = Buffer.from(s, 'utf8')
    text(`data ${b.length}\n`)
    chunks.push(b)
    text('\n')
  }
  text(`commit refs/heads/${branch}\n`)
  text(`author ${who.name} <${who.email}> ${who.time} +0000\n`)
  text(`committer ${who.name} <${who.email}> ${who.time} +0000\n`)
  data('Initial commit')
  for (const path of paths) {
    const content = files[path] ?? ''
    const mode = /^#!/.test(content) ? '100755' : '100644'
    text(`M ${mode} inline ${quotePath(path)}\n`)
    data(content)
  }
  text('done\n')
  await git(['--git-dir', dir, 'fast-import', '--quiet', '--done'], { input: Buffer.concat(chunks) })
  return (await revParse(dir, `refs/heads/${branch}`)) ?? null
}

function quotePath(path: string): string {
  return /[\s"\\]/.test(path) ? JSON.stringify(path) : path
}

/**
 * Branch → sha for every branch, read from the ref files themselves: the forge
 * asks this on most pull-request reads, and a file read is far cheaper than a process.
 */
export async function readBranches(gitDir: string): Promise<Map<string, string>> {
  const refs = new Map<string, string>()
  try {
    const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8')
    for (const line of packed.split('\n')) {
      const m = /^([0-9a-f]{40}) refs\/heads\/(.+)$/.exec(line)
      if (m) refs.set(m[2]!, m[1]!)
    }
  } catch {
    // no packed refs yet
  }
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const name = prefix + e.name
      if (e.isDirectory()) await walk(join(dir, e.name), name + '/')
      else if (!e.name.endsWith('.lock')) {
        const sha = (await readFile(join(dir, e.name), 'utf8')).trim()
        if (/^[0-9a-f]{40}$/.test(sha)) refs.set(name, sha)
      }
    }
  }
  await walk(join(gitDir, 'refs', 'heads'), '')
  return refs
}

export async function revParse(gitDir: string, rev: string): Promise<string | undefined> {
  const r = await git(['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { okCodes: [0, 1, 128] })
  return r.code === 0 ? r.stdout.trim() : undefined
}

export async function mergeBase(gitDir: string, a: string, b: string): Promise<string | undefined> {
  const r = await git(['--git-dir', gitDir, 'merge-base', a, b], { okCodes: [0, 1] })
  return r.code === 0 ? r.stdout.trim() : undefined
}

export async function countCommits(gitDir: string, base: string, head: string): Promise<number> {
  const r = await git(['--git-dir', gitDir, 'rev-list', '--count', `${base}..${head}`])
  return Number(r.stdout.trim())
}

/** One commit as git records it (dates as ISO strings). */
export interface CommitInfo {
  sha: string
  tree: string
  parents: string[]
  author: { name: string; email: string; date: string }
  committer: { name: string; email: string; date: string }
  message: string
}

/**
 * The commits in `base..head`, oldest first (GitHub's order for a PR's
 * commits), read in one `git log`; fields end in NUL and records in RS, so a
 * message may hold any line.
 */
export async function commitsBetween(gitDir: string, base: string, head: string): Promise<CommitInfo[]> {
  const r = await git(['--git-dir', gitDir, 'log', '--reverse', '--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x1e', `${base}..${head}`])
  return r.stdout
    .split('\x1e')
    .map((record) => record.replace(/^\n/, ''))
    .filter((record) => record.includes('\0'))
    .map((record) => {
      const [sha, tree, parents, an, ae, ad, cn, ce, cd, message] = record.split('\0')
      const iso = (d: string | undefined) => new Date(d ?? '').toISOString().replace(/\.\d{3}Z$/, 'Z')
      return {
        sha: sha!,
        tree: tree!,
        parents: parents ? parents.split(' ').filter(Boolean) : [],
        author: { name: an!, email: ae!, date: iso(ad) },
        committer: { name: cn!, email: ce!, date: iso(cd) },
        message: (message ?? '').trim()
      }
    })
}

export interface FileDiff {
  filename: string
  previous_filename?: string
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged'
  additions: number
  deletions: number
  changes: number
  /** Blob sha of the file on the head side (the base side for a removed file). */
  sha: string
  patch?: string
}

/** The files a pull request changes: `git diff` from the merge base to the head, as GitHub lists them. */
export async function diffFiles(gitDir: string, from: string, to: string): Promise<FileDiff[]> {
  const [raw, patch] = await Promise.all([
    git(['--git-dir', gitDir, 'diff', '--no-color', '-M', '--raw', '--numstat', '-z', '--abbrev=40', from, to]),
    git(['--git-dir', gitDir, 'diff', '--no-color', '-M', '--no-ext-diff', from, to])
  ])
  const files = parseRawNumstat(raw.stdout)
  const patches = splitPatch(patch.stdout)
  files.forEach((f, i) => {
    const p = patches[i]
    if (p !== undefined && p !== '') f.patch = p
  })
  return files
}

// `--raw --numstat -z`: first every raw record, then every numstat record, in the same order.
function parseRawNumstat(out: string): FileDiff[] {
  const parts = out.split('\0')
  const files: FileDiff[] = []
  let i = 0
  while (i < parts.length && parts[i]!.startsWith(':')) {
    const meta = parts[i]!.slice(1).split(' ')
    const oldSha = meta[2]!
    const newSha = meta[3]!
    const code = meta[4]![0]!
    if (code === 'R' || code === 'C') {
      files.push({ filename: parts[i + 2]!, previous_filename: parts[i + 1]!, status: code === 'R' ? 'renamed' : 'copied', additions: 0, deletions: 0, changes: 0, sha: newSha })
      i += 3
    } else {
      const status = code === 'A' ? 'added' : code === 'D' ? 'removed' : code === 'M' ? 'modified' : 'changed'
      files.push({ filename: parts[i + 1]!, status, additions: 0, deletions: 0, changes: 0, sha: code === 'D' ? oldSha : newSha })
      i += 2
    }
  }
  for (const f of files) {
    // numstat: "add\tdel\tpath" or, for a rename, "add\tdel\t" followed by old and new paths.
    const rec = parts[i] ?? ''
    const [add, del, path] = rec.split('\t')
    f.additions = add === '-' ? 0 : Number(add)
    f.deletions = del === '-' ? 0 : Number(del)
    f.changes = f.additions + f.deletions
    i += path === '' ? 3 : 1
  }
  return files
}

/** Splits a unified diff per file and keeps what GitHub's `patch` holds: the hunks, without the file headers. */
function splitPatch(text: string): string[] {
  const out: string[] = []
  const sections = text.split(/^diff --git /m).slice(1)
  for (const section of sections) {
    const at = section.search(/^@@/m)
    out.push(at < 0 ? '' : section.slice(at).replace(/\n$/, ''))
  }
  return out
}

/** A three-way merge without a worktree; `tree` is set when it is clean. */
export async function mergeTree(gitDir: string, ours: string, theirs: string): Promise<{ clean: boolean; tree?: string; conflicts: string }> {
  const r = await git(['--git-dir', gitDir, 'merge-tree', '--write-tree', '--name-only', ours, theirs], { okCodes: [0, 1] })
  const tree = r.stdout.split('\n')[0]!.trim()
  return r.code === 0 ? { clean: true, tree, conflicts: '' } : { clean: false, conflicts: r.stdout }
}

export async function commitTree(gitDir: string, tree: string, parents: string[], message: string, who: Identity): Promise<string> {
  const args = ['--git-dir', gitDir, 'commit-tree', tree]
  for (const p of parents) args.push('-p', p)
  const r = await git(args, { input: message, env: identityEnv(who) })
  return r.stdout.trim()
}

/** Moves a ref only if it still points where we read it (compare-and-swap). */
export async function updateRef(gitDir: string, ref: string, to: string, from?: string): Promise<void> {
  const args = ['--git-dir', gitDir, 'update-ref', ref, to]
  if (from) args.push(from)
  await git(args)
}

/**
 * Replays head's commits since the merge base onto base, as GitHub's "rebase and
 * merge" does. git 2.39's merge-tree cannot pick a merge base, so this uses a
 * throwaway worktree; returns undefined on a conflict.
 */
export async function rebaseCommits(gitDir: string, base: string, head: string, who: Identity): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'forge-rebase-'))
  const work = join(dir, 'w')
  try {
    await git(['--git-dir', gitDir, 'worktree', 'add', '--quiet', '--detach', work, head])
    const env = { ...identityEnv(who) }
    // Keep the original authors: only the committer changes, as on GitHub.
    delete (env as Record<string, string>).GIT_AUTHOR_NAME
    delete (env as Record<string, string>).GIT_AUTHOR_EMAIL
    delete (env as Record<string, string>).GIT_AUTHOR_DATE
    const r = await git(['-C', work, 'rebase', '--quiet', '--no-autosquash', '--force-rebase', base], { env, okCodes: [0, 1, 128] })
    if (r.code !== 0) {
      await git(['-C', work, 'rebase', '--abort'], { okCodes: [0, 1, 128] })
      return undefined
    }
    return (await git(['-C', work, 'rev-parse', 'HEAD'])).stdout.trim()
  } finally {
    await git(['--git-dir', gitDir, 'worktree', 'remove', '--force', work], { okCodes: [0, 1, 128] })
    await rm(dir, { recursive: true, force: true })
    await git(['--git-dir', gitDir, 'worktree', 'prune'], { okCodes: [0, 1, 128] })
  }
}

export async function createTag(gitDir: string, tag: string, sha: string): Promise<void> {
  await git(['--git-dir', gitDir, 'update-ref', `refs/tags/${tag}`, sha, ''])
}
