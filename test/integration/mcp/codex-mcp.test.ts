// The REAL Codex CLI as Baton's own Engineer of acme/app#3 (issue #14), run
// by the pipeline in its sandbox with the attempt's `mcp_servers.baton`
// config (the task token in BATON_MCP_TOKEN, never on its command line),
// against the scripted Responses endpoint: Codex opens its MCP session on
// Baton's /mcp with the task's token, and Baton's server answers its
// list_mcp_resources. (Codex 0.171 defers MCP tools behind a client-side
// tool_search, which the scripted endpoint does not speak: an actual tool
// call through Codex is not driven here.)
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveCodexExecutable } from '../../../src/main/agents/providers/codex'
import { inputItems, itemText, startScriptedServer, type RecordedRequest, type ScriptTurn, type ScriptedServer } from '../../fixtures/openai/scripted-server'
import { readPrompt } from '../providers/pipeline-fixture'
import { GITHUB_TOKEN, startAgentWorld, type AgentWorld } from './agent-world'

const haveCli = existsSync(resolveCodexExecutable({ settings: { provider: 'codex', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} }))

type Json = Record<string, unknown>
let model: ScriptedServer
let w: AgentWorld
/** The tool names Codex offered the model, from its first request. */
let offered: string[] = []

/** Every tool name a request offers, namespaced ones (`{ tools: [...] }`) included. */
function toolNames(body: Json): string[] {
  const walk = (tools: unknown): string[] =>
    Array.isArray(tools) ? (tools as Json[]).flatMap((t) => [...(typeof t.name === 'string' ? [t.name] : []), ...walk(t.tools).map((n) => (typeof t.name === 'string' ? `${t.name}${n}` : n))]) : []
  return walk(body.tools)
}

function engineer(_rec: RecordedRequest, body: Json): ScriptTurn | undefined {
  const prompt = inputItems(body).map((i) => (i.type === 'message' && i.role === 'user' ? readPrompt(itemText(i)) : undefined)).find(Boolean)
  if (!prompt) return { kind: 'text', text: 'ERROR: no task prompt' }
  offered = toolNames(body)
  // Codex 0.171 defers MCP tools behind its client-side tool_search (a
  // tool_search_call item this scripted endpoint does not speak), but its
  // own list_mcp_resources asks the server directly over the session Codex
  // opened with the task's token.
  const listed = inputItems(body).find((i) => i.type === 'function_call_output' && i.call_id === 'call_list')
  if (!listed) return { kind: 'tools', calls: [{ type: 'function', name: 'list_mcp_resources', arguments: { server: 'baton' }, callId: 'call_list' }] }
  return { kind: 'text', text: `REQUEST: Parked for the test\n\nLISTED: ${typeof listed.output === 'string' ? listed.output : JSON.stringify(listed.output)}` }
}

describe.skipIf(!haveCli)("the real Codex CLI reaches Baton's MCP with its task's token", () => {
  beforeAll(async () => {
    model = await startScriptedServer({ script: [], respond: engineer })
    w = await startAgentWorld({ ready: [3], provider: 'codex', model: 'gpt-5.5', env: () => ({ OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: 'sk-openai-scripted-mcp' }) })
    await w.api('repos.connect', { remote: 'acme/app' })
  }, 120_000)
  afterAll(async () => {
    await w?.close()
    await model?.close()
  })

  it("opens a session on Baton's /mcp with its task's token: Baton's own server answers Codex's resources/list", async () => {
    const gh = w.t.octokit(GITHUB_TOKEN)
    const asked = await w.until(
      "the Engineer's answer on acme/app#3",
      async () => (await gh.rest.issues.listComments({ owner: 'acme', repo: 'app', issue_number: 3 })).data.map((c) => c.body ?? '').find((b) => b.includes('LISTED:')),
      120_000
    )
    expect(offered).toEqual(expect.arrayContaining(['list_mcp_resources', 'exec_command']))
    // The MCP SDK server behind /mcp has no resources: its JSON-RPC "method not found" is an answer from an initialized session.
    expect(asked).toMatch(/LISTED: .*resources\/list failed for `baton`: Mcp error: -32601: Method not found/)
    // The token stayed out of what Codex sent the model.
    for (const r of model.requests) expect(JSON.stringify(r.body ?? '')).not.toMatch(/bt_task_/)
    expect(asked.split('\n')[0]).toBe('**Engineer** · via Baton · `engineer@acme/app`')
  }, 300_000)
})
