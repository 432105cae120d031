// `baton mcp`: Baton's MCP tools over stdio for any MCP client (Claude Code,
// Codex, desktop assistants). It talks to the running app through the URL
// and token in the data folder's lock file, as the CLI does — and unlike the
// CLI it never starts a core of its own: an MCP client keeps this process for
// its whole session, and a second core would fight the app for the folder.
// stdout carries JSON-RPC only; anything for a person goes to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { AppError } from '../../shared/errors'
import { callRunning } from '../cli-client'
import { readLock, type LockInfo } from '../instance-lock'
import { callerOf, createBatonMcpServer } from './tools'

/** The running app's address and token, or an AppError that says what to do. */
export function runningApp(dataDir: string): LockInfo & { url: string; token: string } {
  const lock = readLock(dataDir)
  if (!lock) {
    throw new AppError('unavailable', `No Baton is running on ${dataDir}. Start it first (baton serve --data-dir ${dataDir}), then run baton mcp.`)
  }
  if (!lock.url || !lock.token) {
    throw new AppError(
      'unavailable',
      lock.mode === 'desktop'
        ? `The Baton desktop app (pid ${lock.pid}) holds ${dataDir}, and its local API is not up: it is still starting, or it could not start (its log says why).`
        : `The Baton on ${dataDir} (pid ${lock.pid}) is still starting: try again in a moment.`
    )
  }
  return { ...lock, url: lock.url, token: lock.token }
}

/** Serves until stdin ends. The lock is read again at each call, so a restarted app (new port, new token) is found. */
export async function runMcpStdio(dataDir: string): Promise<void> {
  runningApp(dataDir) // no app at start: say so and exit, before the client sees a server
  const server = createBatonMcpServer(callerOf((method, input) => callRunning(runningApp(dataDir), method, input)))
  const transport = new StdioServerTransport()
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve()
    process.stdin.once('end', () => resolve())
  })
  await server.connect(transport)
  await closed
  await server.close()
}
