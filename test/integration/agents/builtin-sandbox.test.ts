// The builtin provider on the forge's own sandbox project and its seeded
// issues (src/forge/sandbox): real git through the real Workspaces (a local
// bare repository as the remote), the real `builtin` dispatcher, and the
// project's real `npm test`. The path a person sees in the sandbox: a good
// patch goes to review, a patch that breaks a test comes back with the output
// tail, the Engineer then asks instead of re-sending the same patch, and a
// corrected patch passes. Timeouts are the integration project's (60 s): alone the
// file takes about 7 s, but a loaded 2-core machine can stretch it several times.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { builtin } from '../../../src/main/agents/providers/builtin'
import type { RepoRef } from '../../../src/main/pipeline/ports'
import { Workspaces } from '../../../src/main/workspace/workspaces'
import { sandboxSeed } from '../../../src/forge/sandbox'
import { calcFiles } from '../../../src/forge/sandbox/project'
import type { Trigger } from '../../../src/shared/protocol/trigger'
import { context, parse, trigger } from '../../unit/agents/builtin-helpers'

const env = { ...process.env, GIT_AUTHOR_NAME: 'Seed', GIT_AUTHOR_EMAIL: 'seed@x', GIT_COMMITTER_NAME: 'Seed', GIT_COMMITTER_EMAIL: 'seed@x' }
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim()

const repo: RepoRef = { id: 1, owner: 'baton-sandbox', name: 'calc', defaultBranch: 'main' }
const seeded = sandboxSeed().repositories?.[0]?.issues ?? []
/** Seeded issue n (1-based, as the forge numbers them) as a trigger's issue. */
const issue = (n: number, over: Partial<Trigger['issue']> = {}): Trigger['issue'] => {
  const s = seeded[n - 1]!
  return { number: n, title: s.title, body: s.body ?? '', labels: [], author: s.author, comments: [], ...over }
}

let remote: string
let ws: Workspaces

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-sandbox-'))
  const seed = join(dir, 'seed')
  remote = join(dir, 'calc.git')
  execFileSync('git', ['init', '--quiet', '-b', 'main', seed])
  for (const [path, content] of Object.entries(calcFiles)) {
    mkdirSync(dirname(join(seed, path)), { recursive: true })
    writeFileSync(join(seed, path), content)
  }
  git(seed, 'add', '.')
  git(seed, 'commit', '--quiet', '-m', 'calc')
  execFileSync('git', ['clone', '--bare', '--quiet', seed, remote])
  ws = new Workspaces({ root: join(dir, 'workspaces'), cloneUrl: () => `file://${remote}` })
})

/** Runs the builtin provider on a trigger, in its worktree. */
async function run(t: Trigger) {
  const ctx = context(t)
  const parsed = parse(await builtin(ctx))
  expect(parsed.task).toBe(t.task)
  expect(parsed.problems).toEqual([])
  return parsed
}

async function engineerRound(n: number, branch: string, task: string, over: Partial<Trigger> & { issue?: Trigger['issue'] } = {}) {
  const workspace = await ws.prepare(repo, { id: task, issue: n, branch, mode: 'write' })
  const answer = await run(trigger({ task, stage: 'in-progress', role: 'engineer', agent: 'engineer-2', workspace, branch, ...over, issue: over.issue ?? issue(n) }))
  return { workspace, answer }
}

async function testerRound(n: number, branch: string, task: string) {
  const workspace = await ws.prepare(repo, { id: task, issue: n, branch, mode: 'test' })
  const answer = await run(trigger({ task, stage: 'needs-testing', role: 'tester', agent: 'tester', workspace, branch, issue: issue(n) }))
  await ws.release(repo, task)
  return answer
}

