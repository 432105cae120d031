// The whole pipeline on the REAL Claude Code CLI (@anthropic-ai/claude-code,
// pinned dev dependency) against a scripted Anthropic Messages endpoint on
// 127.0.0.1 (DESIGN.md §6, §10): the PM triages, the Architect reads the
// repository and plans, the Engineer writes and commits through the CLI's own
// Write/Edit/Bash tools in its worktree, the Tester runs `npm test` through
// Bash — failing once, so the issue comes back with the failing tail and a
// reviewer's changes — and the issue reaches needs-review with its cost per
// issue and per role in Usage. The endpoint's "model" (pipeline-fixture.ts)
// decides each turn from the request alone, and the test asserts what every
// request carried: what each role needs, and no token, and the outsider's
// comment only as data marked `trusted: false`.
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveClaudeExecutable } from '../../../src/main/agents/providers/claude-code'
import type { AppStatus, UsageSummary } from '../../../src/shared/api'
import { startScriptedServer, turnUsage, type RecordedRequest, type ScriptedServer } from '../../fixtures/anthropic/scripted-server'
import { USAGE, claudeModel, messagesOf, promptOf } from './claude-model'
import {
  API_TOKEN,
  GITHUB_TOKEN,
  GREET_FILE,
  LINE_MARKER,
  OUTSIDER_MARKER,
  PLAN_MARKER,
  REPO,
  REVIEW_MARKER,
  forms,
  runWithOneReturn,
  startPipeline,
  type PipelineWorld,
  type PromptFacts
} from './pipeline-fixture'

const haveCli = existsSync(resolveClaudeExecutable({ settings: { provider: 'claude-code', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} }))
const API_KEY = 'sk-ant-scripted-test-key'

type Json = Record<string, unknown>

let server: ScriptedServer
let w: PipelineWorld
let pr = 0
let wallMs = 0

