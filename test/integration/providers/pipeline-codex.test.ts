// The whole pipeline on the REAL Codex CLI (@openai/codex, pinned dev
// dependency) against a scripted OpenAI Responses endpoint on 127.0.0.1
// (DESIGN.md §6, §10): the same issue, model and return as
// pipeline-claude.test.ts, through Codex's own tools — exec_command for
// reading, committing and `npm test`, apply_patch for the code — inside its
// sandbox, inside Baton's. The endpoint's "model" (pipeline-fixture.ts)
// decides each turn from the request alone; the test asserts what every
// request carried.
import { existsSync } from 'node:fs'
import { relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveCodexExecutable } from '../../../src/main/agents/providers/codex'
import type { AppStatus, UsageSummary } from '../../../src/shared/api'
import { inputItems, itemText, startScriptedServer, type RecordedRequest, type ScriptTurn, type ScriptedServer } from '../../fixtures/openai/scripted-server'
import {
  API_TOKEN,
  GITHUB_TOKEN,
  GREET_FILE,
  LINE_MARKER,
  OUTSIDER_MARKER,
  PLAN_MARKER,
  REPO,
  REVIEW_MARKER,
  decide,
  forms,
  readPrompt,
  runWithOneReturn,
  startPipeline,
  type PipelineWorld,
  type PromptFacts,
  type Step
} from './pipeline-fixture'

const haveCli = existsSync(resolveCodexExecutable({ settings: { provider: 'codex', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} }))
const API_KEY = 'sk-openai-scripted-test-key'
/** A model codex 0.171.0 knows: it then offers apply_patch (an unknown one gets no such tool). */
const MODEL = 'gpt-5.5'

type Json = Record<string, unknown>

/** Each role's usage per turn, distinct, so Usage can be checked role by role. */
const USAGE: Record<string, { input_tokens: number; output_tokens: number }> = {
  pm: { input_tokens: 2001, output_tokens: 51 },
  architect: { input_tokens: 2002, output_tokens: 52 },
  engineer: { input_tokens: 2003, output_tokens: 53 },
  tester: { input_tokens: 2004, output_tokens: 54 }
}

/** The task prompt a request carries: the user message that is one (codex adds its own context messages). */
function promptOf(body: unknown): PromptFacts | undefined {
  for (const item of inputItems(body)) {
    if (item.type !== 'message' || item.role !== 'user') continue
    const p = readPrompt(itemText(item))
    if (p) return p
  }
  return undefined
}

/** What each tool call the CLI ran sent back, in order. */
function toolOutputs(body: unknown): string[] {
  return inputItems(body)
    .filter((i) => i.type === 'function_call_output' || i.type === 'custom_tool_call_output')
    .map((i) => {
      const out = i.output
      if (typeof out === 'string') return out
      if (Array.isArray(out)) return (out as Json[]).map((p) => (typeof p.text === 'string' ? p.text : '')).join('')
      return JSON.stringify(out)
    })
}

/** A step as the Codex CLI's tools. */
function asTurn(step: Step, ws: string, usage: { input_tokens: number; output_tokens: number }): ScriptTurn {
  const rel = (path: string): string => relative(ws, path)
  const lines = (text: string, sign: string): string =>
    text
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => `${sign}${l}`)
      .join('\n')
  switch (step.kind) {
    case 'read':
      return { kind: 'tools', calls: [{ type: 'function', name: 'exec_command', arguments: { cmd: `cat ${rel(step.path)}` } }], usage }
    case 'write':
      return { kind: 'tools', calls: [{ type: 'custom', name: 'apply_patch', input: `*** Begin Patch\n*** Add File: ${rel(step.path)}\n${lines(step.content, '+')}\n*** End Patch\n` }], usage }
    case 'edit':
      return {
        kind: 'tools',
        calls: [{ type: 'custom', name: 'apply_patch', input: `*** Begin Patch\n*** Update File: ${rel(step.path)}\n@@\n${lines(step.oldText, '-')}\n${lines(step.newText, '+')}\n*** End Patch\n` }],
        usage
      }
    case 'run':
      return { kind: 'tools', calls: [{ type: 'function', name: 'exec_command', arguments: { cmd: step.command } }], usage }
    case 'final':
      return { kind: 'text', text: step.text, usage }
  }
}

function codexModel(_rec: RecordedRequest, body: Json): ScriptTurn {
  const p = promptOf(body)
  if (!p) throw new Error('a request with no task prompt')
  return asTurn(decide(p, toolOutputs(body)), p.workspace ?? '', USAGE[p.role] ?? { input_tokens: 1, output_tokens: 1 })
}

let server: ScriptedServer
let w: PipelineWorld
let pr = 0

