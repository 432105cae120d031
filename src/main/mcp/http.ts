// Streamable HTTP at `/mcp` on the headless server (DESIGN.md §11): the same
// tools as `baton mcp`, answered in-process by the core's API. serve.ts has
// checked the Host, the token and the origin before a request gets here.
// Stateless (no session id): every POST is a whole exchange with a server and
// transport of its own, as the SDK's stateless mode requires; the answers are
// JSON, not an SSE stream (no tool streams, and nothing is pushed).
import type { IncomingMessage, ServerResponse } from 'node:http'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { agentCaller } from '../api/memory-handlers'
import { dispatch } from '../api/dispatch'
import type { Core } from '../app'
import { audit } from '../store/audit'
import { taskGuard } from './task-policy'
import type { TaskScope } from './task-tokens'
import { callerOf, createBatonMcpServer } from './tools'

/** The same cap as the API's bodies. */
const MAX_BODY = 1024 * 1024

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers })
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }))
}

/**
 * One exchange. `scope`: the caller holds a task's token (task-tokens.ts),
 * not the app's: each tool call is held to its task (task-policy.ts) and
 * audited under the agent's name, allowed or refused.
 */
export async function handleMcp(core: Core, req: IncomingMessage, res: ServerResponse, scope: TaskScope | null = null): Promise<void> {
  // GET would open a stream for messages the server starts, DELETE would end a
  // session: a stateless server has neither, and the spec's answer is 405.
  if (req.method !== 'POST') {
    jsonRpcError(res, 405, -32000, 'Method not allowed: /mcp takes JSON-RPC messages as POST requests.', { Allow: 'POST' })
    return
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) {
      jsonRpcError(res, 413, -32600, 'The request body is larger than 1 MB.')
      req.destroy()
      return
    }
    chunks.push(chunk as Buffer)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (error) {
    jsonRpcError(res, 400, -32700, `Parse error: the body is not JSON (${(error as Error).message}).`)
    return
  }
  const guard = scope
    ? taskGuard(scope, ({ tool, refused }) =>
        audit(core.db, {
          kind: refused ? 'mcp.refused' : 'mcp.call',
          taskId: scope.taskId,
          subject: scope.agent,
          message: refused ? `${scope.agent} was refused ${tool}: ${refused}` : `${scope.agent} called ${tool} (task ${scope.taskId}, attempt ${scope.attempt})`,
          data: { tool, repo: scope.repo, issue: scope.issue, attempt: scope.attempt }
        })
      )
    : undefined
  const server = createBatonMcpServer(
    // A task's token calls as its agent (api/memory-handlers.ts: whose memory, which task holds a lease); the app's token as the person.
    callerOf((method, input) => (scope ? dispatch(core.handlers, method, input, core.log, agentCaller(core.db, scope)) : core.call(method, input))),
    guard
  )
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
  res.on('close', () => {
    void transport.close()
    void server.close()
  })
  await server.connect(transport)
  await transport.handleRequest(req, res, body)
}
