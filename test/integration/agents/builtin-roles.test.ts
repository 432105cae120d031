// The six roles as shipped in agents/, loaded by the role loader, run by real
// runner processes under the supervisor with the builtin provider, against a
// real repository: one issue goes PM → Architect → Engineer (claim, commit,
// push through main's workspace) → Tester → Marketing, plus Community.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toAgentResult } from '../../../src/main/agents/results'
import { loadRoles } from '../../../src/main/agents/roles'
import { Supervisor, type AgentResponse } from '../../../src/main/agents/supervisor'
import type { RepoRef } from '../../../src/main/pipeline/ports'
import { Workspaces } from '../../../src/main/workspace/workspaces'
import type { Trigger } from '../../../src/shared/protocol/trigger'
import { calcProject } from '../../unit/agents/builtin-helpers'

const runner = { execPath: process.execPath, args: ['--import', 'tsx', 'agents/runner.ts'] }
const repo: RepoRef = { id: 1, owner: 'acme', name: 'calc', defaultBranch: 'main' }
const branch = 'baton/5-divide-by-zero-returns-infinity'
const fix = [
  '```diff',
  '--- a/src/calc.js',
  '+++ b/src/calc.js',
  '@@ -5,3 +5,4 @@ export function add(a, b) {',
  ' export function divide(a, b) {',
  "+  if (b === 0) throw new RangeError('division by zero')",
  '   return a / b',
  ' }',
  '```'
].join('\n')
const issue = {
  number: 5,
  title: 'divide by zero returns Infinity',
  body: `Calling \`divide(1, 0)\` returns Infinity; it should throw a RangeError.\n\nSteps to reproduce:\n1. divide(1, 0)\n\nA fix:\n\n${fix}\n`,
  labels: ['backlog'],
  author: 'ann',
  comments: []
}

let supervisor: Supervisor
let workspaces: Workspaces
let remote: string
let seq = 0

function trigger(agent: string, stage: string, over: Partial<Trigger> = {}): Trigger {
  return {
    v: 1,
    task: `t_e2e${++seq}`,
    attempt: 1,
    agent,
    role: agent.replace(/-\d+$/, ''),
    stage,
    repo: { owner: repo.owner, name: repo.name, defaultBranch: repo.defaultBranch },
    issue: { ...issue, labels: [stage] },
    workspace: null,
    branch,
    instructions: '',
    handoffs: [],
    notes: [],
    deadline: new Date(Date.now() + 60_000).toISOString(),
    ...over
  }
}

