// Workspaces against real git: a local bare repository as the remote (file://),
// a real clone, real worktrees, real pushes.
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import type { RepoRef } from '../../../src/main/pipeline/ports'
import { credentialEnv } from '../../../src/main/workspace/credentials'
import { runGit } from '../../../src/main/workspace/git'
import { Workspaces } from '../../../src/main/workspace/workspaces'

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } }).trim()

const repo: RepoRef = { id: 1, owner: 'acme', name: 'shop', defaultBranch: 'main' }

function makeRemote(): { dir: string; bare: string; url: string } {
  const dir = mkdtempSync(join(tmpdir(), 'baton-ws-'))
  const seed = join(dir, 'seed')
  const bare = join(dir, 'remote.git')
  execFileSync('git', ['init', '--quiet', '-b', 'main', seed])
  writeFileSync(join(seed, 'README.md'), '# shop\n')
  git(seed, 'add', '.')
  git(seed, 'commit', '--quiet', '-m', 'first')
  execFileSync('git', ['clone', '--bare', '--quiet', seed, bare])
  return { dir, bare, url: `file://${bare}` }
}

/** A commit on the remote's default branch, as another PR's merge would make; returns its sha. */
function pushToMain(remote: ReturnType<typeof makeRemote>, file: string, content: string): string {
  const seed = join(remote.dir, 'seed')
  git(seed, 'pull', '--quiet', '--ff-only', remote.bare, 'main')
  writeFileSync(join(seed, file), content)
  git(seed, 'add', '.')
  git(seed, 'commit', '--quiet', '-m', `update ${file}`)
  git(seed, 'push', '--quiet', remote.bare, 'HEAD:main')
  return git(seed, 'rev-parse', 'HEAD')
}

