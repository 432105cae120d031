// Memory scopes and who may use them (DESIGN.md §11, issue #14). Pure: the
// store (store/memory.ts) keeps entries, the handlers (api/memory-handlers.ts)
// ask here first.
//
//   issue:owner/repo#n   an issue's memory; today's notes are part of it
//   repo:owner/repo      a repository's
//   agent:<name>         an agent's public memory: its owner writes, all read
//   private:<name>       an agent's own: only its owner reads and writes
//
// Names are `<instance>@<owner/repo>` (shared/agent-name.ts). Who calls is a
// `Caller`: a person (the app's token: the desktop, `baton mcp`, `/mcp`), or
// an agent acting for its task (h2's per-task tokens resolve a token to one
// with `agentCaller`). A person reads and writes issue and repository memory
// and reads agents' public memory; an agent's `agent:` scope is written only
// by that agent, and `private:` is nobody's but the agent's — not even the
// person's, who sees the data folder anyway but whose tools and pages never
// show it. Scoping a task's agent to its own issue is the task token's policy
// (h2), not this module's: here an agent may use any issue or repo scope.
import { AppError } from '../../shared/errors'

export type Caller =
  | { kind: 'person'; login: string | null }
  | {
      kind: 'agent'
      /** `<instance>@<owner/repo>`: the instance and its task's repository. */
      name: string
      taskId: string
      repoId: number
      issue: number
    }

export type Scope =
  | { kind: 'issue'; repo: string; number: number }
  | { kind: 'repo'; repo: string }
  | { kind: 'agent'; name: string }
  | { kind: 'private'; name: string }

const REPO = '[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}'
const NAME = `[a-z][a-z0-9-]{0,39}@${REPO}`
const SCOPE = new RegExp(`^(?:issue:(${REPO})#([1-9][0-9]{0,9})|repo:(${REPO})|agent:(${NAME})|private:(${NAME}))$`)

export const SCOPE_HELP = 'a scope is issue:owner/repo#n, repo:owner/repo, agent:<instance>@<owner/repo> or private:<instance>@<owner/repo>'

/** The scope a string names, or null. Agent names are lower-cased (GitHub's owner and repository names are not case-sensitive). */
export function parseScope(text: string): Scope | null {
  const m = SCOPE.exec(text.trim())
  if (!m) return null
  if (m[1] && m[2]) {
    const number = Number(m[2])
    return number <= 2 ** 31 - 1 ? { kind: 'issue', repo: m[1], number } : null
  }
  if (m[3]) return { kind: 'repo', repo: m[3] }
  if (m[4]) return { kind: 'agent', name: m[4].toLowerCase() }
  if (m[5]) return { kind: 'private', name: m[5].toLowerCase() }
  return null
}

export function scopeText(scope: Scope): string {
  switch (scope.kind) {
    case 'issue':
      return `issue:${scope.repo}#${scope.number}`
    case 'repo':
      return `repo:${scope.repo}`
    default:
      return `${scope.kind}:${scope.name}`
  }
}

/** Who the caller is, in an entry's `author` and in the audit. */
export function callerName(caller: Caller): string {
  return caller.kind === 'agent' ? caller.name : (caller.login ?? 'person')
}

const isOwner = (caller: Caller, name: string) => caller.kind === 'agent' && caller.name.toLowerCase() === name

/** Throws `forbidden` with what the caller may do instead, unless it may read the scope. */
export function checkRead(caller: Caller, scope: Scope): void {
  if (scope.kind === 'private' && !isOwner(caller, scope.name)) {
    throw new AppError('forbidden', `${scopeText(scope)} is private to ${scope.name}: only that agent reads it (its agent: scope is the one others read).`)
  }
}

/** Throws `forbidden` unless the caller may write (remember, forget) the scope. */
export function checkWrite(caller: Caller, scope: Scope): void {
  if ((scope.kind === 'agent' || scope.kind === 'private') && !isOwner(caller, scope.name)) {
    const who = caller.kind === 'agent' ? caller.name : 'a person'
    throw new AppError(
      'forbidden',
      scope.kind === 'private'
        ? `${scopeText(scope)} is private to ${scope.name}: only that agent writes it.`
        : `${scopeText(scope)} is written only by ${scope.name} (${who} may read it; write to an issue: or repo: scope instead).`
    )
  }
}