describe('builtin roles on the sandbox project', () => {
  it('issue #1 (a good patch): plan names the files, the engineer commits on its branch, the tests pass after the push', async () => {
    const plan = await ws.prepare(repo, { id: 't_arch1', issue: 1, branch: 'baton/1-add-a-power-function', mode: 'read' })
    const architect = await run(trigger({ task: 't_arch1', stage: 'needs-architecture', role: 'architect', agent: 'architect', workspace: plan, issue: issue(1) }))
    expect(architect).toMatchObject({ status: 'done', labelUpdate: { from: 'needs-architecture', to: 'ready-for-dev' } })
    const affected = architect.body.split('## Approach')[0] as string
    expect(affected).toContain('`src/calc.js` — changed by the patch')
    expect(affected).toContain('`src/index.js`')
    expect(architect.body).toMatch(/## Test plan\n- Run `npm test`/)
    await ws.release(repo, 't_arch1')

    const branch = 'baton/1-add-a-power-function'
    const { workspace, answer } = await engineerRound(1, branch, 't_eng1')
    expect(answer).toMatchObject({ status: 'done', branch, labelUpdate: { from: 'in-progress', to: 'needs-testing' } })
    expect(git(workspace, 'log', '-1', '--format=%an|%s')).toBe('Baton Engineer|Add a power function (#1)')
    expect(git(workspace, 'status', '--porcelain')).toBe('')
    expect(readFileSync(join(workspace, 'src/calc.js'), 'utf8')).toContain('export function power(base, exponent)')
    // Main pushes (the engine's push effect); the Tester gets its own checkout of what was pushed.
    await ws.push(repo, 't_eng1', branch)
    expect(git(remote, 'rev-parse', `refs/heads/${branch}`)).toBe(git(workspace, 'rev-parse', 'HEAD'))
    await ws.release(repo, 't_eng1')

    const tested = await testerRound(1, branch, 't_test1')
    expect(tested).toMatchObject({ status: 'done', labelUpdate: { from: 'needs-testing', to: 'needs-review' } })
    expect(tested.statusText).toMatch(/^Tests pass: npm test/)
    expect(tested.body).toMatch(/# pass \d+/)
  })

  it('issue #2 (a patch that breaks a test): fail with the tail, then REQUEST rather than resend it, then a corrected patch passes', async () => {
    const branch = 'baton/2-capitalize-throws'
    const first = await engineerRound(2, branch, 't_eng2a')
    expect(first.answer).toMatchObject({ status: 'done', branch, labelUpdate: { to: 'needs-testing' } })
    await ws.push(repo, 't_eng2a', branch)
    await ws.release(repo, 't_eng2a')

    const failed = await testerRound(2, branch, 't_test2a')
    expect(failed).toMatchObject({ status: 'done', labelUpdate: { from: 'needs-testing', to: 'ready-for-dev' } })
    expect(failed.statusText).toMatch(/^Tests fail: npm test exited with code 1/)
    // The tail of the failing output names the failing test and the values.
    expect(failed.body).toContain('capitalize')
    expect(failed.body).toMatch(/McDonald|Mcdonald/)
    expect(failed.body).toMatch(/# fail [1-9]/)

    // Back at in-progress (the engine's review loop): the branch as pushed, the
    // Tester's report in the notes, and only the same patch in the issue.
    const notes = [{ role: 'tester', kind: 'test-report', body: failed.body }]
    const again = await engineerRound(2, branch, 't_eng2b', { notes })
    expect(again.answer).toMatchObject({ status: 'request', statusText: expect.stringMatching(/tests failed/) })
    expect(git(again.workspace, 'log', '-1', '--format=%an')).toBe('Baton Engineer') // nothing new committed
    await ws.release(repo, 't_eng2b')

    // A person posts the corrected file; the Engineer commits it and the tests pass.
    const fixed = (calcFiles['src/strings.js'] as string).replace('text[0].toUpperCase() + text.slice(1)', "text === '' ? '' : text[0].toUpperCase() + text.slice(1)")
    const comment = { author: 'alice', association: 'OWNER', trusted: true, body: `Corrected:\n\n\`\`\`src/strings.js\n${fixed}\`\`\`` }
    const third = await engineerRound(2, branch, 't_eng2c', { notes, issue: issue(2, { comments: [comment] }) })
    expect(third.answer).toMatchObject({ status: 'done', branch, statusText: expect.stringContaining('comment 1 by @alice') })
    await ws.push(repo, 't_eng2c', branch)
    await ws.release(repo, 't_eng2c')
    expect(await testerRound(2, branch, 't_test2b')).toMatchObject({ status: 'done', labelUpdate: { to: 'needs-review' } })
    // Two commits on the branch by the Engineer: the first patch and the correction.
    expect(git(remote, 'log', '--format=%an', `main..${branch}`).split('\n')).toEqual(['Baton Engineer', 'Baton Engineer'])
  })

  it('issue #5 (blocked by #1): its patch does not apply to main → REQUEST; once #1 is merged it applies and passes', async () => {
    const branch = 'baton/5-add-a-cube-function'
    const blocked = await engineerRound(5, branch, 't_eng5a')
    expect(blocked.answer).toMatchObject({ status: 'request', statusText: expect.stringContaining('does not apply') })
    await ws.release(repo, 't_eng5a')

    // #1 is merged (fast-forward of main on the remote, as the forge's merge would).
    git(remote, 'update-ref', 'refs/heads/main', 'refs/heads/baton/1-add-a-power-function')
    await ws.removeIssue(repo, 5)
    const unblocked = await engineerRound(5, branch, 't_eng5b')
    expect(unblocked.answer).toMatchObject({ status: 'done', labelUpdate: { to: 'needs-testing' } })
    await ws.push(repo, 't_eng5b', branch)
    await ws.release(repo, 't_eng5b')
    expect(await testerRound(5, branch, 't_test5')).toMatchObject({ status: 'done', labelUpdate: { to: 'needs-review' } })
  })
})
