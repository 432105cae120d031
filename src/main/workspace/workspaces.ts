// Git workspaces (DESIGN.md §6): one clone per repository and one worktree per
// task, so the Engineer and the Tester never share a checkout.
//
//   <root>/clones/<owner>/<name>.git              bare clone, remote `origin`
//   <root>/worktrees/<owner>-<name>/<issue>-<task>  one task's checkout
//
// Only main runs the authenticated commands here (clone, fetch, push); the
// agents work in the worktrees with no credential.
//
// Git's locks are never fought over, yet tasks do not wait for each other's
// network calls. Per clone, two queues, each running one operation at a time:
//   - refs: clone, fetch, push, deleting branches — what writes the clone's
//     shared refs (`packed-refs`, `refs/remotes/origin/*`) or talks to the remote;
//   - worktrees: `worktree add/remove/prune/list` — what touches
//     `<clone>/worktrees`. A task's own checkout (`read-tree` in its worktree,
//     its own index) runs outside both, so tasks check out at the same time.
// The one ref a worktree writes (`-B <branch>`, the task's own branch) is
// written by nothing on the refs queue but `removeIssue`, which holds both.
// A fetch (and a push, which fetches its branch back) holds both queues: git
// reads every worktree's HEAD as it fetches, and a worktree being added has a
// placeholder one. Checkouts still run while a fetch does.
// Fetches coalesce: a prepare shares the fetch queued behind the running one
// (never the running one itself, which may have read the remote before the
// prepare was asked for), so a prepare still sees everything pushed before it.
import { existsSync, promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve, sep } from 'node:path'
import type { RepoRef, WorkspacePort } from '../pipeline/ports'
import { credentialEnv } from './credentials'
import { folderSize, formatBytes } from './disk'
import { GitError, runGit } from './git'

export interface WorkspaceTask {
  id: string
  issue: number
  branch: string
  mode: 'read' | 'write' | 'test'
}

export interface WorkspacesOptions {
  /** Folder for clones and worktrees (e.g. <data>/workspaces). */
  root: string
  /** The clone URL of a repository, without credentials (https://…/o/n.git, or file:// in tests). */
  cloneUrl: (repo: RepoRef) => string
  /** Main's token for this repository's host, or null (public repository, file:// URL). */
  token?: (repo: RepoRef) => string | null | Promise<string | null>
  /** Bytes the workspaces may use before prepare refuses (default 20 GiB). */
  diskBudgetBytes?: number
  /**
   * How long a measurement of the workspaces folder stands (default 30 s):
   * meanwhile each new worktree's size is added to it, and a prepare that
   * would be refused, or lands within 10% of the budget, measures again first.
   */
  diskCheckMs?: number
  /** How often a clone's `gc --auto` runs, at a fetch, holding both queues (default 10 min). */
  housekeepingMs?: number
  /** The git executable (default `git` on PATH). */
  gitPath?: string
}

export class WorkspaceError extends Error {
  constructor(
    message: string,
    readonly kind: 'budget' | 'invalid' | 'missing-branch' | 'git',
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'WorkspaceError'
  }
}

const SAFE_SEGMENT = /^[A-Za-z0-9_.-]{1,100}$/
/** The only branches main pushes: a task's own (`branchFor` in pipeline/instructions.ts). */
const PUSHABLE = /^baton\/[0-9]+-[a-z0-9-]{1,60}$/
/**
 * Flags for main's commands that talk to the remote with credentials: no
 * hook and no fsmonitor from the clone runs with them (an agent can write the
 * clone's files; a pre-push hook would see the credentials in its environment).
 */
const HARDENED = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'credential.helper=']