describe.skipIf(!haveCli)('the whole pipeline on the real Codex CLI', () => {
  beforeAll(async () => {
    server = await startScriptedServer({ script: [], respond: codexModel })
    w = await startPipeline('codex', () => ({ OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: API_KEY }), { model: MODEL })
  }, 60_000)
  afterAll(async () => {
    await w?.close()
    await server?.close()
  })

  it('carries the issue from backlog to needs-review: triage, plan, code by apply_patch committed by exec_command, tests run, one return', async () => {
    expect((await w.api<AppStatus>('app.status')).isolation.kind, 'this machine must sandbox agents (install bubblewrap)').toBe('bubblewrap')
    const t0 = performance.now()
    ;({ pr } = await runWithOneReturn(w))
    const wallMs = performance.now() - t0
    expect(server.problems).toEqual([])

    const gh = w.t.octokit(GITHUB_TOKEN)
    const head = (await gh.rest.pulls.get({ ...REPO, pull_number: pr })).data.head.ref
    expect(await w.commitsOn(head)).toEqual(['Baton Engineer: Add greet()', 'Baton Engineer: Fix the greeting punctuation'])
    const file = (await gh.rest.repos.getContent({ ...REPO, path: GREET_FILE, ref: head })).data as { content: string }
    expect(Buffer.from(file.content, 'base64').toString('utf8')).toBe('exports.greet = (name) => `Hello, ${name}!`\n')

    const comments = (await gh.rest.issues.listComments({ ...REPO, issue_number: 1, per_page: 100 })).data.map((c) => c.body ?? '')
    const reports = comments.filter((b) => /baton:role=tester/.test(b) && !/baton:copy=pr/.test(b))
    expect(reports).toHaveLength(2)
    expect(reports[0]).toMatch(/code: 'ERR_ASSERTION',\s+actual: 'Hello Ada',\s+expected: 'Hello, Ada!'/)
    expect(reports[1]).toContain('ok 1 greet')
    console.log(`[pipeline-codex] backlog → needs-review with one return: ${(wallMs / 1000).toFixed(1)} s, ${server.agentRequests().length} model turns`)
  }, 420_000)

  it('each run got what its role needs: the plan reached the Engineer; on the return, the failing tail and the review', () => {
    const runs = new Map<string, { p: PromptFacts; requests: RecordedRequest[] }>()
    for (const rec of server.agentRequests()) {
      const p = promptOf(rec.body)!
      runs.set(p.text, { p, requests: [...(runs.get(p.text)?.requests ?? []), rec] })
    }
    expect([...runs.values()].map(({ p }) => `${p.role}/${p.stage}`)).toEqual([
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
    expect(toolOutputs(architect!.requests[1]!.body).join('\n')).toContain("greet('Ada')")
    expect(build!.p.notes.find((n) => n.kind === 'plan')?.body).toContain(PLAN_MARKER)
    // Codex has no system-prompt flag: the role's prompt leads the task prompt.
    expect(build!.p.text).toMatch(/^# Your role\n/)
    expect(toolOutputs(failing!.requests[2]!.body).join('\n')).toContain('ERR_ASSERTION')
    const notes = fix!.p.notes
    expect(notes.find((n) => n.kind === 'test-report')?.body).toMatch(/code: 'ERR_ASSERTION',\s+actual: 'Hello Ada',\s+expected: 'Hello, Ada!'/)
    const review = notes.find((n) => n.kind === 'review')?.body ?? ''
    expect(review).toContain(REVIEW_MARKER)
    expect(review).toContain(LINE_MARKER)
    expect(review).toMatch(/@alice/)
    expect(toolOutputs(passing!.requests[2]!.body).join('\n')).toContain('EXIT=0')
    // What the Tester's commands run with, as exec_command saw it (the token check below reads it too).
    const env = toolOutputs(failing!.requests[1]!.body).join('\n')
    expect(env).toContain(`HOME=${w.home}`)
    expect(env).toContain('OPENAI_BASE_URL=')
  })

  it("no request carried a token, and the outsider's comment only as data marked trusted: false", () => {
    expect(server.requests.length).toBeGreaterThan(0)
    for (const rec of server.requests) {
      const sent = JSON.stringify({ headers: rec.headers, body: rec.body })
      for (const secret of [GITHUB_TOKEN, API_TOKEN]) for (const form of forms(secret)) expect(sent.includes(form), `request to ${rec.path} carries a secret`).toBe(false)
      expect(rec.headers.authorization).toBe(`Bearer ${API_KEY}`)
    }
    for (const rec of server.agentRequests()) {
      const p = promptOf(rec.body)!
      const outsider = p.issue.comments.filter((c) => c.body.includes(OUTSIDER_MARKER))
      expect(outsider).toEqual([{ author: 'bob', body: expect.any(String), association: 'NONE', trusted: false }])
      expect(p.outsideData).not.toContain(OUTSIDER_MARKER)
      // Nowhere else in the request: not in the instructions, not in another message.
      const rest = { ...(rec.body as Json), input: inputItems(rec.body).filter((i) => !(i.type === 'message' && i.role === 'user' && readPrompt(itemText(i)))) }
      expect(JSON.stringify(rest)).not.toContain(OUTSIDER_MARKER)
    }
  })

  it("Usage holds the tokens per issue and per role as each role's turns reported (Codex reports no price)", async () => {
    const usage = await w.api<UsageSummary>('usage.summary', { range: '24h' })
    const turns = (role: string) => server.agentRequests().filter((r) => promptOf(r.body)?.role === role).length
    let total = 0
    for (const role of ['pm', 'architect', 'engineer', 'tester']) {
      const row = usage.byAgent.find((a) => a.agent === role)
      expect(row, `${role} in Usage`).toBeDefined()
      const per = USAGE[role]!
      expect(row!.inputTokens).toBe(turns(role) * per.input_tokens)
      expect(row!.outputTokens).toBe(turns(role) * per.output_tokens)
      expect(row!.costUsd).toBe(0)
      total += row!.inputTokens + row!.outputTokens
    }
    const issue = usage.byIssue.find((i) => i.issue === 1)
    expect(issue?.tokens).toBe(total)
    console.log(`[pipeline-codex] tokens per role: ${usage.byAgent.map((a) => `${a.agent} ${a.inputTokens + a.outputTokens}`).join(', ')}; issue #1 ${issue?.tokens}`)
  })
})
