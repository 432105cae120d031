// Baton's MCP tools (DESIGN.md §11, issue #14): each a zod schema the SDK
// checks (and lists as JSON Schema), answered by the app's own API methods —
// so what they change is checked and audited where the app does it
// (issues.create → `issue.create`), and a tool can do nothing the API cannot.
// The same tools serve `baton mcp` (stdio, the API over HTTP) and `/mcp` on
// the headless server (in-process); only the ApiCaller differs.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { ApiInput, ApiMethod, ApiOutput, BoardIssue, IssueDetail, RepoSummary, TaskInfo } from '../../shared/api'
import { AppError } from '../../shared/errors'
import { VERSION } from '../version'
import { MemoryToolInputs, registerMemoryTools } from './memory-tools'
import { presenceByProject, presenceOf } from './presence'
import { guardTools, type ToolGuard } from './task-policy'
import { agentName } from '../../shared/agent-name'

/** One call to the app's API; throws AppError with the app's own message when the app refuses. */
export type ApiCaller = <M extends ApiMethod>(method: M, input: ApiInput<M>) => Promise<ApiOutput<M>>

// The SDK names the failing field after the message ("… at repo"), so each message says what is expected.
const Repo = z
  .string({ error: () => 'repo is a repository named owner/name, e.g. acme/shop' })
  .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, 'repo is a repository named owner/name, e.g. acme/shop')
  .describe('A connected repository, as owner/name')
const IssueNumber = z
  .number({ error: () => 'number is an issue number (a whole number from 1)' })
  .int('number is an issue number (a whole number from 1)')
  .min(1, 'number is an issue number (a whole number from 1)')
  .max(2 ** 31 - 1, 'number is an issue number (a whole number from 1)')
  .describe('The issue number')

// `from` of the tools that file something for an issue: a task's token may
// name only its own (task-policy.ts), and what is filed links back to it.
const FromIssue = z
  .string({ error: () => 'from is the issue this comes from, as owner/repo#n, e.g. acme/app#3' })
  .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}#[1-9][0-9]{0,9}$/, 'from is the issue this comes from, as owner/repo#n, e.g. acme/app#3')
  .describe('The issue this is filed from, as owner/repo#n (an agent gives its own task\'s issue)')

export const ToolInputs = {
  // remember, recall, forget, lease_files, release_files (memory-tools.ts, issue #14)
  ...MemoryToolInputs,
  issue_status: z.object({ repo: Repo, number: IssueNumber }).strict(),
  list_tasks: z
    .object({
      repo: Repo,
      number: IssueNumber.optional().describe("One issue's tasks; without it, the repository's most recently updated tasks"),
      limit: z
        .number({ error: () => 'limit is a whole number from 1 to 200' })
        .int('limit is a whole number from 1 to 200')
        .min(1, 'limit is a whole number from 1 to 200')
        .max(200, 'limit is a whole number from 1 to 200')
        .default(50)
        .describe('At most this many tasks (default 50)')
    })
    .strict(),
  create_issue: z
    .object({
      repo: Repo,
      title: z
        .string({ error: () => 'title is the issue title (text)' })
        .trim()
        .min(1, 'title is needed')
        .max(256, 'title is at most 256 characters'),
      body: z.string({ error: () => 'body is Markdown text' }).max(65_536, 'body is at most 65,536 characters').default(''),
      labels: z
        .array(z.string({ error: () => 'a label is a name' }).min(1, 'a label is a name').max(100, 'a label is at most 100 characters'), {
          error: () => 'labels is a list of label names'
        })
        .max(20, 'at most 20 labels')
        .default([]),
      from: FromIssue.optional()
    })
    .strict(),
  who_is_online: z.object({}).strict(),
  // handoff_to_project (issue #14): its fields checked here in the words an agent reads; the API (handoffs.create) checks them again.
  handoff_to_project: z
    .object({
      from: z
        .string({ error: () => 'from is the origin issue, as owner/repo#n, e.g. acme/app#3' })
        .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}#[1-9][0-9]{0,9}$/, 'from is the origin issue, as owner/repo#n, e.g. acme/app#3')
        .describe('The issue the work comes from, as owner/repo#n: it waits until the new issue closes, then resumes'),
      to: z
        .string({ error: () => 'to is a connected repository named owner/name, e.g. acme/lib' })
        .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, 'to is a connected repository named owner/name, e.g. acme/lib')
        .describe('The connected repository that should do the work, as owner/name'),
      title: z
        .string({ error: () => 'title is the new issue title (text)' })
        .trim()
        .min(1, 'title is needed')
        .max(256, 'title is at most 256 characters'),
      summary: z
        .string({ error: () => 'summary is Markdown text: what is wrong, and how it was found' })
        .trim()
        .min(1, 'summary is needed: what is wrong, and how it was found')
        .max(20_000, 'summary is at most 20,000 characters')
        .describe('What is wrong and how it was found (Markdown)'),
      repro: z.string({ error: () => 'repro is Markdown text' }).max(20_000, 'repro is at most 20,000 characters').optional().describe('Steps to reproduce (Markdown, a section of its own)'),
      logs: z.string({ error: () => 'logs is text' }).max(30_000, 'logs is at most 30,000 characters').optional().describe('Log output or a stack trace, shown verbatim in a fenced block'),
      diffs: z.string({ error: () => 'diffs is text' }).max(30_000, 'diffs is at most 30,000 characters').optional().describe('A diff (a fix tried, or the change that broke it), shown in a fenced diff block'),
      hypotheses: z
        .array(z.string({ error: () => 'a hypothesis is text' }).min(1, 'a hypothesis is text').max(2_000, 'a hypothesis is at most 2,000 characters'), {
          error: () => 'hypotheses is a list of texts'
        })
        .max(20, 'at most 20 hypotheses')
        .default([])
        .describe('What may be wrong, one item each'),
      labels: z
        .array(z.string({ error: () => 'a label is a name' }).min(1, 'a label is a name').max(100, 'a label is at most 100 characters'), {
          error: () => 'labels is a list of label names'
        })
        .max(20, 'at most 20 labels')
        .default([])
        .describe("Labels for the new issue (default: the target pipeline's entry stage)")
    })
    .strict()
} as const

