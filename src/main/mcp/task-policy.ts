// What a task's token may do (DESIGN.md §11, issue #14): one policy per tool,
// given the tool's parsed input (after its zod schema) and the task's scope.
// A tool with no entry is refused to a task's token: a tool added to
// tools.ts is closed to agents until its policy says what it may touch.
// The app's own token (a person, `baton mcp`) is not checked here.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { AppError } from '../../shared/errors'
import type { TaskScope } from './task-tokens'

/** null: allowed; a string: why not (shown to the agent as the tool's error). */
export type ToolPolicy = (scope: TaskScope, input: Record<string, unknown>) => string | null

const sameRepo = (a: unknown, b: string): boolean => typeof a === 'string' && a.toLowerCase() === b.toLowerCase()

/** `owner/repo#n`, read as the tools write it. */
export function parseIssueRef(ref: unknown): { repo: string; number: number } | null {
  if (typeof ref !== 'string') return null
  const m = /^([A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100})#([1-9][0-9]{0,9})$/.exec(ref.trim())
  return m ? { repo: m[1]!, number: Number(m[2]) } : null
}

const own = (scope: TaskScope): string => `${scope.repo}#${scope.issue}`
export const onlyOwn = (scope: TaskScope): string => `this task's token acts on ${own(scope)} only`

const isOwnRef = (scope: TaskScope, ref: unknown): boolean => {
  const parsed = parseIssueRef(ref)
  return parsed !== null && sameRepo(parsed.repo, scope.repo) && parsed.number === scope.issue
}

/** `repo` and `number` name the task's own issue. */
const ownIssue: ToolPolicy = (scope, input) => {
  if (sameRepo(input.repo, scope.repo) && input.number === scope.issue) return null
  const named = typeof input.repo === 'string' ? `${input.repo}${input.number === undefined ? '' : `#${String(input.number)}`}` : 'another issue'
  return `${onlyOwn(scope)}, not ${named}`
}

/** `from` is the task's own issue (what it files links back to it). */
const fromOwnIssue: ToolPolicy = (scope, input) => {
  if (input.from === undefined) return `${onlyOwn(scope)}: give from: "${own(scope)}"`
  if (isOwnRef(scope, input.from)) return null
  return `${onlyOwn(scope)}, not from ${String(input.from)}`
}

/**
 * Memory scopes (issue #14): `issue:` its own issue, `repo:` its own
 * repository, `agent:` any agent's to read and its own to write, `private:`
 * its own only. `write` says whether the tool changes the scope.
 */
export function memoryScope(write: boolean): ToolPolicy {
  return (scope, input) => {
    const s = typeof input.scope === 'string' ? input.scope : ''
    const [kind, ...rest] = s.split(':')
    const value = rest.join(':')
    if (kind === 'issue') return isOwnRef(scope, value) ? null : `${onlyOwn(scope)}, not ${s}`
    if (kind === 'repo') return sameRepo(value, scope.repo) ? null : `this task's token acts on ${scope.repo} only, not ${s}`
    if (kind === 'agent') return !write || value === scope.agent ? null : `this task's token writes agent:${scope.agent} only, not ${s}`
    if (kind === 'private') return value === scope.agent ? null : `this task's token reads and writes private:${scope.agent} only, not ${s}`
    return `scope ${JSON.stringify(s)} is not one this task's token may use (issue:, repo:, agent: or private:)`
  }
}

/** The tools a task's token may call, and on what. */
export const TASK_POLICY: Readonly<Record<string, ToolPolicy>> = {
  issue_status: ownIssue,
  // Without `number` it lists the repository's tasks, which name other issues.
  list_tasks: (scope, input) => (input.number === undefined ? `${onlyOwn(scope)}: give number: ${scope.issue}` : ownIssue(scope, input)),
  create_issue: fromOwnIssue,
  handoff_to_project: fromOwnIssue,
  // Presence names agents, not issues: any agent may ask.
  who_is_online: () => null,
  remember: memoryScope(true),
  forget: memoryScope(true),
  recall: memoryScope(false),
  // Leases are held by the calling task itself (its own files, its own ttl).
  lease_files: () => null,
  release_files: () => null
}

/** Why the task may not make this call, or null. */
export function checkTaskCall(scope: TaskScope, tool: string, input: unknown, policy: Readonly<Record<string, ToolPolicy>> = TASK_POLICY): string | null {
  const rule = Object.hasOwn(policy, tool) ? policy[tool] : undefined
  if (!rule) return `${tool} is not open to a task's token (${own(scope)})`
  return rule(scope, typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {})
}

/** Called before each tool runs, with its parsed input: throws to refuse it. */
export type ToolGuard = (tool: string, input: unknown) => void

/**
 * Puts `guard` in front of every tool registered on `server` from now on —
 * those tools.ts registers and any added later — so no tool can skip it.
 */
export function guardTools(server: McpServer, guard: ToolGuard): void {
  const register = server.registerTool.bind(server) as (name: string, config: unknown, cb: (...args: unknown[]) => unknown) => unknown
  ;(server as { registerTool: unknown }).registerTool = (name: string, config: unknown, cb: (...args: unknown[]) => unknown) =>
    register(name, config, async (...args: unknown[]) => {
      guard(name, args[0])
      return cb(...args)
    })
}

/** A guard for a task's token: refusals are AppErrors the tool's answer carries; `seen` records each call (allowed or not). */
export function taskGuard(scope: TaskScope, seen: (call: { tool: string; refused: string | null }) => void): ToolGuard {
  return (tool, input) => {
    const refused = checkTaskCall(scope, tool, input)
    seen({ tool, refused })
    if (refused) throw new AppError('forbidden', `Refused: ${refused}.`)
  }
}
