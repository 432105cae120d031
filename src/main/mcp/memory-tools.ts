// The memory and lease tools (issue #14): remember, recall, forget,
// lease_files, release_files. Their schemas are shared/memory.ts's, the same
// the API checks (tools.ts lists them in ToolInputs); each answers through the
// app's `memory.*` / `leases.*` methods, which decide who may use a scope
// (memory/scope.ts) and audit every change. Who calls is the ApiCaller's
// business: the app's token is the person; a task's token on `/mcp` calls as
// its agent.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { ForgetInput, LeaseInput, RecallInput, ReleaseInput, RememberInput } from '../../shared/memory'
import type { ApiCaller } from './tools'

export const MemoryToolInputs = {
  remember: RememberInput,
  recall: RecallInput,
  forget: ForgetInput,
  lease_files: LeaseInput,
  release_files: ReleaseInput
} as const

function answer(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }], structuredContent: data }
}

export function registerMemoryTools(server: McpServer, call: ApiCaller): void {
  server.registerTool(
    'remember',
    {
      title: 'Remember',
      description:
        "Keeps a text under a key in a scope: issue:owner/repo#n (the issue's memory, shown on its page with its notes), repo:owner/repo, agent:<instance>@<owner/repo> (its owner writes, all read) or private:<instance>@<owner/repo> (only its owner). The same key again replaces it; ttlSec forgets it after that many seconds.",
      inputSchema: MemoryToolInputs.remember,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true }
    },
    async (input) => answer(await call('memory.remember', input))
  )
  server.registerTool(
    'recall',
    {
      title: 'Recall',
      description: "A scope's entries, newest first: one key, keys with a prefix, or those whose key or text holds a query. An issue scope also returns the issue's notes (plan, triage, test report…; keys note/<kind>/<id>). Expired entries are never returned.",
      inputSchema: MemoryToolInputs.recall,
      annotations: { readOnlyHint: true }
    },
    async (input) => answer(await call('memory.recall', input))
  )
  server.registerTool(
    'forget',
    {
      title: 'Forget',
      description: 'Forgets one key of a scope you may write (notes cannot be forgotten). forgotten is false when there was nothing to forget.',
      inputSchema: MemoryToolInputs.forget,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true }
    },
    async (input) => answer(await call('memory.forget', input))
  )
  server.registerTool(
    'lease_files',
    {
      title: 'Lease files',
      description:
        "Advisory leases on paths or globs of a repository, held by the calling task until ttlSec passes or the task ends (a person's until ttlSec or release_files). A pattern another holder's live lease overlaps is refused, naming that lease. The scheduler does not start an Engineer whose plan touches a file leased by another issue's task.",
      inputSchema: MemoryToolInputs.lease_files,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true }
    },
    async (input) => {
      const result = await call('leases.take', input)
      return answer({ granted: result.granted, refused: result.refused })
    }
  )
  server.registerTool(
    'release_files',
    {
      title: 'Release files',
      description: 'Releases leases the caller took with lease_files: the patterns named (as leased), or all of them in the repository.',
      inputSchema: MemoryToolInputs.release_files,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true }
    },
    async (input) => answer(await call('leases.release', input))
  )
}
