// No terminal escape codes in what Baton posts or shows (issue #10): the
// builtin Tester, run by a real runner under the supervisor, tests a Python
// repository with pytest whose test fails (and prints colours of its own);
// its report has none. An agent whose stderr (live output) and answer are
// coloured reaches the dashboard's progress lines and the GitHub comment
// without them.
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toAgentResult } from '../../../src/main/agents/results'
import { loadRoles } from '../../../src/main/agents/roles'
import { Supervisor, type AgentResponse, type RoleSpec } from '../../../src/main/agents/supervisor'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { planEffects } from '../../../src/main/pipeline/effects'
import type { Trigger } from '../../../src/shared/protocol/trigger'

const runner = { execPath: process.execPath, args: ['--import', 'tsx', 'agents/runner.ts'] }
const ESC = '\x1b'
let supervisor: Supervisor
let dir: string
let seq = 0
const progress: Array<{ agent: string; line: string }> = []

function trigger(agent: string, stage: string, over: Partial<Trigger> = {}): Trigger {
  return {
    v: 1,
    task: `t_colour${++seq}`,
    attempt: 1,
    agent,
    role: agent,
    stage,
    repo: { owner: 'acme', name: 'pyproj', defaultBranch: 'main' },
    issue: { number: 7, title: 'Fix the mean', body: 'mean([]) should be 0', labels: [stage], author: 'ann', comments: [] },
    workspace: null,
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
  dir = mkdtempSync(join(tmpdir(), 'baton-colour-'))
  // A coloured agent for the `command` provider: colours on stderr (live output) and in its answer.
  const agent = join(dir, 'coloured-agent.mjs')
  writeFileSync(
    agent,
    [
      "process.stdin.resume(); process.stdin.on('end', () => {})",
      "process.stdin.on('data', () => {",
      "  process.stderr.write('\\x1b[1;32mcompiling\\x1b[0m step 1\\n\\x1b]0;title\\x07\\x1b[2K\\n')",
      "  process.stdout.write('DONE: \\x1b[32mbuilt\\x1b[0m\\n\\n## Build\\n\\x1b[31merror\\x1b[0m: none \\x1b]8;;https://x.test\\x1b\\\\link\\x1b]8;;\\x1b\\\\\\n')",
      '  process.exit(0)',
      '})'
    ].join('\n')
  )
  const { roles, refused } = loadRoles('agents')
  expect(refused).toEqual([])
  const tester = roles.find((r) => r.name === 'tester')!
  const coloured: RoleSpec = { name: 'painter', prompt: 'paint', settings: { ...tester.settings, provider: 'command', command: `${process.execPath} ${agent}`, instances: 1 } }
  // FORCE_COLOR in main's environment must not reach the tools either (pytest reads any value as "on").
  supervisor = new Supervisor({
    ipcDir: join(dir, 'ipc'),
    roles: [{ ...tester, settings: { ...tester.settings, instances: 1 } }, coloured],
    runner,
    heartbeatMs: 500,
    watchdogMs: 200,
    stallMs: 30_000,
    env: { ...process.env, FORCE_COLOR: '1' }
  })
  supervisor.on('progress', (p) => progress.push({ agent: p.agent, line: p.line }))
  supervisor.start()
  const until = Date.now() + 30_000
  while ([...supervisor.idle().values()].flat().length < 2) {
    if (Date.now() > until) throw new Error(`agents not idle: ${JSON.stringify(supervisor.list())}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}, 60_000)

afterAll(async () => {
  await supervisor?.stop()
})

describe('no escape codes in what Baton posts or shows', () => {
  it("a runner's own output split mid-sequence and mid-character reaches the dashboard as whole, clean lines", async () => {
    // A stand-in runner process that writes one line in three pieces, apart in time, then idles.
    const script = join(dir, 'chunky-runner.mjs')
    writeFileSync(
      script,
      [
        "const pieces = [Buffer.from('\\x1b[3'), Buffer.from('1mcaf\\xc3', 'latin1'), Buffer.from('\\xa9 ready\\x1b[0m\\n', 'latin1')]",
        'let i = 0',
        'const next = () => { if (i < pieces.length) { process.stdout.write(pieces[i++]); setTimeout(next, 60) } }',
        'next()',
        'setInterval(() => {}, 1000)'
      ].join('\n')
    )
    const lines: string[] = []
    const s = new Supervisor({ ipcDir: join(dir, 'ipc-chunky'), roles: [{ name: 'chunky', prompt: '', settings: { provider: 'builtin', timeLimitSec: 30, maxOutputBytes: 100_000, instances: 1 } }], runner: { execPath: process.execPath, args: [script] }, heartbeatMs: 500, stallMs: 30_000, killGraceMs: 200 })
    s.on('progress', (p) => lines.push(p.line))
    s.start()
    try {
      const until = Date.now() + 10_000
      while (!lines.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
      await new Promise((r) => setTimeout(r, 200))
      expect(lines).toEqual(['café ready'])
    } finally {
      await s.stop()
    }
  }, 30_000)

  it('the builtin Tester on a pytest repository whose test fails: a report without escape codes', async () => {
    // The fixture is copied per run: pytest writes caches beside the tests.
    const repo = join(dir, 'pyproj')
    cpSync(join(process.cwd(), 'test/fixtures/pytest-failing'), repo, { recursive: true })
    execFileSync('git', ['init', '--quiet', '-b', 'main', repo])
    const r = await run(trigger('tester', 'needs-testing', { workspace: repo }))
    expect(r.parsed).toMatchObject({ status: 'done', labelUpdate: { from: 'needs-testing', to: 'ready-for-dev' } })
    expect(r.parsed.statusText).toMatch(/^Tests fail: python3 -m pytest -q exited with code 1/)
    const body = r.parsed.body
    expect(body).toContain('ZeroDivisionError')
    // The captured print, colours gone (the source line pytest quotes keeps its own text).
    expect(body).toContain('\ncomputing the mean of nothing\n')
    expect(body).toMatch(/1 failed, 1 passed/)
    expect(body).not.toContain(ESC)
    expect(body).not.toContain('\x9b')
    expect(r.raw).not.toContain(ESC)
  }, 60_000)

  it("a coloured agent's live output and its answer's comment come without escape codes", async () => {
    const t = trigger('painter', 'backlog')
    const r = await run(t)
    const lines = progress.filter((p) => p.agent === 'painter').map((p) => p.line)
    expect(lines).toContain('compiling step 1')
    expect(lines.join('\n')).not.toContain(ESC)
    // Only escapes on that line: no empty progress line is shown for it.
    expect(lines.every((l) => l.trim() !== '')).toBe(true)

    expect(r.raw).toContain(ESC)
    const { answer, raw } = toAgentResult(r, { provider: 'command' })
    expect(raw).toBe(r.raw)
    expect(answer.text).toBe('built')
    expect(answer.body).not.toContain(ESC)
    const plan = planEffects(answer, {
      pipeline: defaultPipeline,
      taskId: t.task,
      role: 'pm',
      taskStage: 'backlog',
      currentStage: 'backlog',
      issue: { number: 7, title: 'Fix the mean', labels: ['backlog'] },
      handoffsSoFar: 0,
      handoffCap: 5,
      loopsSoFar: 0,
      loopCap: 3,
      roles: ['pm', 'architect', 'engineer', 'tester'],
      testPlan: null,
      taskBranch: 'baton/7-fix-the-mean',
      defaultBranch: 'main'
    } as Parameters<typeof planEffects>[1])
    const comment = plan.effects.find((e) => e.kind === 'comment')
    expect(comment?.kind === 'comment' && comment.body).toContain('## Build\nerror: none link')
    expect(JSON.stringify(plan.effects)).not.toContain('\\u001b')
  }, 60_000)
})