/** A task result shown to an MCP client: long answers are cut here (issue_status links the whole issue). */
const RESULT_CHARS = 2000
/** list_tasks of a whole repository reads at most this many issues, most recently updated first. */
const MAX_ISSUES_READ = 100

export { presenceOf, type Presence } from './presence'

async function repoNamed(call: ApiCaller, name: string): Promise<RepoSummary> {
  const repos = await call('repos.list', {})
  const wanted = name.toLowerCase()
  const match = repos.find((r) => `${r.owner}/${r.name}`.toLowerCase() === wanted)
  if (!match) throw new AppError('not_found', `${name} is not connected to Baton. Connected: ${repos.map((r) => `${r.owner}/${r.name}`).join(', ') || 'none'}.`)
  return match
}

function taskView(repo: string, issue: number, t: TaskInfo) {
  return {
    id: t.id,
    issue: `${repo}#${issue}`,
    stage: t.stage,
    role: t.role,
    /** `<instance>@<owner/repo>` (DESIGN.md §11); `instance` is the process's own name. */
    agent: t.agent ? agentName(t.agent, repo) : null,
    instance: t.agent,
    state: t.state,
    attempt: t.attempt,
    attempts: t.attempts.length,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    result: t.result && t.result.length > RESULT_CHARS ? `${t.result.slice(0, RESULT_CHARS)}… (cut; ${t.result.length} characters)` : t.result
  }
}

/** Stage, state, what it waits for and its PR: the card's words (activity, reason) over the issue's detail. */
export function issueStatus(detail: IssueDetail, card: BoardIssue | undefined) {
  const last = detail.tasks.at(-1)
  return {
    issue: `${detail.repo}#${detail.number}`,
    title: detail.title,
    url: detail.url,
    state: detail.state,
    stage: detail.stage,
    activity: detail.activity,
    /** Why it waits, is blocked or failed (null when nothing holds it). */
    waitsFor: detail.reason,
    owner: card?.owner ?? null,
    agent: card?.agent ? agentName(card.agent, detail.repo) : null,
    pr: detail.pr,
    task: last ? taskView(detail.repo, detail.number, last) : null,
    updatedAt: detail.updatedAt
  }
}

async function listTasks(call: ApiCaller, input: z.output<(typeof ToolInputs)['list_tasks']>) {
  const repo = await repoNamed(call, input.repo)
  const full = `${repo.owner}/${repo.name}`
  if (input.number !== undefined) {
    const detail = await call('issues.detail', { repoId: repo.id, number: input.number })
    const tasks = detail.tasks.map((t) => taskView(full, detail.number, t)).reverse()
    return { repo: full, issue: input.number, tasks: tasks.slice(0, input.limit), truncated: tasks.length > input.limit }
  }
  // The API has no repository-wide task list: the board's issues, most
  // recently changed first, are read one by one until the limit is reached.
  const cards = (await call('issues.board', { repoId: repo.id })).slice().sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
  const tasks: Array<ReturnType<typeof taskView>> = []
  let read = 0
  for (const card of cards.slice(0, MAX_ISSUES_READ)) {
    const detail = await call('issues.detail', { repoId: repo.id, number: card.number })
    read++
    tasks.push(...detail.tasks.map((t) => taskView(full, detail.number, t)))
  }
  tasks.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
  return {
    repo: full,
    tasks: tasks.slice(0, input.limit),
    truncated: tasks.length > input.limit || cards.length > MAX_ISSUES_READ,
    issuesRead: read,
    issuesOnBoard: cards.length
  }
}

function answer(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }], structuredContent: data }
}

/**
 * An MCP server with Baton's tools over `call`. One per connection (the HTTP
 * transport is stateless: one per request). `guard` (a task's token,
 * task-policy.ts) sees every tool call, with its parsed input, before it runs.
 */
