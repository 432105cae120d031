// Parallel attempts' branches against real git (issue #15): each attempt's
// task pushes its own branch and nothing else — not attempt 1's, not the
// default branch, whatever the clone's refs say — and a losing attempt's
// branch is deleted here and on the remote, once, and only Baton's own.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { attemptBranch } from '../../../src/main/pipeline/attempt-rules'
import type { RepoRef } from '../../../src/main/pipeline/ports'
import { Workspaces } from '../../../src/main/workspace/workspaces'

const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' }
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim()
const repo: RepoRef = { id: 1, owner: 'acme', name: 'shop', defaultBranch: 'main' }
const base = 'baton/9-fix-add'

function commit(dir: string, file: string, text: string): string {
  writeFileSync(join(dir, file), text)
  git(dir, 'add', '.')
  git(dir, 'commit', '--quiet', '-m', file)
  return git(dir, 'rev-parse', 'HEAD')
}

describe("each attempt's branch", () => {
  let bare: string
  let ws: Workspaces
  let main: string
  beforeEach(() => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-attempt-branches-'))
    const seed = join(dir, 'seed')
    bare = join(dir, 'remote.git')
    execFileSync('git', ['init', '--quiet', '-b', 'main', seed])
    main = commit(seed, 'README.md', '# shop\n')
    execFileSync('git', ['clone', '--bare', '--quiet', seed, bare])
    ws = new Workspaces({ root: join(dir, 'workspaces'), cloneUrl: () => `file://${bare}` })
  })
  const remoteRef = (ref: string) => {
    try {
      return git(bare, 'rev-parse', '--verify', '--quiet', ref)
    } catch {
      return ''
    }
  }

  it("attempt 2's task cannot push attempt 1's branch or the default branch, even with the clone's refs moved to its commit", async () => {
    const w1 = await ws.prepare(repo, { id: 't_one', issue: 9, branch: attemptBranch(base, 1), mode: 'write' })
    const w2 = await ws.prepare(repo, { id: 't_two', issue: 9, branch: attemptBranch(base, 2), mode: 'write' })
    commit(w1, 'calc.js', 'one\n')
    const two = commit(w2, 'calc.js', 'two\n')
    // Attempt 2's agent moves the clone's own refs (worktrees share them) to its commit.
    git(w2, 'update-ref', `refs/heads/${base}`, two)
    git(w2, 'update-ref', 'refs/heads/main', two)

    await expect(ws.push(repo, 't_two', base)).rejects.toThrow(`Refusing to push ${base} of acme/shop: task t_two's worktree has branch ${base}-a2 checked out`)
    await expect(ws.push(repo, 't_two', 'main')).rejects.toThrow(`Refusing to push "main" of acme/shop: Baton pushes only a task's own baton/<issue>-<slug> branch`)
    await expect(ws.push(repo, 't_two', `${base}-a3`)).rejects.toThrow(/task t_two's worktree has branch baton\/9-fix-add-a2 checked out/)
    expect(remoteRef(`refs/heads/${base}`)).toBe('')
    expect(remoteRef('refs/heads/main')).toBe(main)

    // Its own branch goes, and only that one.
    await ws.push(repo, 't_two', `${base}-a2`)
    expect(remoteRef(`refs/heads/${base}-a2`)).toBe(two)
    expect(remoteRef(`refs/heads/${base}`)).toBe('')
    expect(remoteRef('refs/heads/main')).toBe(main)
  })

  it("a losing attempt's branch is deleted locally and on the remote (its worktree first), once; never the default branch or another's", async () => {
    const w3 = await ws.prepare(repo, { id: 't_three', issue: 9, branch: attemptBranch(base, 3), mode: 'write' })
    const w2 = await ws.prepare(repo, { id: 't_two', issue: 9, branch: attemptBranch(base, 2), mode: 'write' })
    commit(w3, 'calc.js', 'three\n')
    const two = commit(w2, 'calc.js', 'two\n')
    await ws.push(repo, 't_three', `${base}-a3`)
    await ws.push(repo, 't_two', `${base}-a2`)
    const clone = ws.clonePath(repo)

    expect(await ws.deleteBranch(repo, `${base}-a3`)).toEqual({ local: true, remote: true })
    expect(remoteRef(`refs/heads/${base}-a3`)).toBe('')
    expect(git(clone, 'for-each-ref', '--format=%(refname)', `refs/heads/${base}-a3`, `refs/remotes/origin/${base}-a3`)).toBe('')
    expect(git(clone, 'worktree', 'list', '--porcelain')).not.toContain('9-t_three')
    // Again: nothing left to delete, and no error.
    expect(await ws.deleteBranch(repo, `${base}-a3`)).toEqual({ local: false, remote: false })
    // The winner is untouched.
    expect(remoteRef(`refs/heads/${base}-a2`)).toBe(two)
    // A branch never pushed is deleted locally only.
    await ws.prepare(repo, { id: 't_four', issue: 9, branch: attemptBranch(base, 4), mode: 'write' })
    expect(await ws.deleteBranch(repo, `${base}-a4`)).toEqual({ local: true, remote: false })

    // What a person compares before picking: the winner's diff against the default branch, while it is there.
    const diff = await ws.branchDiff(repo, `${base}-a2`)
    expect(diff?.stat).toMatch(/calc\.js \| 1 \+\n 1 file changed, 1 insertion\(\+\)/)
    expect(diff?.patch).toContain('+two')
    expect(diff?.truncated).toBe(false)
    expect((await ws.branchDiff(repo, `${base}-a2`, 10))?.truncated).toBe(true)
    expect(await ws.branchDiff(repo, `${base}-a3`)).toBeNull()
    await expect(ws.branchDiff(repo, 'main')).rejects.toThrow('Not a Baton branch: "main"')

    await expect(ws.deleteBranch(repo, 'main')).rejects.toThrow('Refusing to delete "main" of acme/shop: Baton deletes only its own baton/<issue>-<slug> branches')
    await expect(ws.deleteBranch(repo, 'feature/x')).rejects.toThrow(/Refusing to delete "feature\/x"/)
    expect(remoteRef('refs/heads/main')).toBe(main)
  })
})