/** The clone's whole config, as main writes it (nothing an agent added survives a remote command). */
function cloneConfig(url: string): string {
  const quoted = url.replace(/\\/g, '\\\\').replace(/"/g, '\\"')
  return `[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n[remote "origin"]\n\turl = "${quoted}"\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`
}
const TASK_ID = /^[A-Za-z0-9_-]{1,80}$/
/** Who main's own commits (a replayed branch) are committed by. */
const BATON_IDENTITY = { GIT_COMMITTER_NAME: 'Baton', GIT_COMMITTER_EMAIL: 'baton@baton.invalid' }

function segment(value: string, what: string): string {
  if (!SAFE_SEGMENT.test(value) || value === '.' || value === '..') throw new WorkspaceError(`Invalid ${what} ${JSON.stringify(value)}`, 'invalid')
  return value
}

/** One clone's queues (see the top of the file), and the fetch the next prepares will share. */
interface CloneQueues {
  refs: Promise<unknown>
  worktrees: Promise<unknown>
  /** A fetch queued and not started yet: a prepare asked for before it starts shares it. */
  nextFetch: Promise<string> | null
}

export class Workspaces implements WorkspacePort {
  readonly root: string
  private readonly queues = new Map<string, CloneQueues>()
  private readonly validBranches = new Set<string>()
  /** The last walk of the folder (plus the worktrees added since), and the walk in progress. */
  private measured: { bytes: number; at: number } | null = null
  private measuring: Promise<number> | null = null
  private measureGeneration = 0
  /** Per clone: when `gc --auto` last ran (or the clone was first fetched). */
  private readonly gcAt = new Map<string, number>()

  constructor(private readonly o: WorkspacesOptions) {
    this.root = resolve(o.root)
  }

  clonePath(repo: RepoRef): string {
    return join(this.root, 'clones', segment(repo.owner, 'owner'), `${segment(repo.name, 'repository name')}.git`)
  }

  private worktreesOf(repo: RepoRef): string {
    return join(this.root, 'worktrees', `${segment(repo.owner, 'owner')}-${segment(repo.name, 'repository name')}`)
  }

  worktreePath(repo: RepoRef, task: { id: string; issue: number }): string {
    if (!TASK_ID.test(task.id)) throw new WorkspaceError(`Invalid task id ${JSON.stringify(task.id)}`, 'invalid')
    if (!Number.isInteger(task.issue) || task.issue <= 0) throw new WorkspaceError(`Invalid issue number ${task.issue}`, 'invalid')
    return join(this.worktreesOf(repo), `${task.issue}-${task.id}`)
  }

  private queuesOf(repo: RepoRef): CloneQueues {
    const key = this.clonePath(repo)
    let q = this.queues.get(key)
    if (!q) this.queues.set(key, (q = { refs: Promise.resolve(), worktrees: Promise.resolve(), nextFetch: null }))
    return q
  }

  /** Runs `work` after every earlier operation on the same clone's `refs` or `worktrees` queue. */
  private serial<T>(repo: RepoRef, queue: 'refs' | 'worktrees', work: () => Promise<T>): Promise<T> {
    const q = this.queuesOf(repo)
    const run = q[queue].then(work, work)
    q[queue] = run.catch(() => undefined)
    return run
  }

  /**
   * The clone, fetched by a fetch that starts after this call: the one queued
   * behind the running fetch, shared by every caller until it starts.
   */
  private fresh(repo: RepoRef): Promise<string> {
    const q = this.queuesOf(repo)
    if (q.nextFetch) return q.nextFetch
    const next: Promise<string> = this.serial(repo, 'refs', async () => {
      // Started: whoever asks from now on may have seen a push this fetch misses.
      if (q.nextFetch === next) q.nextFetch = null
      // A fetch also holds the worktrees queue: git reads every worktree's HEAD
      // while it fetches, and a `worktree add` in progress has a placeholder one
      // ("fatal: bad object worktrees/…/HEAD").
      const clone = await this.serial(repo, 'worktrees', () => this.fetchClone(repo))
      await this.housekeeping(repo, clone)
      return clone
    })
    q.nextFetch = next
    return next
  }

  private git(args: string[], cwd: string, env?: Record<string, string>) {
    return runGit(args, { cwd, env, gitPath: this.o.gitPath })
  }

  private async authEnv(repo: RepoRef): Promise<Record<string, string>> {
    return credentialEnv(await this.o.token?.(repo), this.o.cloneUrl(repo))
  }

  /** Bytes used by all clones and worktrees (a walk of the folder, now). */
  diskUsage(): Promise<number> {
    return folderSize(this.root)
  }

  /** Walks the folder (one walk at a time, shared) and keeps the result. */
  private measure(): Promise<number> {
    if (this.measuring) return this.measuring
    const generation = this.measureGeneration
    const walk = folderSize(this.root)
      .then((bytes) => {
        if (generation === this.measureGeneration) this.measured = { bytes, at: performance.now() }
        return bytes
      })
      .finally(() => {
        if (this.measuring === walk) this.measuring = null
      })
    this.measuring = walk
    return walk
  }

  /** A clone was made: the next check walks the folder again. */
  private forgetMeasure(): void {
    this.measureGeneration++
    this.measured = null
    this.measuring = null
  }

  /**
   * Refuses past the budget. A recent walk plus the worktrees added since
   * stands for the folder's size (removals are not subtracted, so it errs
   * high); near or over the budget it is measured again before deciding.
   */
  private async checkBudget(): Promise<void> {
    const budget = this.o.diskBudgetBytes ?? 20 * 1024 ** 3
    const recent = this.measured && performance.now() - this.measured.at < (this.o.diskCheckMs ?? 30_000) ? this.measured.bytes : null
    let used = recent ?? (await this.measure())
    if (recent !== null && used > budget * 0.9) used = await this.measure()
    if (used > budget) {
      throw new WorkspaceError(
        `The workspaces in ${this.root} use ${formatBytes(used)}, over their disk budget of ${formatBytes(budget)}. ` +
          'Finished worktrees are removed after merge or close; raise the budget in settings or free space to continue.',
        'budget'
      )
    }
  }

  /** The repository's clone, fetched by a fetch that starts after this call (created on first use). */
  ensureClone(repo: RepoRef): Promise<string> {
    return this.fresh(repo)
  }

  private async fetchClone(repo: RepoRef): Promise<string> {
    const clone = this.clonePath(repo)
    const env = await this.authEnv(repo)
    if (!existsSync(join(clone, 'HEAD'))) {
      await fs.mkdir(join(clone, '..'), { recursive: true })
      await fs.rm(clone, { recursive: true, force: true })
      await this.git([...HARDENED, 'clone', '--bare', '--quiet', this.o.cloneUrl(repo), clone], join(clone, '..'), env)
      // A bare clone maps the remote's branches onto its own; keep them as
      // remote-tracking refs instead, so local task branches never collide.
      await this.git(['config', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*'], clone)
      this.forgetMeasure()
    }
    // No housekeeping behind the queues' backs: git's own `gc --auto` after a
    // fetch rewrites packed-refs and prunes worktrees; it runs in `fresh()`.
    await this.git([...HARDENED, 'fetch', '--prune', '--quiet', '--no-auto-gc', 'origin'], clone, await this.remoteEnv(repo, clone))
    return clone
  }

  /** Git's `gc --auto` (it does nothing below its thresholds), now and then, holding both queues (called on the refs queue). */
  private async housekeeping(repo: RepoRef, clone: string): Promise<void> {
    const last = this.gcAt.get(clone)
    const now = performance.now()
    if (last === undefined) this.gcAt.set(clone, now)
    if (last === undefined || now - last < (this.o.housekeepingMs ?? 10 * 60_000)) return
    this.gcAt.set(clone, now)
    await this.serial(repo, 'worktrees', () => this.git(['-c', 'gc.autoDetach=false', 'gc', '--auto', '--quiet'], clone)).catch(() => undefined)
  }

  private async hasRef(clone: string, ref: string): Promise<boolean> {
    return (await this.refsPresent(clone, [ref])).has(ref)
  }

  /** Which of `refs` exist, in one git run. */
  private async refsPresent(clone: string, refs: string[]): Promise<Set<string>> {
    const { stdout } = await this.git(['for-each-ref', '--format=%(refname)', ...refs], clone)
    const wanted = new Set(refs)
    return new Set(stdout.split('\n').filter((r) => wanted.has(r)))
  }

  /** Git's own rule for a branch name (a pure check: no repository needed; a name passed once is remembered). */
  private async checkBranchName(branch: string): Promise<void> {
    if (this.validBranches.has(branch)) return
    try {
      await this.git(['check-ref-format', '--branch', branch], tmpdir())
    } catch (error) {
      throw new WorkspaceError(`Invalid branch name ${JSON.stringify(branch)}`, 'invalid', { cause: error })
    }
    if (this.validBranches.size > 10_000) this.validBranches.clear()
    this.validBranches.add(branch)
  }

  /**
   * A worktree of its own for one task: `write` checks out the task's branch
   * (from the pushed branch after a review loop, else the local one replayed
   * onto the default branch as fetched now, else the default branch); `test`
   * the pushed branch, detached; `read` the default branch, detached. A
   * worktree left by an earlier attempt of the task is replaced.
   */
  async prepare(repo: RepoRef, task: WorkspaceTask): Promise<string> {
    const path = this.worktreePath(repo, task)
    if (task.mode !== 'read') await this.checkBranchName(task.branch)
    await this.checkBudget()
    const clone = await this.fresh(repo)
    const defaultRef = `refs/remotes/origin/${repo.defaultBranch}`
    const remote = `refs/remotes/origin/${task.branch}`
    const local = `refs/heads/${task.branch}`
    // Reading refs needs no queue: git replaces a ref file by a rename.
    let add: string[]
    let unpushed = false
    if (task.mode === 'read') add = ['--detach', path, defaultRef]
    else if (task.mode === 'test') {
      if (!(await this.hasRef(clone, remote))) {
        throw new WorkspaceError(`Branch ${task.branch} has not been pushed to ${repo.owner}/${repo.name}: nothing to test`, 'missing-branch')
      }
      add = ['--detach', path, remote]
    } else {
      const present = await this.refsPresent(clone, [remote, local])
      // A branch never pushed was made by an earlier task, maybe before a long
      // wait (one PR at a time): it is brought onto the default branch as it is now.
      unpushed = !present.has(remote) && present.has(local)
      add = ['-B', task.branch, path, present.has(remote) ? remote : unpushed ? local : defaultRef]
    }
    await this.serial(repo, 'worktrees', async () => {
      await this.removeWorktree(clone, path)
      // A branch can be checked out in one worktree only: free it from any
      // earlier task's worktree first (that task is over or being replaced).
      if (task.mode === 'write') for (const other of await this.worktreesOnBranch(clone, task.branch)) await this.removeWorktree(clone, other)
      await fs.mkdir(this.worktreesOf(repo), { recursive: true })
      await this.git(['worktree', 'add', '--quiet', '--no-checkout', ...add], clone)
    })
    // The checkout itself touches only this worktree's index and files.
    try {
      await this.git(['read-tree', '-u', '--reset', 'HEAD'], path)
      // Like the checkout, this writes only the task's own branch (checked out here alone).
      if (unpushed) await this.rebaseOnDefault(path, task.branch, defaultRef)
    } catch (error) {
      await this.serial(repo, 'worktrees', () => this.removeWorktree(clone, path)).catch(() => undefined)
      throw error
    }
    if (this.measured) this.measured.bytes += await folderSize(path)
    return path
  }

  /**
   * A local branch that was never pushed, based on an older default branch:
   * its own commits are replayed onto the default branch as fetched now, so a
   * patch made before a wait is not built on (or checked against) what the
   * default branch was then. Commits that do not replay cleanly are kept under
   * `refs/baton/stale/<branch>` (nothing is lost) and the task starts from the
   * default branch, as if the branch had never been made. Run by main with
   * no hook from the clone: agents can write there.
   */
  private async rebaseOnDefault(path: string, branch: string, defaultRef: string): Promise<void> {
    const upToDate = await this.git(['merge-base', '--is-ancestor', defaultRef, 'HEAD'], path).then(
      () => true,
      () => false
    )
    if (upToDate) return
    const rebase = await runGit([...HARDENED, 'rebase', '--quiet', '--no-autostash', defaultRef], { cwd: path, env: BATON_IDENTITY, gitPath: this.o.gitPath, okCodes: [0, 1] })
    if (rebase.code === 0) return
    await this.git([...HARDENED, 'rebase', '--abort'], path).catch(() => undefined)
    await this.git(['update-ref', '-m', 'baton: commits that did not replay onto the default branch', `refs/baton/stale/${branch}`, 'HEAD'], path)
    await this.git(['update-ref', '-m', 'baton: restarted from the default branch', `refs/heads/${branch}`, defaultRef], path)
    await this.git(['read-tree', '-u', '--reset', 'HEAD'], path)
  }

  private async worktreesOnBranch(clone: string, branch: string): Promise<string[]> {
    const { stdout } = await this.git(['worktree', 'list', '--porcelain'], clone)
    const found: string[] = []
    let path: string | null = null
    for (const line of stdout.split('\n')) {
      if (line.startsWith('worktree ')) path = line.slice('worktree '.length)
      else if (line === `branch refs/heads/${branch}` && path && resolve(path).startsWith(join(this.root, 'worktrees') + sep)) found.push(path)
    }
    return found
  }

  /** On the worktrees queue. Prunes git's records only when `worktree remove` could not, or the folder went without it. */
  private async removeWorktree(clone: string, path: string): Promise<void> {
    let prune = existsSync(join(clone, 'worktrees', basename(path)))
    if (existsSync(path)) {
      const removed = await this.git(['worktree', 'remove', '--force', '--force', path], clone).then(
        () => true,
        () => false
      )
      if (!removed || existsSync(path)) {
        await fs.rm(path, { recursive: true, force: true })
        prune = true
      } else prune = existsSync(join(clone, 'worktrees', basename(path)))
    }
    if (prune) await this.git(['worktree', 'prune'], clone).catch(() => undefined)
  }

  private async findTaskWorktree(repo: RepoRef, taskId: string): Promise<string | null> {
    if (!TASK_ID.test(taskId)) throw new WorkspaceError(`Invalid task id ${JSON.stringify(taskId)}`, 'invalid')
    const dir = this.worktreesOf(repo)
    const names = await fs.readdir(dir).catch(() => [] as string[])
    const name = names.find((n) => n.endsWith(`-${taskId}`) && /^\d+-/.test(n))
    return name ? join(dir, name) : null
  }

  /** The branch the task's worktree has checked out, from its own HEAD (null: no worktree, or detached). */
  async taskBranch(repo: RepoRef, taskId: string): Promise<string | null> {
    const path = await this.findTaskWorktree(repo, taskId)
    if (!path) return null
    const head = await this.git(['symbolic-ref', '--quiet', 'HEAD'], path).then(
      (r) => r.stdout.trim(),
      () => ''
    )
    return head.startsWith('refs/heads/') ? head.slice('refs/heads/'.length) : null
  }

  /**
   * Pushes the task worktree's branch with main's credentials (never the
   * agent's). Only a `baton/<issue>-…` branch that is not the default branch,
   * and only the one the task's worktree has checked out: what the clone's
   * other refs say does not matter (an agent can move them). The refspec
   * names both sides in full, so git never picks a ref by a short name.
   */
  async push(repo: RepoRef, taskId: string, branch: string): Promise<void> {
    if (!PUSHABLE.test(branch) || branch === repo.defaultBranch) {
      throw new WorkspaceError(`Refusing to push ${JSON.stringify(branch.slice(0, 200))} of ${repo.owner}/${repo.name}: Baton pushes only a task's own baton/<issue>-<slug> branch`, 'invalid')
    }
    await this.checkBranchName(branch)
    // Both queues (refs, then worktrees): the fetch after the push reads every worktree's HEAD (see `fresh`).
    await this.serial(repo, 'refs', () => this.serial(repo, 'worktrees', async () => {
      const clone = this.clonePath(repo)
      // Before the repository's first prepare there is no clone to run git in.
      if (!existsSync(join(clone, 'HEAD'))) throw new WorkspaceError(`Task ${taskId} has no local branch ${branch} to push: ${repo.owner}/${repo.name} has no clone yet`, 'missing-branch')
      const checkedOut = await this.taskBranch(repo, taskId)
      if (checkedOut !== branch) {
        throw new WorkspaceError(
          `Refusing to push ${branch} of ${repo.owner}/${repo.name}: task ${taskId}'s worktree has ${checkedOut ? `branch ${checkedOut}` : 'no branch'} checked out`,
          checkedOut ? 'invalid' : 'missing-branch'
        )
      }
      if (!(await this.hasRef(clone, `refs/heads/${branch}`))) {
        throw new WorkspaceError(`Task ${taskId} has no local branch ${branch} to push`, 'missing-branch')
      }
      const env = await this.remoteEnv(repo, clone)
      try {
        await this.git([...HARDENED, 'push', '--quiet', '--no-verify', this.o.cloneUrl(repo), `refs/heads/${branch}:refs/heads/${branch}`], clone, env)
      } catch (error) {
        throw new WorkspaceError(`Pushing ${branch} of ${repo.owner}/${repo.name} failed: ${(error as Error).message}`, 'git', { cause: error })
      }
      await this.git([...HARDENED, 'fetch', '--quiet', '--no-auto-gc', this.o.cloneUrl(repo), `+refs/heads/${branch}:refs/remotes/origin/${branch}`], clone, env).catch(() => undefined)
    }))
  }

  /**
   * Credentials for one command that talks to the remote, after putting the
   * clone's config back to what main wrote: agents work in worktrees of this
   * clone and could have added a remote URL rewrite, a proxy or a helper
   * there (hooks and fsmonitor are switched off on the command line, HARDENED).
   */
  private async remoteEnv(repo: RepoRef, clone: string): Promise<Record<string, string>> {
    // A rename, so git commands running meanwhile (checkouts) read one config or the other, never half of one.
    const temp = join(clone, `config.baton-${process.pid}.tmp`)
    await fs.writeFile(temp, cloneConfig(this.o.cloneUrl(repo)))
    await fs.rename(temp, join(clone, 'config'))
    await fs.rm(join(clone, 'config.worktree'), { force: true })
    return this.authEnv(repo)
  }

  /** Removes the task's worktree (its branch stays, for a later attempt or review loop). */
  async release(repo: RepoRef, taskId: string): Promise<void> {
    await this.serial(repo, 'worktrees', async () => {
      const path = await this.findTaskWorktree(repo, taskId)
      if (path) await this.removeWorktree(this.clonePath(repo), path)
    })
  }

  /** Removes every worktree of the issue and its local `baton/<issue>-*` branches, kept stale commits too (after merge or close). */
  async removeIssue(repo: RepoRef, issue: number): Promise<void> {
    // Both queues (refs, then worktrees; nothing takes them the other way round):
    // deleting a branch rewrites packed-refs, which a fetch --prune may too, and
    // a prepare's `worktree add -B` may be writing the same branch.
    await this.serial(repo, 'refs', () => this.serial(repo, 'worktrees', async () => {
      const clone = this.clonePath(repo)
      const dir = this.worktreesOf(repo)
      for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
        if (name.startsWith(`${issue}-`)) await this.removeWorktree(clone, join(dir, name))
      }
      if (!existsSync(clone)) return
      const { stdout } = await this.git(['for-each-ref', '--format=%(refname)', `refs/heads/baton/${issue}-*`, `refs/baton/stale/baton/${issue}-*`], clone)
      for (const ref of stdout.split('\n').filter(Boolean)) {
        await this.git(['update-ref', '-d', ref], clone).catch(() => undefined)
      }
    }))
  }

  /**
   * Deletes one of Baton's own branches (a parallel attempt that lost,
   * pipeline/attempts.ts): any worktree that has it checked out is removed
   * first, then the remote's branch (asked with ls-remote, deleted with an
   * explicit `:refs/heads/<branch>` refspec and main's credentials, hardened
   * like a push), then the clone's local and remote-tracking refs. Only a
   * `baton/<issue>-…` branch that is not the default branch; safe to repeat.
   */
  async deleteBranch(repo: RepoRef, branch: string): Promise<{ local: boolean; remote: boolean }> {
    if (!PUSHABLE.test(branch) || branch === repo.defaultBranch) {
      throw new WorkspaceError(`Refusing to delete ${JSON.stringify(branch.slice(0, 200))} of ${repo.owner}/${repo.name}: Baton deletes only its own baton/<issue>-<slug> branches`, 'invalid')
    }
    return this.serial(repo, 'refs', () =>
      this.serial(repo, 'worktrees', async () => {
        const clone = this.clonePath(repo)
        if (!existsSync(join(clone, 'HEAD'))) return { local: false, remote: false }
        for (const path of await this.worktreesOnBranch(clone, branch)) await this.removeWorktree(clone, path)
        const env = await this.remoteEnv(repo, clone)
        const url = this.o.cloneUrl(repo)
        const listed = await this.git([...HARDENED, 'ls-remote', '--heads', url, `refs/heads/${branch}`], clone, env)
        const remote = listed.stdout.split('\n').some((line) => line.endsWith(`\trefs/heads/${branch}`))
        if (remote) {
          try {
            await this.git([...HARDENED, 'push', '--quiet', '--no-verify', url, `:refs/heads/${branch}`], clone, env)
          } catch (error) {
            throw new WorkspaceError(`Deleting ${branch} of ${repo.owner}/${repo.name} on the remote failed: ${(error as Error).message}`, 'git', { cause: error })
          }
        }
        const present = await this.refsPresent(clone, [`refs/heads/${branch}`, `refs/remotes/origin/${branch}`])
        for (const ref of present) await this.git(['update-ref', '-d', ref], clone)
        return { local: present.has(`refs/heads/${branch}`), remote }
      })
    )
  }

  /**
   * A pushed branch against the default branch, from their merge base (the
   * person's side-by-side view of parallel attempts): the stat and the patch,
   * the patch cut at `maxBytes`. Read from the clone as last fetched, with no
   * external diff or textconv (an agent can write the clone's config).
   */
  async branchDiff(repo: RepoRef, branch: string, maxBytes = 200_000): Promise<{ stat: string; patch: string; truncated: boolean } | null> {
    if (!PUSHABLE.test(branch) || branch === repo.defaultBranch) throw new WorkspaceError(`Not a Baton branch: ${JSON.stringify(branch.slice(0, 200))}`, 'invalid')
    const clone = this.clonePath(repo)
    if (!existsSync(join(clone, 'HEAD')) || !(await this.hasRef(clone, `refs/remotes/origin/${branch}`))) return null
    const range = `refs/remotes/origin/${repo.defaultBranch}...refs/remotes/origin/${branch}`
    const flags = [...HARDENED, '-c', 'diff.external=', 'diff', '--no-color', '--no-ext-diff', '--no-textconv']
    const stat = (await this.git([...flags, '--stat=100', range], clone)).stdout
    const patch = (await this.git([...flags, range], clone)).stdout
    const truncated = Buffer.byteLength(patch) > maxBytes
    return { stat, patch: truncated ? Buffer.from(patch).subarray(0, maxBytes).toString('utf8') : patch, truncated }
  }

  /**
   * At start: removes every worktree whose task is not kept — not in
   * `activeTasks`, or for which `activeTasks` answers false, asked as each one
   * is reached, so a task started meanwhile keeps its new worktree (a crash or
   * a kill left the others behind) — and prunes git's records of them.
   * Returns the removed paths.
   */
  async removeOrphans(activeTasks: Iterable<string> | ((taskId: string) => boolean)): Promise<string[]> {
    const listed = typeof activeTasks === 'function' ? null : new Set(activeTasks)
    const kept = (task: string) => (listed ? listed.has(task) : (activeTasks as (taskId: string) => boolean)(task))
    const removed: string[] = []
    const base = join(this.root, 'worktrees')
    for (const repoDir of await fs.readdir(base).catch(() => [] as string[])) {
      for (const name of await fs.readdir(join(base, repoDir)).catch(() => [] as string[])) {
        const task = /^\d+-(.+)$/.exec(name)?.[1]
        if (task && kept(task)) continue
        const path = join(base, repoDir, name)
        await fs.rm(path, { recursive: true, force: true })
        removed.push(path)
      }
    }
    const clones = join(this.root, 'clones')
    for (const owner of await fs.readdir(clones).catch(() => [] as string[])) {
      for (const name of await fs.readdir(join(clones, owner)).catch(() => [] as string[])) {
        await runGit(['worktree', 'prune'], { cwd: join(clones, owner, name), gitPath: this.o.gitPath }).catch((e: unknown) => {
          if (!(e instanceof GitError)) throw e
        })
      }
    }
    return removed
  }
}