export function createBatonMcpServer(call: ApiCaller, guard?: ToolGuard): McpServer {
  const server = new McpServer({ name: 'baton', version: VERSION })
  // First, so every tool registered below (and any added later) is behind it.
  if (guard) guardTools(server, guard)
  server.registerTool(
    'issue_status',
    {
      title: 'Issue status',
      description: "An issue's pipeline stage, whether it is open, what it waits for (or why it is blocked or failed), its agent and its pull request.",
      inputSchema: ToolInputs.issue_status,
      annotations: { readOnlyHint: true }
    },
    async ({ repo, number }) => {
      const summary = await repoNamed(call, repo)
      const detail = await call('issues.detail', { repoId: summary.id, number })
      // `#n` narrows the board to the few cards whose number (or title) holds it, not the whole board.
      const card = (await call('issues.board', { repoId: summary.id, q: `#${number}` })).find((c) => c.number === number)
      return answer(issueStatus(detail, card))
    }
  )
  server.registerTool(
    'list_tasks',
    {
      title: 'List tasks',
      description: "The agents' tasks on one issue, or the most recently updated tasks of a repository: stage, role, agent, state, attempts, result.",
      inputSchema: ToolInputs.list_tasks,
      annotations: { readOnlyHint: true }
    },
    async (input) => answer(await listTasks(call, input))
  )
  server.registerTool(
    'create_issue',
    {
      title: 'Create an issue',
      description:
        "Files an issue in a connected repository on GitHub as the signed-in person; it enters Baton's pipeline under the same trust rules as any issue.",
      inputSchema: ToolInputs.create_issue,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false }
    },
    async ({ repo, title, body, labels, from }) => {
      const summary = await repoNamed(call, repo)
      // GitHub links `owner/repo#n` both ways: the origin shows the new issue in its timeline.
      const linked = from ? `${body.trim() ? `${body.trimEnd()}\n\n` : ''}Filed from ${from}.` : body
      const result = await call('issues.create', { repoId: summary.id, title, body: linked, labels })
      if (!result.created) {
        throw new AppError('unavailable', `GitHub did not take the issue: ${result.draft.error ?? 'unknown error'}. Baton kept it as draft ${result.draft.id}; retry it from the app.`)
      }
      return answer({ created: true, issue: `${summary.owner}/${summary.name}#${result.number}`, number: result.number, url: result.url })
    }
  )
  server.registerTool(
    'who_is_online',
    {
      title: 'Who is online',
      description:
        "Baton's agent instances: online (idle), busy (working, with its task and issue) or offline (stalled, crashed, stopped or paused), from their heartbeats; under projects, every connected repository with each instance named <instance>@<owner/repo> and its last heartbeat's age.",
      inputSchema: ToolInputs.who_is_online,
      annotations: { readOnlyHint: true }
    },
    async () => {
      const agents = await call('agents.list', {})
      const repos = await call('repos.list', {})
      return answer({
        projects: presenceByProject(repos, agents, new Date()),
        agents: agents.map((a) => ({
          name: a.name,
          role: a.role,
          provider: a.provider,
          presence: presenceOf(a.state),
          state: a.state,
          task: a.task,
          issue: a.repo && a.issue !== null ? `${a.repo}#${a.issue}` : null,
          /** Busy: its name in the project it works for, `<instance>@<owner/repo>`. */
          agent: a.repo ? agentName(a.name, a.repo) : null,
          since: a.since,
          lastHeartbeat: a.lastHeartbeat
        }))
      })
    }
  )
  server.registerTool(
    'handoff_to_project',
    {
      title: 'Hand off to another project',
      description:
        'Files an issue in another connected repository with the full context (summary, repro, logs, diffs, hypotheses) linked to the origin issue, which gets a comment and waits for it; when it closes the origin resumes with the outcome. Into a repository of another owner it first waits for the person\'s approval.',
      inputSchema: ToolInputs.handoff_to_project,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true }
    },
    async ({ from, to, title, summary, repro, logs, diffs, hypotheses, labels }) => {
      const [originRepo, number] = from.split('#') as [string, string]
      const origin = await repoNamed(call, originRepo)
      const target = await repoNamed(call, to)
      const h = await call('handoffs.create', { repoId: origin.id, issue: Number(number), toRepoId: target.id, title, summary, repro, logs, diffs, hypotheses, labels })
      const waits = h.state === 'approval' ? `${h.from} waits for the person's approval to hand off to ${h.to}` : h.issue ? `${h.from} waits for ${h.issue}` : `${h.from} waits to hand off to ${h.to}`
      return answer({ handoff: h.id, state: h.state, from: h.from, to: h.to, issue: h.issue, number: h.number, url: h.url, waits })
    }
  )
  registerMemoryTools(server, call)
  return server
}

/** An ApiCaller over an ApiResult-returning function (the core's `call`, or the HTTP API). */
export function callerOf(raw: (method: ApiMethod, input: unknown) => Promise<{ ok: true; data: unknown } | { ok: false; error: { code: AppError['code']; message: string; details?: Record<string, unknown> } }>): ApiCaller {
  return async (method, input) => {
    const result = await raw(method, input)
    if (!result.ok) throw new AppError(result.error.code, result.error.message, result.error.details)
    return result.data as never
  }
}