describe.skipIf(!haveCli)('the whole pipeline on the real Claude Code CLI', () => {
  beforeAll(async () => {
    server = await startScriptedServer({ script: [], respond: claudeModel })
    w = await startPipeline('claude-code', () => ({
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_API_KEY: API_KEY,
      DISABLE_TELEMETRY: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1'
    }))
  }, 60_000)
  afterAll(async () => {
    await w?.close()
    await server?.close()
  })

  it('carries the issue from backlog to needs-review: triage, plan, code committed by the CLI, tests run through Bash, one return', async () => {
    // The CLIs run where every agent runs: in the bubblewrap sandbox, the data folder hidden.
    expect((await w.api<AppStatus>('app.status')).isolation.kind, 'this machine must sandbox agents (install bubblewrap)').toBe('bubblewrap')
    const t0 = performance.now()
    ;({ pr } = await runWithOneReturn(w))
    wallMs = performance.now() - t0
    expect(server.problems).toEqual([])

    // The Engineer's commits, made by the CLI's Bash tool in its worktree, are the PR's.
    const gh = w.t.octokit(GITHUB_TOKEN)
    const head = (await gh.rest.pulls.get({ ...REPO, pull_number: pr })).data.head.ref
    expect(await w.commitsOn(head)).toEqual(['Baton Engineer: Add greet()', 'Baton Engineer: Fix the greeting punctuation'])
    const file = (await gh.rest.repos.getContent({ ...REPO, path: GREET_FILE, ref: head })).data as { content: string }
    expect(Buffer.from(file.content, 'base64').toString('utf8')).toBe('exports.greet = (name) => `Hello, ${name}!`\n')

    // The Tester's two reports, from real `npm test` runs: the failure's tail, then the pass.
    const comments = (await gh.rest.issues.listComments({ ...REPO, issue_number: 1, per_page: 100 })).data.map((c) => c.body ?? '')
    const reports = comments.filter((b) => /baton:role=tester/.test(b) && !/baton:copy=pr/.test(b))
    expect(reports).toHaveLength(2)
    expect(reports[0]).toMatch(/code: 'ERR_ASSERTION',\s+actual: 'Hello Ada',\s+expected: 'Hello, Ada!'/)
    expect(reports[1]).toContain('ok 1 greet')
    console.log(`[pipeline-claude] backlog → needs-review with one return: ${(wallMs / 1000).toFixed(1)} s, ${server.agentRequests().length} model turns`)
  }, 420_000)

  it('each run got what its role needs: the plan reached the Engineer; on the return, the failing tail and the review', () => {
    const runs = new Map<string, { p: PromptFacts; requests: RecordedRequest[] }>()
    for (const rec of server.agentRequests()) {
      const p = promptOf(rec.body)!
      const key = p.text
      runs.set(key, { p, requests: [...(runs.get(key)?.requests ?? []), rec] })
    }
    const order = [...runs.values()].map(({ p }) => `${p.role}/${p.stage}`)
    expect(order).toEqual([
      'pm/backlog',
      'architect/needs-architecture',
      'engineer/ready-for-dev',
      'engineer/in-progress',
      'tester/needs-testing',
      'engineer/ready-for-dev',
      'engineer/in-progress',
      'tester/needs-testing'
    ])
    const [, architect, , build, failing, , fix, passing] = [...runs.values()]
    // The Architect read the repository through the CLI's Read tool.
    expect(JSON.stringify(architect!.requests[1]!.body)).toContain("greet('Ada')")
    // The Engineer's first trigger carries the Architect's plan; its system prompt is the role's.
    expect(build!.p.notes.find((n) => n.kind === 'plan')?.body).toContain(PLAN_MARKER)
    expect(JSON.stringify((build!.requests[0]!.body as Json).system)).toMatch(/Engineer/)
    // The Tester ran the tests through Bash: the real failure went back in its next request.
    expect(JSON.stringify(failing!.requests[2]!.body)).toContain('ERR_ASSERTION')
    // On the return: the failing tests' tail, the review and its line comment.
    const notes = fix!.p.notes
    expect(notes.find((n) => n.kind === 'test-report')?.body).toMatch(/code: 'ERR_ASSERTION',\s+actual: 'Hello Ada',\s+expected: 'Hello, Ada!'/)
    const review = notes.find((n) => n.kind === 'review')?.body ?? ''
    expect(review).toContain(REVIEW_MARKER)
    expect(review).toContain(LINE_MARKER)
    expect(review).toMatch(/@alice/)
    expect(JSON.stringify(passing!.requests[2]!.body)).toContain('EXIT=0')
    // What the Tester's commands run with, as its Bash saw it (the token check below reads it too).
    const env = JSON.stringify(failing!.requests[1]!.body)
    expect(env).toContain(`HOME=${w.home}`)
    expect(env).toContain('ANTHROPIC_BASE_URL=')
  })

  it('no request carried a token, and the outsider\'s comment only as data marked trusted: false', () => {
    expect(server.requests.length).toBeGreaterThan(0)
    for (const rec of server.requests) {
      const sent = JSON.stringify({ headers: rec.headers, body: rec.body, query: rec.query })
      for (const secret of [GITHUB_TOKEN, API_TOKEN]) for (const form of forms(secret)) expect(sent.includes(form), `request to ${rec.path} carries a secret`).toBe(false)
      // The model key goes where it belongs: to the model endpoint, as the CLI's header.
      if (rec.path === '/v1/messages') expect(rec.headers['x-api-key']).toBe(API_KEY)
    }
    for (const rec of server.agentRequests()) {
      const p = promptOf(rec.body)!
      const outsider = p.issue.comments.filter((c) => c.body.includes(OUTSIDER_MARKER))
      expect(outsider).toEqual([{ author: 'bob', body: expect.any(String), association: 'NONE', trusted: false }])
      expect(p.outsideData).not.toContain(OUTSIDER_MARKER)
      expect(JSON.stringify((rec.body as Json).system)).not.toContain(OUTSIDER_MARKER)
      // Only the prompt's first message holds it: no tool the model ran echoed it back as text.
      const later = messagesOf(rec.body).slice(1)
      expect(JSON.stringify(later)).not.toContain(OUTSIDER_MARKER)
    }
  })

  it('Usage holds the cost per issue and per role, the tokens each role\'s turns reported', async () => {
    const usage = await w.api<UsageSummary>('usage.summary', { range: '24h' })
    const turns = (role: string) => server.agentRequests().filter((r) => promptOf(r.body)?.role === role).length
    for (const role of ['pm', 'architect', 'engineer', 'tester']) {
      const row = usage.byAgent.find((a) => a.agent === role)
      expect(row, `${role} in Usage`).toBeDefined()
      const per = turnUsage({ kind: 'text', text: '', usage: USAGE[role] })
      expect(row!.inputTokens).toBe(turns(role) * per.input_tokens)
      expect(row!.outputTokens).toBe(turns(role) * per.output_tokens)
      expect(row!.costUsd).toBeGreaterThan(0)
    }
    const issue = usage.byIssue.find((i) => i.issue === 1)
    expect(issue?.costUsd).toBeCloseTo(
      usage.byAgent.reduce((n, a) => n + a.costUsd, 0),
      6
    )
    console.log(`[pipeline-claude] cost per role: ${usage.byAgent.map((a) => `${a.agent} $${a.costUsd.toFixed(4)}`).join(', ')}; issue #1 $${issue?.costUsd.toFixed(4)}`)
  })
})