describe('Workspaces', () => {
  let remote: ReturnType<typeof makeRemote>
  let ws: Workspaces
  beforeEach(() => {
    remote = makeRemote()
    ws = new Workspaces({ root: join(remote.dir, 'workspaces'), cloneUrl: () => remote.url })
  })

  it('one clone, one worktree per task on baton/<issue>-<slug>; push; test checks out the pushed branch', async () => {
    const w = await ws.prepare(repo, { id: 't_a1', issue: 142, branch: 'baton/142-user-auth', mode: 'write' })
    expect(w).toBe(join(ws.root, 'worktrees', 'acme-shop', '142-t_a1'))
    expect(readFileSync(join(w, 'README.md'), 'utf8')).toBe('# shop\n')
    expect(git(w, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('baton/142-user-auth')

    writeFileSync(join(w, 'auth.js'), 'export const ok = true\n')
    git(w, 'add', '.')
    git(w, 'commit', '--quiet', '-m', 'auth')
    const head = git(w, 'rev-parse', 'HEAD')
    await ws.push(repo, 't_a1', 'baton/142-user-auth')
    expect(git(remote.bare, 'rev-parse', 'refs/heads/baton/142-user-auth')).toBe(head)

    const t = await ws.prepare(repo, { id: 't_b2', issue: 142, branch: 'baton/142-user-auth', mode: 'test' })
    expect(t).not.toBe(w)
    expect(git(t, 'rev-parse', 'HEAD')).toBe(head)
    expect(existsSync(join(t, 'auth.js'))).toBe(true)

    const r = await ws.prepare(repo, { id: 't_c3', issue: 142, branch: 'baton/142-user-auth', mode: 'read' })
    expect(existsSync(join(r, 'auth.js'))).toBe(false)

    // One clone for the repository, whatever the number of tasks.
    expect(existsSync(ws.clonePath(repo))).toBe(true)

    await ws.release(repo, 't_b2')
    expect(existsSync(t)).toBe(false)
    await ws.removeIssue(repo, 142)
    expect(existsSync(w)).toBe(false)
    expect(existsSync(r)).toBe(false)
    expect(git(ws.clonePath(repo), 'for-each-ref', 'refs/heads/baton')).toBe('')
  })

  it('after a review loop, write mode starts from the pushed branch, and a new task takes the branch over', async () => {
    const w1 = await ws.prepare(repo, { id: 't_1', issue: 7, branch: 'baton/7-fix', mode: 'write' })
    writeFileSync(join(w1, 'fix.txt'), 'one\n')
    git(w1, 'add', '.')
    git(w1, 'commit', '--quiet', '-m', 'one')
    await ws.push(repo, 't_1', 'baton/7-fix')
    // The first task's worktree still holds the branch: the next one frees it.
    const w2 = await ws.prepare(repo, { id: 't_2', issue: 7, branch: 'baton/7-fix', mode: 'write' })
    expect(readFileSync(join(w2, 'fix.txt'), 'utf8')).toBe('one\n')
    expect(existsSync(w1)).toBe(false)
  })

  it('a branch never pushed is replayed onto the default branch as it is when its turn comes', async () => {
    const w1 = await ws.prepare(repo, { id: 't_1', issue: 9, branch: 'baton/9-wait', mode: 'write' })
    writeFileSync(join(w1, 'fix.txt'), 'fix\n')
    git(w1, 'add', '.')
    git(w1, 'commit', '--quiet', '-m', 'fix')
    await ws.release(repo, 't_1')
    // Meanwhile (another PR's turn) the default branch moves on.
    const moved = pushToMain(remote, 'other.txt', 'merged meanwhile\n')
    const w2 = await ws.prepare(repo, { id: 't_2', issue: 9, branch: 'baton/9-wait', mode: 'write' })
    expect(git(w2, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('baton/9-wait')
    expect(git(w2, 'rev-parse', 'HEAD~1')).toBe(moved)
    expect(git(w2, 'log', '-1', '--format=%s')).toBe('fix')
    expect(readFileSync(join(w2, 'fix.txt'), 'utf8')).toBe('fix\n')
    expect(readFileSync(join(w2, 'other.txt'), 'utf8')).toBe('merged meanwhile\n')
    expect(git(w2, 'status', '--porcelain')).toBe('')
  })

  it('a branch never pushed whose commits do not replay starts from the default branch, its commits kept aside', async () => {
    const w1 = await ws.prepare(repo, { id: 't_1', issue: 9, branch: 'baton/9-wait', mode: 'write' })
    writeFileSync(join(w1, 'README.md'), '# ours\n')
    git(w1, 'commit', '--quiet', '-am', 'ours')
    const ours = git(w1, 'rev-parse', 'HEAD')
    await ws.release(repo, 't_1')
    const moved = pushToMain(remote, 'README.md', '# theirs\n')
    const w2 = await ws.prepare(repo, { id: 't_2', issue: 9, branch: 'baton/9-wait', mode: 'write' })
    expect(git(w2, 'rev-parse', 'HEAD')).toBe(moved)
    expect(readFileSync(join(w2, 'README.md'), 'utf8')).toBe('# theirs\n')
    expect(git(w2, 'status', '--porcelain')).toBe('')
    expect(git(ws.clonePath(repo), 'rev-parse', 'refs/baton/stale/baton/9-wait')).toBe(ours)
    await ws.removeIssue(repo, 9)
    expect(git(ws.clonePath(repo), 'for-each-ref', 'refs/baton', 'refs/heads/baton')).toBe('')
  })

  it('a pushed branch is taken as pushed, never replayed by main', async () => {
    const w1 = await ws.prepare(repo, { id: 't_1', issue: 4, branch: 'baton/4-pushed', mode: 'write' })
    writeFileSync(join(w1, 'fix.txt'), 'fix\n')
    git(w1, 'add', '.')
    git(w1, 'commit', '--quiet', '-m', 'fix')
    const pushed = git(w1, 'rev-parse', 'HEAD')
    await ws.push(repo, 't_1', 'baton/4-pushed')
    pushToMain(remote, 'other.txt', 'later\n')
    const w2 = await ws.prepare(repo, { id: 't_2', issue: 4, branch: 'baton/4-pushed', mode: 'write' })
    expect(git(w2, 'rev-parse', 'HEAD')).toBe(pushed)
  })

  it('a test task for a branch never pushed fails with a clear message', async () => {
    await expect(ws.prepare(repo, { id: 't_x', issue: 3, branch: 'baton/3-nope', mode: 'test' })).rejects.toThrow(/has not been pushed/)
  })

  it('refuses names that would escape the workspace folder', async () => {
    await expect(ws.prepare({ ...repo, owner: '..' }, { id: 't_1', issue: 1, branch: 'baton/1-a', mode: 'read' })).rejects.toThrow(/Invalid owner/)
    await expect(ws.prepare(repo, { id: '../x', issue: 1, branch: 'baton/1-a', mode: 'read' })).rejects.toThrow(/Invalid task id/)
    await expect(ws.prepare(repo, { id: 't_1', issue: 1, branch: 'baton/1..a', mode: 'write' })).rejects.toThrow(/Invalid branch name/)
  })

  it('removes orphan worktrees at start and keeps the active ones', async () => {
    const keep = await ws.prepare(repo, { id: 't_keep', issue: 1, branch: 'baton/1-a', mode: 'write' })
    const orphan = await ws.prepare(repo, { id: 't_gone', issue: 2, branch: 'baton/2-b', mode: 'write' })
    const restarted = new Workspaces({ root: ws.root, cloneUrl: () => remote.url })
    expect(await restarted.removeOrphans(['t_keep'])).toEqual([orphan])
    expect(existsSync(keep)).toBe(true)
    expect(existsSync(orphan)).toBe(false)
    expect(git(ws.clonePath(repo), 'worktree', 'list')).not.toContain('t_gone')
    // The orphan's branch is free again for a new task.
    await restarted.prepare(repo, { id: 't_new', issue: 2, branch: 'baton/2-b', mode: 'write' })
  })

  it('asked per worktree (the engine asks its tasks as each is reached), removes those it is told to and keeps the others', async () => {
    const kept = await ws.prepare(repo, { id: 't_run', issue: 1, branch: 'baton/1-a', mode: 'write' })
    const ended = await ws.prepare(repo, { id: 't_done', issue: 2, branch: 'baton/2-b', mode: 'write' })
    const asked: string[] = []
    const removed = await new Workspaces({ root: ws.root, cloneUrl: () => remote.url }).removeOrphans((task) => (asked.push(task), task === 't_run'))
    expect(removed).toEqual([ended])
    expect(asked.sort()).toEqual(['t_done', 't_run'])
    expect(existsSync(kept)).toBe(true)
    expect(git(ws.clonePath(repo), 'worktree', 'list')).not.toContain('t_done')
  })

  it('refuses a new worktree past the disk budget, saying so', async () => {
    const small = new Workspaces({ root: ws.root, cloneUrl: () => remote.url, diskBudgetBytes: 10_000 })
    await small.prepare(repo, { id: 't_1', issue: 1, branch: 'baton/1-a', mode: 'read' })
    await expect(small.prepare(repo, { id: 't_2', issue: 2, branch: 'baton/2-a', mode: 'read' })).rejects.toThrow(/over their disk budget of 9\.8 KB/)
  })
})

describe('Workspaces credentials', () => {
  const servers: Array<{ close(): void }> = []
  afterAll(() => servers.forEach((s) => s.close()))
  /** A server that records each request's headers and answers 404. */
  const listen = async () => {
    const seen: IncomingHttpHeaders[] = []
    const server = createServer((req, res) => {
      seen.push(req.headers)
      res.writeHead(404).end()
    })
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/acme/shop.git` }
  }

  it('sends the token as an HTTP header from the environment: never in argv, never in the clone config', async () => {
    const { seen, url } = await listen()
    const dir = mkdtempSync(join(tmpdir(), 'baton-ws-cred-'))
    // A git wrapper that records each command line, then runs the real git.
    const log = join(dir, 'argv.log')
    const wrapper = join(dir, 'git-wrapper.sh')
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec git "$@"\n`)
    chmodSync(wrapper, 0o755)
    const ws = new Workspaces({ root: join(dir, 'ws'), cloneUrl: () => url, token: () => 'sekrit-token-123', gitPath: wrapper })
    await expect(ws.prepare(repo, { id: 't_1', issue: 1, branch: 'baton/1-a', mode: 'read' })).rejects.toThrow(/git (-c \S+ )*clone/)
    const auth = seen.map((h) => h.authorization).find(Boolean)
    expect(auth).toBe(`Basic ${Buffer.from('x-access-token:sekrit-token-123').toString('base64')}`)
    const argv = readFileSync(log, 'utf8')
    expect(argv).toContain('clone --bare')
    expect(argv).not.toContain('sekrit')
    expect(argv).not.toContain(Buffer.from('x-access-token:sekrit-token-123').toString('base64'))
  })

  it("scopes the header to the repository's host: git sends it to no other remote", async () => {
    const ours = await listen()
    const other = await listen()
    const env = credentialEnv('sekrit-token-456', ours.url)
    expect(env.GIT_CONFIG_KEY_0).toBe(`http.${new URL(ours.url).origin}/.extraHeader`)
    const dir = mkdtempSync(join(tmpdir(), 'baton-ws-scope-'))
    await expect(runGit(['ls-remote', ours.url], { cwd: dir, env })).rejects.toThrow()
    await expect(runGit(['ls-remote', other.url], { cwd: dir, env })).rejects.toThrow()
    expect(ours.seen.map((h) => h.authorization).find(Boolean)).toBe(`Basic ${Buffer.from('x-access-token:sekrit-token-456').toString('base64')}`)
    expect(other.seen.length).toBeGreaterThan(0)
    expect(other.seen.map((h) => h.authorization).filter(Boolean)).toEqual([])
    // No token, or a URL git would not send a header to: nothing.
    expect(credentialEnv(null, ours.url)).toEqual({})
    expect(credentialEnv('t', 'file:///tmp/x.git')).toEqual({})
  })
})
