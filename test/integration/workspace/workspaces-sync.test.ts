// Workspaces against real git, the cases around time and concurrency: the
// clone is fetched before each prepare (a new commit on the remote shows up in
// the next task's worktree), tasks prepared at once on one clone all get their
// own worktree (git's locks are not fought over), a rejected push says which
// branch and why, and the Engineer's and the Tester's checkouts stay apart.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import type { RepoRef } from '../../../src/main/pipeline/ports'
import { WorkspaceError, Workspaces } from '../../../src/main/workspace/workspaces'

const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' }
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim()
const commitFile = (cwd: string, path: string, content: string, message = path) => {
  writeFileSync(join(cwd, path), content)
  git(cwd, 'add', path)
  git(cwd, 'commit', '--quiet', '-m', message)
  return git(cwd, 'rev-parse', 'HEAD')
}

const repo: RepoRef = { id: 1, owner: 'acme', name: 'shop', defaultBranch: 'main' }

describe('Workspaces: fetch, concurrency, push refusals', () => {
  let seed: string
  let bare: string
  let ws: Workspaces
  beforeEach(() => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-ws-sync-'))
    seed = join(dir, 'seed')
    bare = join(dir, 'remote.git')
    execFileSync('git', ['init', '--quiet', '-b', 'main', seed])
    commitFile(seed, 'README.md', '# shop\n', 'first')
    execFileSync('git', ['clone', '--bare', '--quiet', seed, bare])
    git(seed, 'remote', 'add', 'origin', bare)
    ws = new Workspaces({ root: join(dir, 'workspaces'), cloneUrl: () => `file://${bare}` })
  })

  it('fetches before each prepare: work pushed to the remote since the last task is in the next worktree', async () => {
    const first = await ws.prepare(repo, { id: 't_r1', issue: 1, branch: 'baton/1-a', mode: 'read' })
    expect(existsSync(join(first, 'NEWS.md'))).toBe(false)
    const head = commitFile(seed, 'NEWS.md', 'news\n')
    git(seed, 'push', '--quiet', 'origin', 'main')
    const second = await ws.prepare(repo, { id: 't_r2', issue: 1, branch: 'baton/1-a', mode: 'read' })
    expect(git(second, 'rev-parse', 'HEAD')).toBe(head)
    // A new write task branches from the fetched default branch too.
    const write = await ws.prepare(repo, { id: 't_w1', issue: 2, branch: 'baton/2-b', mode: 'write' })
    expect(git(write, 'rev-parse', 'HEAD')).toBe(head)
    // The read worktrees are detached: nothing an agent does there moves a branch.
    expect(git(second, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('HEAD')
  })

  it('prepares several tasks of one repository at once, each in its own worktree', async () => {
    const tasks = [1, 2, 3, 4].map((n) => ({ id: `t_c${n}`, issue: n, branch: `baton/${n}-task`, mode: 'write' as const }))
    const paths = await Promise.all(tasks.map((t) => ws.prepare(repo, t)))
    expect(new Set(paths).size).toBe(4)
    for (const [i, path] of paths.entries()) expect(git(path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(`baton/${i + 1}-task`)
    // And release them at once.
    await Promise.all(tasks.map((t) => ws.release(repo, t.id)))
    for (const path of paths) expect(existsSync(path)).toBe(false)
    expect(git(ws.clonePath(repo), 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1)
  })

  it('a push the remote refuses (not a fast-forward) fails with the branch and git\'s reason; the worktree keeps the work', async () => {
    const branch = 'baton/5-race'
    const w = await ws.prepare(repo, { id: 't_p1', issue: 5, branch, mode: 'write' })
    // Someone else pushed the same branch first.
    git(seed, 'checkout', '--quiet', '-b', branch)
    commitFile(seed, 'theirs.txt', 'theirs\n')
    git(seed, 'push', '--quiet', 'origin', branch)
    const ours = commitFile(w, 'ours.txt', 'ours\n')
    const refused = ws.push(repo, 't_p1', branch)
    await expect(refused).rejects.toBeInstanceOf(WorkspaceError)
    await expect(refused).rejects.toThrow(new RegExp(`Pushing ${branch} of acme/shop failed: .*(rejected|fetch first|non-fast-forward)`, 's'))
    expect(git(bare, 'rev-parse', `refs/heads/${branch}`)).not.toBe(ours)
    expect(git(w, 'rev-parse', 'HEAD')).toBe(ours)
  })

  it('pushing a branch the task never made is refused before git runs', async () => {
    await ws.prepare(repo, { id: 't_r9', issue: 9, branch: 'baton/9-never', mode: 'read' })
    await expect(ws.push(repo, 't_none', 'baton/9-never')).rejects.toThrow(/Refusing to push baton\/9-never of acme\/shop: task t_none's worktree has no branch checked out/)
    await expect(ws.push(repo, 't_none', 'baton/9..bad')).rejects.toThrow(/Refusing to push "baton\/9\.\.bad" of acme\/shop: Baton pushes only a task's own/)
  })

  // KNOWN DEFECT of src/main/workspace/workspaces.ts (see the report): before
  // the repository's first prepare there is no clone, and the branch-name check
  // that runs git in it fails, so the message blames the (valid) branch name.
  it('a push before any clone exists names the missing clone, not the branch name', async () => {
    await expect(ws.push(repo, 't_none', 'baton/9-never')).rejects.toThrow(/no local branch|no clone|not been prepared/)
  })

  it('the Tester\'s checkout of the pushed branch is its own: the Engineer\'s later edits do not leak into it', async () => {
    const branch = 'baton/6-split'
    const w = await ws.prepare(repo, { id: 't_e6', issue: 6, branch, mode: 'write' })
    const pushed = commitFile(w, 'a.txt', 'one\n')
    await ws.push(repo, 't_e6', branch)
    const t = await ws.prepare(repo, { id: 't_t6', issue: 6, branch, mode: 'test' })
    writeFileSync(join(w, 'a.txt'), 'uncommitted\n')
    commitFile(w, 'b.txt', 'not pushed\n')
    expect(git(t, 'rev-parse', 'HEAD')).toBe(pushed)
    expect(readFileSync(join(t, 'a.txt'), 'utf8')).toBe('one\n')
    expect(existsSync(join(t, 'b.txt'))).toBe(false)
    // Releasing an unknown task, or one already released, is a no-op.
    await ws.release(repo, 't_t6')
    await ws.release(repo, 't_t6')
    await ws.release(repo, 't_unknown')
    expect(existsSync(w)).toBe(true)
  })
})
