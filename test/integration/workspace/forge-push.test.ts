// Workspaces against the local forge over smart HTTP on 127.0.0.1: main's token
// travels only in the http.extraHeader given through the environment, and it
// is enough to clone a private repository and push a task's branch.
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RepoRef } from '../../../src/main/pipeline/ports'
import { Workspaces } from '../../../src/main/workspace/workspaces'
import { TOKENS, startForge, type TestForge } from '../forge/helpers'

let t: TestForge
beforeAll(async () => {
  t = await startForge()
})
afterAll(async () => {
  await t?.close()
})

// Local git only (sync is fine): anything that talks to the forge must be async.
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'B', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'B', GIT_COMMITTER_EMAIL: 'b@x' } }).trim()

describe('Workspaces over the forge', () => {
  it('clones with the token in a header, pushes the task branch, and keeps the token out of the clone', async () => {
    const repo: RepoRef = { id: 1, owner: 'owner', name: 'app', defaultBranch: 'main' }
    const root = mkdtempSync(join(tmpdir(), 'baton-ws-forge-'))
    const ws = new Workspaces({ root, cloneUrl: (r) => t.forge.gitUrl(r.owner, r.name), token: () => TOKENS.alice })
    const dir = await ws.prepare(repo, { id: 't_f1', issue: 1, branch: 'baton/1-first-issue', mode: 'write' })
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('# app\n')
    writeFileSync(join(dir, 'fix.txt'), 'fixed\n')
    git(dir, 'add', '.')
    git(dir, 'commit', '-q', '-m', 'fix')
    await ws.push(repo, 't_f1', 'baton/1-first-issue')
    // Asynchronously: the forge answers from this very process.
    const { stdout: remote } = await promisify(execFile)('git', ['ls-remote', t.forge.gitUrl('owner', 'app'), 'refs/heads/baton/1-first-issue'], { timeout: 20_000 })
    expect(remote.split('\t')[0]).toBe(git(dir, 'rev-parse', 'HEAD'))
    // The agent's worktree and the clone hold no credential.
    const config = readFileSync(join(ws.clonePath(repo), 'config'), 'utf8')
    expect(config).not.toContain(TOKENS.alice)
    expect(config).not.toMatch(/extraheader|Authorization/i)
  })

  it('a private repository needs the token; without one the clone fails at once (no prompt)', async () => {
    const repo: RepoRef = { id: 2, owner: 'owner', name: 'secret', defaultBranch: 'main' }
    const anon = new Workspaces({ root: mkdtempSync(join(tmpdir(), 'baton-ws-forge-')), cloneUrl: (r) => t.forge.gitUrl(r.owner, r.name) })
    await expect(anon.prepare(repo, { id: 't_s1', issue: 1, branch: 'baton/1-a', mode: 'read' })).rejects.toThrow(/git (-c \S+ )*clone/)
    const withToken = new Workspaces({ root: mkdtempSync(join(tmpdir(), 'baton-ws-forge-')), cloneUrl: (r) => t.forge.gitUrl(r.owner, r.name), token: () => TOKENS.reader })
    const dir = await withToken.prepare(repo, { id: 't_s2', issue: 1, branch: 'baton/1-a', mode: 'read' })
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a\n')
  })
})
