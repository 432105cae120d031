// Scoped memory and file leases across the API and MCP (issue #14): the input
// schemas both check (api.ts's `memory.*`/`leases.*`, mcp/tools.ts's tools)
// and what they answer. Each message says what is expected: the MCP SDK names
// the field after it.
import { z } from 'zod'

const SCOPE_MESSAGE = 'scope is issue:owner/repo#n, repo:owner/repo, agent:<instance>@<owner/repo> or private:<instance>@<owner/repo>'
export const MemoryScope = z
  .string({ error: () => SCOPE_MESSAGE })
  .trim()
  .min(1, SCOPE_MESSAGE)
  .max(260, SCOPE_MESSAGE)
  .describe('issue:owner/repo#n, repo:owner/repo, agent:<instance>@<owner/repo> (its owner writes, all read) or private:<instance>@<owner/repo> (only its owner)')
const KEY_MESSAGE = 'key is 1 to 200 letters, digits and . _ : / - (starting with a letter or digit)'
export const MemoryKey = z
  .string({ error: () => KEY_MESSAGE })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/, KEY_MESSAGE)
  .describe('A name for the entry within its scope; remembering the same key again replaces it')
const TTL_MESSAGE = 'ttlSec is a whole number of seconds from 1 to 31,536,000 (a year)'
const Ttl = z.number({ error: () => TTL_MESSAGE }).int(TTL_MESSAGE).min(1, TTL_MESSAGE).max(31_536_000, TTL_MESSAGE)
const LIMIT_MESSAGE = 'limit is a whole number from 1 to 200'
const REPO_MESSAGE = 'repo is a repository named owner/name, e.g. acme/shop'

export const RememberInput = z
  .object({
    scope: MemoryScope,
    key: MemoryKey,
    text: z.string({ error: () => 'text is what to remember (text)' }).min(1, 'text is needed').max(65_536, 'text is at most 65,536 characters'),
    ttlSec: Ttl.optional().describe('Forget it after this many seconds (default: kept until forgotten)')
  })
  .strict()

export const RecallInput = z
  .object({
    scope: MemoryScope,
    key: MemoryKey.optional().describe('Only this key'),
    prefix: z.string({ error: () => 'prefix is the start of a key (text)' }).max(200, 'prefix is at most 200 characters').optional().describe('Only keys that start with this'),
    query: z.string({ error: () => 'query is text to look for' }).trim().min(1, 'query is text to look for').max(200, 'query is at most 200 characters').optional().describe('Only entries whose key or text holds this (any case)'),
    limit: z.number({ error: () => LIMIT_MESSAGE }).int(LIMIT_MESSAGE).min(1, LIMIT_MESSAGE).max(200, LIMIT_MESSAGE).default(20).describe('At most this many entries, newest first (default 20)')
  })
  .strict()

export const ForgetInput = z.object({ scope: MemoryScope, key: MemoryKey }).strict()

const PATHS_MESSAGE = 'paths is a list of 1 to 50 paths or globs inside the repository (e.g. src/calc.js, src/**/*.ts)'
export const LeaseInput = z
  .object({
    paths: z
      .array(z.string({ error: () => PATHS_MESSAGE }).min(1, PATHS_MESSAGE).max(500, 'a path is at most 500 characters'), { error: () => PATHS_MESSAGE })
      .min(1, PATHS_MESSAGE)
      .max(50, PATHS_MESSAGE)
      .describe('Paths or globs (*, **, ?, [..], {a,b}) from the repository root'),
    ttlSec: z
      .number({ error: () => 'ttlSec is a whole number of seconds from 1 to 86,400 (a day)' })
      .int('ttlSec is a whole number of seconds from 1 to 86,400 (a day)')
      .min(1, 'ttlSec is a whole number of seconds from 1 to 86,400 (a day)')
      .max(86_400, 'ttlSec is a whole number of seconds from 1 to 86,400 (a day)')
      .describe('The lease ends after this many seconds, or when its task ends, whichever is first'),
    reason: z.string({ error: () => 'reason is text' }).max(500, 'reason is at most 500 characters').optional().describe('Why, for whoever waits for it'),
    repo: z
      .string({ error: () => REPO_MESSAGE })
      .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, REPO_MESSAGE)
      .optional()
      .describe("The repository (default: the calling task's; a person must name it)")
  })
  .strict()

export const ReleaseInput = z
  .object({
    paths: z
      .array(z.string({ error: () => PATHS_MESSAGE }).min(1, PATHS_MESSAGE).max(500, 'a path is at most 500 characters'), { error: () => PATHS_MESSAGE })
      .max(50, PATHS_MESSAGE)
      .optional()
      .describe('The patterns to release, as leased (default: all the caller holds there)'),
    repo: z
      .string({ error: () => REPO_MESSAGE })
      .regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, REPO_MESSAGE)
      .optional()
      .describe("The repository (default: the calling task's; a person must name it)")
  })
  .strict()

export interface MemoryEntry {
  scope: string
  key: string
  text: string
  /** `<instance>@<owner/repo>` for an agent, the person's login, or the role of a note. */
  author: string
  createdAt: string
  updatedAt: string
  /** When it will be forgotten; null: kept until forgotten. */
  expiresAt: string | null
  /** `note`: one of the issue's notes (a role's answer: read-only); `memory`: remembered. */
  source: 'memory' | 'note'
}

export interface LeaseView {
  id: number
  repo: string
  pattern: string
  /** `<instance>@<owner/repo>` of the task's agent, or the person's login. */
  holder: string
  /** The holder's issue, as owner/repo#n (null for a person's lease). */
  issue: string | null
  task: string | null
  /** `plan`: main's lease on the plan's files for the Engineer's task; `tool`: lease_files. */
  source: 'plan' | 'tool'
  reason: string | null
  createdAt: string
  /** null: until its task ends. */
  expiresAt: string | null
}

export interface LeaseResult {
  granted: LeaseView[]
  /** Patterns not granted: another holder's live lease overlaps each (named). Ask again later, or release yours. */
  refused: Array<{ pattern: string; heldBy: LeaseView }>
}
