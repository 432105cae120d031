// End to end (issue #14): the REAL Claude Code CLI as Baton's own Engineer of
// acme/app#3, run by the pipeline in its sandbox with the attempt's MCP
// config (its task token, never the app's), against the scripted model
// endpoint: the model answers with a tool_use of
// mcp__baton__handoff_to_project, the CLI calls Baton's /mcp, and the issue
// appears on the forge in acme/lib with the context and the back-link;
// acme/app#3 waits for it; a person closes acme/lib#1 and #3 resumes — its
// Engineer runs again and reads the outcome in its hand-offs.
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveClaudeExecutable } from '../../../src/main/agents/providers/claude-code'
import type { BoardIssue, RepoSummary } from '../../../src/shared/api'
import { startScriptedServer, type RecordedRequest, type ScriptTurn, type ScriptedServer } from '../../fixtures/anthropic/scripted-server'
import { blocks, messagesOf, promptOf } from '../providers/claude-model'
import { API_TOKEN, GITHUB_TOKEN, startAgentWorld, type AgentWorld } from './agent-world'

const haveCli = existsSync(resolveClaudeExecutable({ settings: { provider: 'claude-code', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} }))
const TITLE = 'parse() throws on ISO dates'
const SUMMARY = 'acme/app crashes when a date string reaches lib.parse.'
const REPRO = '1. `parse("2026-12-01")`\n2. see the TypeError'
const LOG = 'SyntaxError: Unexpected number in JSON at position 4\n    at parse (parse.js:1:34)'

/** The resumed trigger's hand-off outcome, as the task prompt's HANDOFFS block carries it. */
const CLOSED = /"state":\s*"closed"/

type Json = Record<string, unknown>
let model: ScriptedServer
let w: AgentWorld
let repos: RepoSummary[]

/** The tool results the CLI sent back so far in this conversation. */
const toolResults = (body: Json): Json[] => messagesOf(body).flatMap((m) => blocks(m.content)).filter((b) => b.type === 'tool_result')

/** The Engineer's "model": hand off first; after the outcome comes back, move on; in progress, park on a question. */
function engineer(_rec: RecordedRequest, body: Json): ScriptTurn {
  const p = promptOf(body)
  if (!p) return { kind: 'text', text: 'ERROR: no task prompt' }
  const tools = ((body.tools ?? []) as Array<{ name: string }>).map((t) => t.name)
  if (p.stage === 'in-progress') return { kind: 'text', text: 'REQUEST: Which date formats must parse() accept?\n\nParked for the test.' }
  if (CLOSED.test(p.text)) {
    return { kind: 'text', text: 'DONE: acme/lib fixed parse(); back on the app\nLABEL-UPDATED: ready-for-dev --> in-progress\n\nThe library issue is closed.' }
  }
  const results = toolResults(body)
  if (results.length > 0) {
    const r = results.at(-1) as Json
    const text = typeof r.content === 'string' ? r.content : ((r.content as Array<{ text?: string }>)[0]?.text ?? '')
    return { kind: 'text', text: r.is_error ? `ERROR: the hand-off failed: ${text}` : `DONE: Handed the parse bug to acme/lib\n\n${text}` }
  }
  if (!tools.includes('mcp__baton__handoff_to_project')) return { kind: 'text', text: `ERROR: no Baton tools offered: ${tools.join(', ')}` }
  return {
    kind: 'tools',
    tools: [
      {
        id: 'toolu_handoff_1',
        name: 'mcp__baton__handoff_to_project',
        input: { from: 'acme/app#3', to: 'acme/lib', title: TITLE, summary: SUMMARY, repro: REPRO, logs: LOG, hypotheses: ['parse() is JSON.parse, which does not read dates'] }
      }
    ]
  }
}

const card = async (repo: string, number: number): Promise<BoardIssue | undefined> => {
  const id = repos.find((r) => `${r.owner}/${r.name}` === repo)!.id
  return (await w.api<BoardIssue[]>('issues.board', { repoId: id })).find((c) => c.number === number)
}

