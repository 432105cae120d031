// Git workspaces (DESIGN.md §6): one clone per repository and one worktree per
// task, so the Engineer and the Tester never share a checkout.
//
//   <root>/clones/<owner>/<name>.git              bare clone, remote `origin`
//   <root>/worktrees/<owner>-<name>/<issue>-<task>  one task's checkout
//
// Only main runs the authenticated commands here (clone, fetch, push); the
// agents work in the worktrees with no credential. Git operations on one clone
// run one at a time: concurrent `worktree add` and `fetch` fight over locks.
import { existsSync, promises as fs } from 'node:fs'
import { join, resolve, sep } from 'node:path'
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
const TASK_ID = /^[A-Za-z0-9_-]{1,80}$/

function segment(value: string, what: string): string {
  if (!SAFE_SEGMENT.test(value) || value === '.' || value === '..') throw new WorkspaceError(`Invalid ${what} ${JSON.stringify(value)}`, 'invalid')
  return value
}

export class Workspaces implements WorkspacePort {
  readonly root: string
  private readonly locks = new Map<string, Promise<unknown>>()

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

  /** Runs `work` after every earlier operation on the same clone. */
  private serial<T>(repo: RepoRef, work: () => Promise<T>): Promise<T> {
    const key = this.clonePath(repo)
    const run = (this.locks.get(key) ?? Promise.resolve()).then(work, work)
    this.locks.set(
      key,
      run.catch(() => undefined)
    )
    return run
  }

  private git(args: string[], cwd: string, env?: Record<string, string>) {
    return runGit(args, { cwd, env, gitPath: this.o.gitPath })
  }

  private async authEnv(repo: RepoRef): Promise<Record<string, string>> {
    return credentialEnv(await this.o.token?.(repo), this.o.cloneUrl(repo))
  }

  /** Bytes used by all clones and worktrees. */
  diskUsage(): Promise<number> {
    return folderSize(this.root)
  }

  private async checkBudget(): Promise<void> {
    const budget = this.o.diskBudgetBytes ?? 20 * 1024 ** 3
    const used = await this.diskUsage()
    if (used > budget) {
      throw new WorkspaceError(
        `The workspaces in ${this.root} use ${formatBytes(used)}, over their disk budget of ${formatBytes(budget)}. ` +
          'Finished worktrees are removed after merge or close; raise the budget in settings or free space to continue.',
        'budget'
      )
    }
  }

  /** The repository's clone, fetched now (created on first use). */
  ensureClone(repo: RepoRef): Promise<string> {
    return this.serial(repo, () => this.fetchClone(repo))
  }

