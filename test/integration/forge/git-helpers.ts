// git for tests that talk to a forge answering in the same process: always
// asynchronous (a synchronous git would wait on a server it is blocking), with
// a fixed identity and no user or system configuration.
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Octokit } from '@octokit/rest'

export const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }

export function git(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.test', ...args], { cwd, env: gitEnv, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }))
      else resolve(stdout)
    })
  })
}

/** Commits one new file on `branch` from the latest origin/main of the clone in `work`, pushes it, and opens a PR as `as`. */
export async function openPull(work: string, as: Octokit, repo: { owner: string; repo: string }, branch: string): Promise<{ number: number; sha: string }> {
  await git(work, 'fetch', '-q', 'origin')
  await git(work, 'checkout', '-q', '-B', branch, 'origin/main')
  writeFileSync(join(work, `${branch}.txt`), `${branch}\n`)
  await git(work, 'add', '-A')
  await git(work, 'commit', '-q', '-m', `Add ${branch}`)
  await git(work, 'push', '-q', 'origin', `${branch}:${branch}`)
  const sha = (await git(work, 'rev-parse', 'HEAD')).trim()
  const pr = await as.rest.pulls.create({ ...repo, title: `Add ${branch}`, head: branch, base: 'main' })
  return { number: pr.data.number, sha }
}
