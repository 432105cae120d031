// Per-task MCP tokens (DESIGN.md §11, issue #14). Each Claude Code or Codex
// attempt gets a random token of its own, scoped to its task: with it `/mcp`
// answers (and nothing else the server serves), and every tool call is held
// to the task's issue (task-policy.ts). It is never the app's token and never
// the GitHub token: code the agent runs (a repository's tests) can read what
// the agent can, so what it can read must be worth only its own task.
//
// Held in memory only, as a SHA-256 of the token: valid while the attempt
// runs, revoked when it ends (answered, lost, cancelled or stopped), and gone
// when main restarts — a token left in a trigger file by an earlier run is
// dead. A re-run of a pending trigger after a restart gets a fresh one
// (agents/supervisor.ts, refreshTrigger).
import { createHash, randomBytes } from 'node:crypto'
import { agentName } from '../../shared/agent-name'

export interface TaskScope {
  taskId: string
  attempt: number
  /** The agent instance (engineer, engineer-2). */
  instance: string
  /** The task's repository, owner/name. */
  repo: string
  /** The task's issue number in `repo`. */
  issue: number
  /** `<instance>@<owner/repo>`: how audit rows and answers name it. */
  agent: string
}

const digest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex')

export class TaskTokens {
  private readonly byHash = new Map<string, TaskScope>()

  /** A new token for this attempt; any earlier token of the same task stops working (one attempt runs at a time). */
  mint(scope: Omit<TaskScope, 'agent'>): string {
    this.revoke(scope.taskId)
    // 32 random bytes: as strong as the app token, and unguessable in any number of tries.
    const token = `bt_task_${randomBytes(32).toString('base64url')}`
    this.byHash.set(digest(token), { ...scope, agent: agentName(scope.instance, scope.repo) })
    return token
  }

  /** The scope a token grants, or null (none, unknown or revoked). */
  resolve(token: string | undefined | null): TaskScope | null {
    if (!token) return null
    const scope = this.byHash.get(digest(token))
    return scope ? { ...scope } : null
  }

  /** Ends the task's token (of that attempt only, when given). Returns how many were revoked. */
  revoke(taskId: string, attempt?: number): number {
    let n = 0
    for (const [hash, scope] of this.byHash) {
      if (scope.taskId === taskId && (attempt === undefined || scope.attempt === attempt)) {
        this.byHash.delete(hash)
        n++
      }
    }
    return n
  }

  revokeAll(): void {
    this.byHash.clear()
  }

  /** How many tokens are valid now. */
  get size(): number {
    return this.byHash.size
  }
}
