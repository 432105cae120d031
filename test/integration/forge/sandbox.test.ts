// The sandbox's content is real: the sample project's tests pass, the patch in
// issue #1 applies and keeps them passing, the patch in issue #2 applies and
// makes them fail, and #5's patch applies once #1's is in.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_OWNER, SANDBOX_REPO, SANDBOX_TOKENS, sandboxSeed } from '../../../src/forge/sandbox'
import { parseSeed } from '../../../src/forge'
import { startForge } from './helpers'
import type { TestForge } from './helpers'

let t: TestForge
let dir: string
const o = { owner: SANDBOX_OWNER, repo: SANDBOX_REPO }
const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', NODE_OPTIONS: '' }

function run(cwd: string, cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd, env, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout + stderr })
    )
    if (input !== undefined) child.stdin!.end(input)
  })
}

function patchOf(body: string | null | undefined): string {
  const m = /```diff\n([\s\S]*?)```/.exec(body ?? '')
  if (!m) throw new Error('No ```diff block in the issue body')
  return m[1]!
}

async function freshClone(name: string): Promise<string> {
  const r = await run(dir, 'git', ['clone', '-q', t.forge.gitUrl(SANDBOX_OWNER, SANDBOX_REPO), name])
  expect(r.code, r.out).toBe(0)
  return join(dir, name)
}

beforeAll(async () => {
  t = await startForge(sandboxSeed())
  dir = mkdtempSync(join(tmpdir(), 'forge-sandbox-'))
})
afterAll(async () => {
  await t.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('sandbox seed', () => {
  it('is a valid seed', () => {
    expect(() => parseSeed(sandboxSeed())).not.toThrow()
  })

  it('holds the five issues, opened by people, without labels, with the right associations', async () => {
    const ok = t.octokit(SANDBOX_TOKENS.maintainer)
    const issues = (await ok.rest.issues.listForRepo({ ...o, direction: 'asc' })).data
    expect(issues.map((i) => [i.number, i.user?.login, i.author_association, i.labels.length])).toEqual([
      [1, 'maintainer', 'MEMBER', 0],
      [2, 'alice', 'COLLABORATOR', 0],
      [3, 'alice', 'COLLABORATOR', 0],
      [4, 'outsider', 'NONE', 0],
      [5, 'maintainer', 'MEMBER', 0]
    ])
    expect(issues[2]!.body!.split('\n')).toHaveLength(1)
    expect(issues[4]!.body).toMatch(/^Blocked by #1$/m)
    const repo = await ok.rest.repos.get(o)
    expect(repo.data.permissions?.admin).toBe(true)
    const perms = await Promise.all(['maintainer', 'alice', 'outsider'].map((username) => ok.rest.repos.getCollaboratorPermissionLevel({ ...o, username })))
    expect(perms.map((p) => p.data.role_name)).toEqual(['admin', 'write', 'read'])
    expect((await t.octokit(SANDBOX_TOKENS.outsider).rest.repos.get(o)).data.permissions?.push).toBe(false)
  })

  it("runs the project's tests green at the initial commit", async () => {
    const work = await freshClone('initial')
    const r = await run(work, 'npm', ['test', '--silent'])
    expect(r.code, r.out).toBe(0)
    expect(r.out).toMatch(/# fail 0/)
  })

  it("applies issue #1's patch with git apply and the tests still pass; #5's applies after it", async () => {
    const ok = t.octokit(SANDBOX_TOKENS.maintainer)
    const work = await freshClone('feature')
    const one = await run(work, 'git', ['apply', '--index', '-'], patchOf((await ok.rest.issues.get({ ...o, issue_number: 1 })).data.body))
    expect(one.code, one.out).toBe(0)
    let tests = await run(work, 'npm', ['test', '--silent'])
    expect(tests.code, tests.out).toBe(0)
    expect(tests.out).toMatch(/# pass 8/)
    const five = await run(work, 'git', ['apply', '--index', '-'], patchOf((await ok.rest.issues.get({ ...o, issue_number: 5 })).data.body))
    expect(five.code, five.out).toBe(0)
    tests = await run(work, 'npm', ['test', '--silent'])
    expect(tests.code, tests.out).toBe(0)
    expect(tests.out).toMatch(/# pass 9/)
  })

  it("applies issue #2's patch, which makes the tests fail", async () => {
    const ok = t.octokit(SANDBOX_TOKENS.maintainer)
    const work = await freshClone('bug')
    const check = await run(work, 'git', ['apply', '--check', '-'], patchOf((await ok.rest.issues.get({ ...o, issue_number: 2 })).data.body))
    expect(check.code, check.out).toBe(0)
    await run(work, 'git', ['apply', '-'], patchOf((await ok.rest.issues.get({ ...o, issue_number: 2 })).data.body))
    const tests = await run(work, 'npm', ['test', '--silent'])
    expect(tests.code).not.toBe(0)
    expect(tests.out).toMatch(/# fail 1/)
    // ... and #5's patch does not apply before #1's: it really is blocked.
    const early = await run(await freshClone('blocked'), 'git', ['apply', '--check', '-'], patchOf((await ok.rest.issues.get({ ...o, issue_number: 5 })).data.body))
    expect(early.code).not.toBe(0)
  })
})