describe.skipIf(!haveCli)('the real Claude Code CLI hands a bug to another project through Baton\'s MCP', () => {
  beforeAll(async () => {
    model = await startScriptedServer({ script: [], respond: engineer })
    w = await startAgentWorld({
      ready: [3],
      env: () => ({ ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: 'sk-ant-scripted-handoff', DISABLE_TELEMETRY: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' })
    })
    await w.api('repos.connect', { remote: 'acme/lib' })
    await w.api('repos.connect', { remote: 'acme/app' })
    repos = await w.api<RepoSummary[]>('repos.list')
  }, 120_000)
  afterAll(async () => {
    await w?.close()
    await model?.close()
  })

  it('files acme/lib#1 with the context and the back-link; acme/app#3 waits, and resumes when it closes', async () => {
    const gh = w.t.octokit(GITHUB_TOKEN)
    const lib = await w.until('the hand-off on the forge in acme/lib', async () => (await gh.rest.issues.listForRepo({ owner: 'acme', repo: 'lib', state: 'all' })).data[0], 180_000)
    expect(lib).toMatchObject({ number: 1, title: TITLE })
    expect(lib.body).toContain('Handed off from acme/app#3')
    expect(lib.body).toContain(SUMMARY)
    expect(lib.body).toContain('1. `parse("2026-12-01")`')
    expect(lib.body).toContain('SyntaxError: Unexpected number in JSON at position 4')
    // The agent's words, marked so: acme/lib runs it only once a person approves it (pipeline/agent-filed.ts).
    expect(lib.body).toMatch(/<!-- baton:filed-by=engineer(-\d+)?@acme\/app -->\n\n<!-- baton:task=handoff-\d+ baton:kind=handoff-handoff -->$/)
    expect(lib.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['backlog'])

    // The CLI's own request: Baton's tools offered, the tool's answer back as its tool_result.
    const first = model.agentRequests()[0]!.body as Json
    expect(((first.tools ?? []) as Array<{ name: string }>).map((t) => t.name)).toEqual(expect.arrayContaining(['mcp__baton__handoff_to_project', 'mcp__baton__issue_status']))
    const result = await w.until('the tool_result', () => model.agentRequests().map((r) => toolResults(r.body as Json)).flat().find((b) => b.tool_use_id === 'toolu_handoff_1'))
    expect(result.is_error, JSON.stringify(result)).toBeFalsy()
    expect(JSON.stringify(result.content)).toContain('acme/lib#1')
    // No request to the model carried the app's token or the GitHub token.
    for (const r of model.requests) for (const secret of [API_TOKEN, GITHUB_TOKEN]) expect(JSON.stringify(r.body ?? '')).not.toContain(secret)

    // The call was the Engineer's, under its name and its task's token.
    const calls = w.core.db.prepare("SELECT subject, message FROM events WHERE kind = 'mcp.call'").all() as Array<{ subject: string; message: string }>
    expect(calls).toContainEqual(expect.objectContaining({ subject: 'engineer@acme/app', message: expect.stringContaining('called handoff_to_project') }))

    // The origin links it and waits for it.
    const comments = async () => (await gh.rest.issues.listComments({ owner: 'acme', repo: 'app', issue_number: 3 })).data.map((c) => c.body ?? '')
    await w.until('the back-link comment on acme/app#3', async () => (await comments()).some((c) => c.includes('acme/lib#1')))
    const waiting = await w.until('acme/app#3 waits for acme/lib#1', async () => {
      const c = await card('acme/app', 3)
      return c?.reason === 'waits for acme/lib#1' ? c : undefined
    })
    expect(waiting.stage).toBe('ready-for-dev')
    // The Engineer's answer is signed with its name.
    expect((await comments()).some((c) => c.startsWith('**Engineer** · via Baton · `engineer@acme/app`'))).toBe(true)
    // Its token died with the attempt.
    await w.until('no live task token', () => w.core.agentMcp.tokens.size === 0)

    // A person closes the library issue: the origin resumes and its Engineer reads the outcome.
    await gh.rest.issues.update({ owner: 'acme', repo: 'lib', issue_number: 1, state: 'closed', state_reason: 'completed' })
    await w.until('acme/app#3 moved on to in-progress', async () =>
      (await gh.rest.issues.get({ owner: 'acme', repo: 'app', issue_number: 3 })).data.labels.some((l) => (typeof l === 'string' ? l : l.name) === 'in-progress'),
      180_000
    )
    const resumed = model.agentRequests().map((r) => promptOf(r.body)).find((p) => p?.stage === 'ready-for-dev' && CLOSED.test(p.text))
    expect(resumed?.text).toContain('acme/lib#1')
    // It moved on: nothing was handed off twice.
    expect((await gh.rest.issues.listForRepo({ owner: 'acme', repo: 'lib', state: 'all' })).data.map((i) => i.number)).toEqual([1])
  }, 420_000)
})
