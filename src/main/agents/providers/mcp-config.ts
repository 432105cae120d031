// Baton's MCP server as each agent CLI is told about it (DESIGN.md §11, issue
// #14). The trigger carries `/mcp`'s address and the attempt's task token
// (mcp/agent-access.ts); the agent's sandbox hides the data folder, lock file
// included, so this is the only way the CLI learns either.
//
// - Claude Code: `--mcp-config <file>`, a JSON file in the attempt's private
//   run folder (runner.ts: inside the sandbox's own tmpfs, never the worktree,
//   where a `git add -A` would commit the token), 0600. `alwaysLoad: true`,
//   because in print mode Claude Code 2.1 does not wait for a server before
//   its first model request unless told to (up to MCP_CONNECT_TIMEOUT_MS);
//   its tools are allowed as `mcp__baton__*`.
// - Codex: `--config mcp_servers.baton.url=…` and `bearer_token_env_var`, the
//   token in that variable of the CLI's environment (Codex refuses a token
//   written in its config; its commands' environment drops variables named
//   *TOKEN* by default). Never on a command line.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Trigger } from '../../../shared/protocol/trigger'

export type TaskMcp = NonNullable<Trigger['mcp']>

/** The server's name in each CLI's config: its tools are `mcp__baton__<tool>` to Claude Code. */
export const MCP_SERVER = 'baton'
/** Claude Code's permission rule for every tool of Baton's server. */
export const CLAUDE_MCP_TOOLS = `mcp__${MCP_SERVER}__*`
/** The variable Codex reads the bearer token from. */
export const CODEX_MCP_TOKEN_ENV = 'BATON_MCP_TOKEN'
/** How long Claude Code waits for the server to connect before its first request (its default is 5 s). */
export const CLAUDE_MCP_CONNECT_MS = '30000'

export function claudeMcpConfig(mcp: TaskMcp): Record<string, unknown> {
  return {
    mcpServers: {
      [MCP_SERVER]: { type: 'http', url: mcp.url, headers: { Authorization: `Bearer ${mcp.token}` }, alwaysLoad: true }
    }
  }
}

/** Writes Claude Code's MCP config into `runDir` (made 0700); returns the file's path. */
export function writeClaudeMcpConfig(runDir: string, mcp: TaskMcp): string {
  mkdirSync(runDir, { recursive: true, mode: 0o700 })
  chmodSync(runDir, 0o700)
  const file = join(runDir, 'mcp.json')
  writeFileSync(file, JSON.stringify(claudeMcpConfig(mcp)), { mode: 0o600 })
  chmodSync(file, 0o600)
  return file
}

/** Codex's `--config` pairs for Baton's server (TOML values), and the variable that carries the token. */
export function codexMcpConfig(mcp: TaskMcp): { config: string[]; env: Record<string, string> } {
  const p = `mcp_servers.${MCP_SERVER}`
  return {
    config: [`${p}.url=${JSON.stringify(mcp.url)}`, `${p}.bearer_token_env_var=${JSON.stringify(CODEX_MCP_TOKEN_ENV)}`],
    env: { [CODEX_MCP_TOKEN_ENV]: mcp.token }
  }
}
