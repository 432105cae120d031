// Workspaces against real git, what makes them fast without giving up safety:
// prepares asked for while a fetch runs share the next one, yet one asked for after a
// push to the remote never shares a fetch that may have read the remote before
// it; a git wrapper logs every command line so the fetches can be counted. The
// disk budget is measured less often, and measured again before it would
// refuse or when it comes near.
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import type { RepoRef } from '../../../src/main/pipeline/ports'
import { folderSize } from '../../../src/main/workspace/disk'
import { Workspaces } from '../../../src/main/workspace/workspaces'

const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' }
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim()
const commitFile = (cwd: string, path: string, content: string) => {
  writeFileSync(join(cwd, path), content)
  git(cwd, 'add', path)
  git(cwd, 'commit', '--quiet', '-m', path)
  return git(cwd, 'rev-parse', 'HEAD')
}
const repo: RepoRef = { id: 1, owner: 'acme', name: 'shop', defaultBranch: 'main' }
const until = async (probe: () => boolean) => {
  const end = Date.now() + 20_000
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('Workspaces: shared fetches, concurrent worktrees, a cheaper disk check', () => {
  let dir: string
  let seed: string
  let bare: string
  let log: string
  /** A git that logs its command line; a fetch lingers `FETCH_LINGER` seconds after it has read the remote. */
  let wrapper: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-ws-queues-'))
    seed = join(dir, 'seed')
    bare = join(dir, 'remote.git')
    execFileSync('git', ['init', '--quiet', '-b', 'main', seed])
    commitFile(seed, 'README.md', '# shop\n')
    execFileSync('git', ['clone', '--bare', '--quiet', seed, bare])
    git(seed, 'remote', 'add', 'origin', bare)
    log = join(dir, 'argv.log')
    wrapper = join(dir, 'git-wrapper.sh')
    writeFileSync(
      wrapper,
      [
        '#!/bin/sh',
        `printf '%s\\n' "$*" >> '${log}'`,
        // The subcommand, after any `-c name=value` (main's remote commands start with some).
        'sub=""; skip=0',
        'for a in "$@"; do if [ $skip = 1 ]; then skip=0; continue; fi; case "$a" in -c) skip=1 ;; *) sub="$a"; break ;; esac; done',
        'if [ "$sub" = fetch ]; then',
        '  git "$@"; rc=$?',
        `  touch '${dir}/fetched.'$$`,
        '  sleep "${FETCH_LINGER:-0}"',
        '  exit $rc',
        'fi',
        'exec git "$@"',
        ''
      ].join('\n')
    )
    chmodSync(wrapper, 0o755)
  })
  const isFetch = (line: string) => /^(-c \S+ )*fetch /.test(line)
  const fetches = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(isFetch).length : 0)

  it('prepares asked for while a fetch runs share the next one, and each still gets its own worktree on its own branch', async () => {
    const ws = new Workspaces({ root: join(dir, 'workspaces'), cloneUrl: () => `file://${bare}`, gitPath: wrapper })
    await ws.prepare(repo, { id: 't_0', issue: 10, branch: 'baton/10-first', mode: 'read' })
    expect(fetches()).toBe(1)
    process.env.FETCH_LINGER = '1'
    let paths: string[] = []
    const tasks = [1, 2, 3, 4, 5, 6].map((n) => ({ id: `t_q${n}`, issue: n, branch: `baton/${n}-task`, mode: n % 2 ? ('write' as const) : ('read' as const) }))
    try {
      const running = ws.prepare(repo, { id: 't_r', issue: 11, branch: 'baton/11-r', mode: 'read' })
      await until(() => readdirSync(dir).filter((n) => n.startsWith('fetched.')).length === 2)
      paths = await Promise.all(tasks.map((t) => ws.prepare(repo, t)))
      await running
    } finally {
      delete process.env.FETCH_LINGER
    }
    // One fetch for the six (all asked for while the one before ran), not six.
    expect(fetches()).toBe(3)
    expect(new Set(paths).size).toBe(6)
    for (const [i, path] of paths.entries()) {
      expect(readFileSync(join(path, 'README.md'), 'utf8')).toBe('# shop\n')
      expect(git(path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(tasks[i]!.mode === 'write' ? tasks[i]!.branch : 'HEAD')
      // A full checkout: the index matches HEAD, nothing staged or missing.
      expect(git(path, 'status', '--porcelain')).toBe('')
    }
    await Promise.all([...tasks.map((t) => ws.release(repo, t.id)), ws.removeIssue(repo, 1), ws.removeIssue(repo, 3)])
    expect(git(ws.clonePath(repo), 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(3)
    expect(git(ws.clonePath(repo), 'for-each-ref', '--format=%(refname)', 'refs/heads/baton')).toBe('refs/heads/baton/5-task')
  })

  it("git's own gc after a fetch is off; the workspaces run `gc --auto` themselves now and then, holding both queues", async () => {
    const ws = new Workspaces({ root: join(dir, 'workspaces'), cloneUrl: () => `file://${bare}`, gitPath: wrapper, housekeepingMs: 0 })
    await ws.prepare(repo, { id: 't_1', issue: 1, branch: 'baton/1-a', mode: 'read' })
    await Promise.all([2, 3].map((n) => ws.prepare(repo, { id: `t_${n}`, issue: n, branch: `baton/${n}-a`, mode: 'write' })))
    const lines = readFileSync(log, 'utf8').split('\n')
    const fetchLines = lines.filter(isFetch)
    expect(fetchLines.length).toBeGreaterThan(1)
    for (const line of fetchLines) expect(line).toContain('--no-auto-gc')
    // Not at the clone's first fetch; at each later one (housekeepingMs 0).
    expect(lines.filter((l) => l.includes('gc --auto'))).toHaveLength(fetchLines.length - 1)
    expect(lines.find((l) => l.includes('gc --auto'))).toContain('gc.autoDetach=false')
  })

  it('a prepare asked for after a push to the remote does not share the fetch already running: it sees the push', async () => {
    process.env.FETCH_LINGER = '0.6'
    try {
      const ws = new Workspaces({ root: join(dir, 'workspaces'), cloneUrl: () => `file://${bare}`, gitPath: wrapper })
      const old = git(bare, 'rev-parse', 'refs/heads/main')
      const first = ws.prepare(repo, { id: 't_a', issue: 1, branch: 'baton/1-a', mode: 'read' })
      // The first fetch has read the remote and is still running.
      await until(() => readdirSync(dir).some((n) => n.startsWith('fetched.')))
      const head = commitFile(seed, 'NEWS.md', 'news\n')
      git(seed, 'push', '--quiet', 'origin', 'main')
      const second = ws.prepare(repo, { id: 't_b', issue: 2, branch: 'baton/2-b', mode: 'write' })
      const third = ws.prepare(repo, { id: 't_c', issue: 3, branch: 'baton/3-c', mode: 'read' })
      // The first asked before the push: it may have either (its worktree reads the ref after its fetch).
      expect([old, head]).toContain(git(await first, 'rev-parse', 'HEAD'))
      expect(git(await second, 'rev-parse', 'HEAD')).toBe(head)
      expect(git(await third, 'rev-parse', 'HEAD')).toBe(head)
      // The second and the third share the fetch queued behind the first.
      expect(fetches()).toBe(2)
    } finally {
      delete process.env.FETCH_LINGER
    }
  })

  it('the disk budget: a recent measurement stands, but one near the budget is measured again, and a refusal always is', async () => {
    const root = join(dir, 'workspaces')
    const probe = new Workspaces({ root, cloneUrl: () => `file://${bare}` })
    await probe.prepare(repo, { id: 't_p', issue: 9, branch: 'baton/9-p', mode: 'read' })
    const size = await folderSize(root)
    // Room for a few worktrees more, and a measurement that would stand for a minute.
    const ws = new Workspaces({ root, cloneUrl: () => `file://${bare}`, diskBudgetBytes: Math.round(size * 1.05), diskCheckMs: 60_000 })
    await ws.prepare(repo, { id: 't_1', issue: 1, branch: 'baton/1-a', mode: 'read' })
    await ws.prepare(repo, { id: 't_2', issue: 2, branch: 'baton/2-a', mode: 'read' })
    // Written behind the workspaces' back since their last walk: within 10% of the
    // budget they walk again, so it is counted and the next worktree is refused.
    writeFileSync(join(root, 'junk.bin'), Buffer.alloc(Math.round(size * 0.1)))
    await expect(ws.prepare(repo, { id: 't_3', issue: 3, branch: 'baton/3-a', mode: 'read' })).rejects.toThrow(/over their disk budget/)
    // diskCheckMs 0: every prepare walks the folder.
    const strict = new Workspaces({ root, cloneUrl: () => `file://${bare}`, diskBudgetBytes: (await folderSize(root)) + 1_000_000, diskCheckMs: 0 })
    await strict.prepare(repo, { id: 't_4', issue: 4, branch: 'baton/4-a', mode: 'read' })
    writeFileSync(join(root, 'junk2.bin'), Buffer.alloc(1_000_000))
    await expect(strict.prepare(repo, { id: 't_5', issue: 5, branch: 'baton/5-a', mode: 'read' })).rejects.toThrow(/over their disk budget/)
  })
})