function run(t: Trigger): Promise<AgentResponse> {
  return new Promise((resolve) => {
    const on = (r: AgentResponse) => {
      if (r.task !== t.task) return
      supervisor.off('response', on)
      resolve(r)
    }
    supervisor.on('response', on)
    supervisor.dispatch(t)
  })
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-e2e-'))
  const seed = join(dir, 'seed')
  remote = join(dir, 'remote.git')
  execFileSync('git', ['init', '--quiet', '-b', 'main', seed])
  for (const [path, content] of Object.entries(calcProject())) {
    mkdirSync(dirname(join(seed, path)), { recursive: true })
    writeFileSync(join(seed, path), content)
  }
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' }
  execFileSync('git', ['add', '.'], { cwd: seed, env })
  execFileSync('git', ['commit', '--quiet', '-m', 'calc'], { cwd: seed, env })
  execFileSync('git', ['clone', '--bare', '--quiet', seed, remote])
  workspaces = new Workspaces({ root: join(dir, 'workspaces'), cloneUrl: () => `file://${remote}` })

  const { roles, refused } = loadRoles('agents')
  expect(refused).toEqual([])
  // One process per role keeps two cores calm.
  const specs = roles.map((r) => ({ ...r, settings: { ...r.settings, instances: 1 } }))
  supervisor = new Supervisor({ ipcDir: join(dir, 'ipc'), roles: specs, runner, heartbeatMs: 500, watchdogMs: 200, stallMs: 30_000 })
  supervisor.start()
  const until = Date.now() + 30_000
  while ([...supervisor.idle().values()].flat().length < 6) {
    if (Date.now() > until) throw new Error(`agents not idle: ${JSON.stringify(supervisor.list())}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}, 60_000)

afterAll(async () => {
  await supervisor?.stop()
})

describe('builtin roles through real runners', () => {
  it('carry an issue from backlog to needs-review, then draft its release note', async () => {
    const pm = await run(trigger('pm', 'backlog'))
    expect(pm.parsed).toMatchObject({ status: 'done', labels: ['bug', 'priority:normal'], labelUpdate: { from: 'backlog', to: 'needs-architecture' } })
    const result = toAgentResult(pm, { provider: 'builtin' })
    expect(result.answer).toMatchObject({ status: 'done', move: { from: 'backlog', to: 'needs-architecture' }, labels: ['bug', 'priority:normal'] })
    expect(result.raw).toBe(pm.raw)

    const read = await workspaces.prepare(repo, { id: 't_arch', issue: 5, branch, mode: 'read' })
    const architect = await run(trigger('architect', 'needs-architecture', { workspace: read }))
    expect(architect.parsed.labelUpdate).toEqual({ from: 'needs-architecture', to: 'ready-for-dev' })
    expect(architect.parsed.body).toMatch(/## Affected files\n- `src\/calc\.js`/)
    expect(architect.parsed.body).toContain('## Test plan')

    const claim = await run(trigger('engineer', 'ready-for-dev'))
    expect(claim.parsed.labelUpdate).toEqual({ from: 'ready-for-dev', to: 'in-progress' })

    const write = await workspaces.prepare(repo, { id: 't_eng', issue: 5, branch, mode: 'write' })
    const engineer = await run(trigger('engineer', 'in-progress', { workspace: write }))
    expect(engineer.parsed).toMatchObject({ status: 'done', branch, labelUpdate: { from: 'in-progress', to: 'needs-testing' } })
    await workspaces.push(repo, 't_eng', branch)
    expect(execFileSync('git', ['log', '-1', '--format=%an', branch], { cwd: remote, encoding: 'utf8' }).trim()).toBe('Baton Engineer')

    const test = await workspaces.prepare(repo, { id: 't_test', issue: 5, branch, mode: 'test' })
    const tester = await run(trigger('tester', 'needs-testing', { workspace: test }))
    expect(tester.parsed).toMatchObject({ status: 'done', labelUpdate: { from: 'needs-testing', to: 'needs-review' } })
    expect(tester.parsed.statusText).toMatch(/^Tests pass: npm test/)

    // Marketing composes from the issue and its PR, never from comment bodies
    // (a pasted comment once put "## Implementation" and a reporter's thanks in the note).
    const engineerNote = { role: 'engineer', kind: 'implementation', body: `## Implementation\n\n${engineer.parsed.body}` }
    const prBody = `Closes #5\n\n## Summary\n\n${engineer.parsed.statusText}\n\n${engineer.parsed.body}\n\n---\nOpened by Baton's Engineer. A person reviews and merges.`
    const marketing = await run(
      trigger('marketing', 'done', {
        issue: { ...issue, labels: ['bug', 'done'], comments: [{ author: 'ann', body: 'Tried it, producing nothing: Thanks a lot!', association: 'NONE', trusted: false }] },
        notes: [{ role: 'pm', kind: 'triage', body: pm.parsed.body }, engineerNote],
        data: { pull: { number: 6, title: 'divide by zero returns Infinity (#5)', body: prBody, merged: true } }
      })
    )
    expect(marketing.parsed.body).toContain('### Fixed\n- divide by zero returns Infinity (#5, #6)\n')
    expect(marketing.parsed.body).toContain(`A fix has landed in acme/calc: divide by zero returns Infinity (#5, #6). ${engineer.parsed.statusText}`)
    expect(marketing.parsed.body).not.toMatch(/Implementation|Thanks|producing nothing|Steps to reproduce/)
    expect(marketing.parsed.body.split('\n').filter((l) => l.startsWith('#'))).toEqual(['## Release note', '### Fixed', '## Announcement'])
  }, 60_000)

  it('community answers an outside author and points to a duplicate', async () => {
    const r = await run(
      trigger('community', 'backlog', {
        issue: { ...issue, number: 9, title: 'Dividing by zero returns Infinity', body: 'It is wrong.', author: 'visitor' },
        data: { issues: [{ number: 5, title: issue.title }] }
      })
    )
    expect(r.parsed).toMatchObject({ status: 'done', labelUpdate: null })
    expect(r.parsed.body).toContain('@visitor')
    expect(r.parsed.body).toContain('#5')
  }, 30_000)
})
