// Baton's own agents as MCP clients (DESIGN.md §11, issue #14): each Claude
// Code or Codex attempt is handed `/mcp`'s address and a token scoped to its
// task (task-tokens.ts) in its trigger; the runner turns them into the CLI's
// MCP config (providers/mcp-config.ts). The address is the headless server's
// once it listens (serve.ts); the desktop app serves no HTTP, so there its
// agents run without Baton's MCP tools (the trigger carries none).
import { readdirSync } from 'node:fs'
import { Trigger } from '../../shared/protocol/trigger'
import { ipcPaths, readEntry, writeAtomic } from '../agents/file-ipc'
import { TaskTokens } from './task-tokens'

/** Providers whose CLI speaks MCP and gets Baton's tools. */
export const MCP_PROVIDERS: ReadonlySet<string> = new Set(['claude-code', 'codex'])

export class AgentMcp {
  readonly tokens = new TaskTokens()
  private url: string | null = null

  /** The server's `/mcp` address while it listens; null when it stops (tokens die with it). */
  serve(url: string | null): void {
    this.url = url
    if (url === null) this.tokens.revokeAll()
  }

  endpoint(): string | null {
    return this.url
  }

  /**
   * The trigger as handed to the agent: with `mcp` (the address and a fresh
   * token for this attempt) when its provider speaks MCP and a server
   * listens; else without (an earlier run's `mcp`, dead by now, dropped).
   */
  grant(trigger: Trigger, provider: string): Trigger {
    const { mcp: _old, ...rest } = trigger
    if (!this.url || !MCP_PROVIDERS.has(provider)) return rest
    const token = this.tokens.mint({
      taskId: trigger.task,
      attempt: trigger.attempt,
      instance: trigger.agent,
      repo: `${trigger.repo.owner}/${trigger.repo.name}`,
      issue: trigger.issue.number
    })
    return { ...rest, mcp: { url: this.url, token } }
  }

  /**
   * Before the agents start: each trigger an earlier run left for a running
   * attempt carries that run's token, which died with it. It is written again
   * with a fresh one (or none, when no server listens yet), so the re-run
   * gets a token that works or none at all. Triggers of attempts that ended
   * are left alone: no token is minted for them.
   */
  regrantPending(ipcDir: string, running: (task: string, attempt: number) => boolean, providerOf: (agent: string) => string): void {
    const paths = ipcPaths(ipcDir)
    let names: string[]
    try {
      names = readdirSync(paths.triggers).filter((n) => n.endsWith('.trigger'))
    } catch {
      return // no folder yet: nothing pending
    }
    for (const name of names) {
      const file = `${paths.triggers}/${name}`
      const entry = readEntry(file, 16 * 1024 * 1024)
      if (entry.kind !== 'file') continue
      let raw: unknown
      try {
        raw = JSON.parse(entry.text)
      } catch {
        continue // the runner answers an unreadable trigger itself
      }
      const checked = Trigger.safeParse(raw)
      if (!checked.success) continue
      const trigger = checked.data
      if (!trigger.mcp || !running(trigger.task, trigger.attempt)) continue
      // Written back as it was (fields this version does not know kept), with only `mcp` new.
      writeAtomic(file, JSON.stringify(this.grant(raw as Trigger, providerOf(trigger.agent))))
    }
  }

  /** The attempt ended (answered, lost, cancelled): its token stops working. */
  end(taskId: string, attempt?: number): void {
    this.tokens.revoke(taskId, attempt)
  }
}
