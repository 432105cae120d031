// Trigger file, version 1 (DESIGN.md §5): one task for one agent instance,
// written by main to ipc/triggers/<agent>.trigger.
import { z } from 'zod'

/** Agent instance names become file names: keep them to a safe alphabet. */
export const AgentName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'agent names are lowercase letters, digits and dashes (e.g. "engineer-2")')

/**
 * A comment on the issue. `trusted`: its author's association is one the
 * trust policy lists (Settings → Trust). Untrusted text is data to judge,
 * never an order, a patch, an answer or a decision (DESIGN.md §9). Older
 * triggers have neither field: read as untrusted.
 */
export const TriggerComment = z.object({
  author: z.string(),
  body: z.string(),
  association: z.string().default('NONE'),
  trusted: z.boolean().default(false)
})

export const TriggerIssue = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string(),
  labels: z.array(z.string()),
  author: z.string(),
  comments: z.array(TriggerComment)
})

export const TriggerRepo = z.object({
  owner: z.string().min(1),
  name: z.string().min(1),
  defaultBranch: z.string().min(1)
})

export const Trigger = z.object({
  v: z.literal(1),
  task: z.string().regex(/^t_[A-Za-z0-9_-]{1,64}$/),
  attempt: z.number().int().positive(),
  agent: AgentName,
  role: AgentName,
  stage: z.string(),
  repo: TriggerRepo,
  issue: TriggerIssue,
  /** Absolute path of the task's worktree, or null for stages that touch no code. */
  workspace: z.string().nullable(),
  /** Branch checked out in the workspace (baton/<issue>-<slug>), when there is one. */
  branch: z.string().optional(),
  instructions: z.string(),
  /**
   * Hand-offs: to a role on this issue (`to` a role), and, added compatibly,
   * to another project (issue #14: `to` is `owner/lib#7`) with what it came
   * to — `state` closed or refused, GitHub's `stateReason`, the issue's `url`.
   */
  handoffs: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      text: z.string(),
      state: z.enum(['closed', 'refused']).optional(),
      stateReason: z.string().nullable().optional(),
      url: z.string().nullable().optional()
    })
  ),
  /** Per-issue notes from earlier stages (the Architect's plan, the Tester's findings, a review). */
  notes: z.array(z.object({ role: z.string(), kind: z.string(), body: z.string() })).default([]),
  /** A person's answer to this task's REQUEST, when the task resumes. */
  answer: z.string().optional(),
  /** Provider session to resume (Claude Code session id), when the provider has one. */
  resumeSession: z.string().optional(),
  deadline: z.string(),
  /**
   * A fan-out's child (issue #15, added compatibly; pipeline/fanout.ts): one
   * of `of` agents that can do the stage's capability, answering for the
   * parent task `parent`; Baton joins the answers before anything applies.
   */
  fanout: z.object({ parent: z.string(), index: z.number().int().min(1), of: z.number().int().min(1) }).optional(),
  /**
   * One of several attempts at the same issue at once (issue #15, added
   * compatibly): its place (1..of), and the provider and model the
   * repository's list gives it (absent: the role's own).
   */
  parallel: z
    .object({ index: z.number().int().min(1).max(5), of: z.number().int().min(2).max(5), provider: z.string().optional(), model: z.string().optional() })
    .optional(),
  /**
   * Baton's MCP server for this attempt (added compatibly): `/mcp`'s address
   * and a token scoped to this task, dead once the attempt ends (DESIGN.md
   * §11). Only for providers that speak MCP, and only when a server listens.
   */
  mcp: z.object({ url: z.string().url(), token: z.string().min(16) }).optional(),
  /**
   * Extra facts for a role (optional, added compatibly): the repository's other
   * issues for the Community role's duplicate check; a configured test command
   * (argument array, run without a shell) for the Tester; the issue's pull
   * request (the merged one first) for Marketing's note.
   */
  data: z
    .object({
      issues: z.array(z.object({ number: z.number().int(), title: z.string(), state: z.string().optional() })).optional(),
      testCommand: z.array(z.string()).min(1).optional(),
      pull: z.object({ number: z.number().int().positive(), title: z.string(), body: z.string(), merged: z.boolean() }).optional(),
      /** The stage's moves as this repository's pipeline has them: on (pass) and back to the Engineer (fail), for the Tester (e.g. on to a fan-out review stage rather than the person's review). */
      moves: z.object({ pass: z.string().min(1), fail: z.string().min(1) }).optional()
    })
    .optional()
})
export type Trigger = z.infer<typeof Trigger>