  private async fetchClone(repo: RepoRef): Promise<string> {
    const clone = this.clonePath(repo)
    const env = await this.authEnv(repo)
    if (!existsSync(join(clone, 'HEAD'))) {
      await fs.mkdir(join(clone, '..'), { recursive: true })
      await fs.rm(clone, { recursive: true, force: true })
      await this.git(['clone', '--bare', '--quiet', this.o.cloneUrl(repo), clone], join(clone, '..'), env)
      // A bare clone maps the remote's branches onto its own; keep them as
      // remote-tracking refs instead, so local task branches never collide.
      await this.git(['config', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*'], clone)
    }
    await this.git(['fetch', '--prune', '--quiet', 'origin'], clone, env)
    return clone
  }

  private async hasRef(clone: string, ref: string): Promise<boolean> {
    const r = await runGit(['show-ref', '--verify', '--quiet', ref], { cwd: clone, okCodes: [0, 1], gitPath: this.o.gitPath })
    return r.code === 0
  }

  private async checkBranchName(clone: string, branch: string): Promise<void> {
    try {
      await this.git(['check-ref-format', '--branch', branch], clone)
    } catch (error) {
      throw new WorkspaceError(`Invalid branch name ${JSON.stringify(branch)}`, 'invalid', { cause: error })
    }
  }

  /**
   * A worktree of its own for one task: `write` checks out the task's branch
   * (from the pushed branch after a review loop, else the local one, else the
   * default branch); `test` the pushed branch, detached; `read` the default
   * branch, detached. A worktree left by an earlier attempt of the task is
   * replaced.
   */
  async prepare(repo: RepoRef, task: WorkspaceTask): Promise<string> {
    const path = this.worktreePath(repo, task)
    await this.checkBudget()
    return this.serial(repo, async () => {
      const clone = await this.fetchClone(repo)
      await this.removeWorktree(clone, path)
      await fs.mkdir(this.worktreesOf(repo), { recursive: true })
      const defaultRef = `refs/remotes/origin/${repo.defaultBranch}`
      if (task.mode === 'read') {
        await this.git(['worktree', 'add', '--detach', '--quiet', path, defaultRef], clone)
        return path
      }
      await this.checkBranchName(clone, task.branch)
      const remote = `refs/remotes/origin/${task.branch}`
      if (task.mode === 'test') {
        if (!(await this.hasRef(clone, remote))) {
          throw new WorkspaceError(`Branch ${task.branch} has not been pushed to ${repo.owner}/${repo.name}: nothing to test`, 'missing-branch')
        }
        await this.git(['worktree', 'add', '--detach', '--quiet', path, remote], clone)
        return path
      }
      // A branch can be checked out in one worktree only: free it from any
      // earlier task's worktree first (that task is over or being replaced).
      for (const other of await this.worktreesOnBranch(clone, task.branch)) await this.removeWorktree(clone, other)
      const start = (await this.hasRef(clone, remote))
        ? remote
        : (await this.hasRef(clone, `refs/heads/${task.branch}`))
          ? `refs/heads/${task.branch}`
          : defaultRef
      await this.git(['worktree', 'add', '--quiet', '-B', task.branch, path, start], clone)
      return path
    })
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

  private async removeWorktree(clone: string, path: string): Promise<void> {
    if (existsSync(path)) {
      await this.git(['worktree', 'remove', '--force', '--force', path], clone).catch(() => undefined)
      await fs.rm(path, { recursive: true, force: true })
    }
    await this.git(['worktree', 'prune'], clone).catch(() => undefined)
  }

  private async findTaskWorktree(repo: RepoRef, taskId: string): Promise<string | null> {
    if (!TASK_ID.test(taskId)) throw new WorkspaceError(`Invalid task id ${JSON.stringify(taskId)}`, 'invalid')
    const dir = this.worktreesOf(repo)
    const names = await fs.readdir(dir).catch(() => [] as string[])
    const name = names.find((n) => n.endsWith(`-${taskId}`) && /^\d+-/.test(n))
    return name ? join(dir, name) : null
  }

  /** Pushes the task worktree's branch with main's credentials (never the agent's). */
  async push(repo: RepoRef, taskId: string, branch: string): Promise<void> {
    await this.serial(repo, async () => {
      const clone = this.clonePath(repo)
      // Before the repository's first prepare there is no clone to run git in.
      if (!existsSync(join(clone, 'HEAD'))) throw new WorkspaceError(`Task ${taskId} has no local branch ${branch} to push: ${repo.owner}/${repo.name} has no clone yet`, 'missing-branch')
      await this.checkBranchName(clone, branch)
      if (!(await this.hasRef(clone, `refs/heads/${branch}`))) {
        throw new WorkspaceError(`Task ${taskId} has no local branch ${branch} to push`, 'missing-branch')
      }
      try {
        await this.git(['push', '--quiet', 'origin', `refs/heads/${branch}:refs/heads/${branch}`], clone, await this.authEnv(repo))
      } catch (error) {
        throw new WorkspaceError(`Pushing ${branch} of ${repo.owner}/${repo.name} failed: ${(error as Error).message}`, 'git', { cause: error })
      }
      await this.git(['fetch', '--quiet', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`], clone, await this.authEnv(repo)).catch(() => undefined)
    })
  }

  /** Removes the task's worktree (its branch stays, for a later attempt or review loop). */
  async release(repo: RepoRef, taskId: string): Promise<void> {
    await this.serial(repo, async () => {
      const path = await this.findTaskWorktree(repo, taskId)
      if (path) await this.removeWorktree(this.clonePath(repo), path)
    })
  }

  /** Removes every worktree of the issue and its local `baton/<issue>-*` branches (after merge or close). */
  async removeIssue(repo: RepoRef, issue: number): Promise<void> {
    await this.serial(repo, async () => {
      const clone = this.clonePath(repo)
      const dir = this.worktreesOf(repo)
      for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
        if (name.startsWith(`${issue}-`)) await this.removeWorktree(clone, join(dir, name))
      }
      if (!existsSync(clone)) return
      const { stdout } = await this.git(['for-each-ref', '--format=%(refname)', `refs/heads/baton/${issue}-*`], clone)
      for (const ref of stdout.split('\n').filter(Boolean)) {
        await this.git(['update-ref', '-d', ref], clone).catch(() => undefined)
      }
    })
  }

  /**
   * At start: removes every worktree whose task is not in `activeTasks`
   * (a crash or a kill left it behind), and prunes git's records of them.
   * Returns the removed paths.
   */
  async removeOrphans(activeTasks: Iterable<string>): Promise<string[]> {
    const keep = new Set(activeTasks)
    const removed: string[] = []
    const base = join(this.root, 'worktrees')
    for (const repoDir of await fs.readdir(base).catch(() => [] as string[])) {
      for (const name of await fs.readdir(join(base, repoDir)).catch(() => [] as string[])) {
        const task = /^\d+-(.+)$/.exec(name)?.[1]
        if (task && keep.has(task)) continue
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
