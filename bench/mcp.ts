// MCP round trips (issue #14): a tool call (`who_is_online`, which reads the
// app's agents.list) beside a bare JSON-RPC exchange (`ping`, answered by the
// MCP server without the app) over the same transport in the same run:
// `baton mcp` over stdio (then HTTP to the app's API), and `/mcp` on the
// headless server (in-process). The built app, as a person runs it.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

const ms = (v: number) => `${v.toFixed(2)} ms`
function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

async function time(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await fn() // warm-up
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn()
    out.push(performance.now() - t0)
  }
  return out
}

export async function benchMcp(n = 300): Promise<Record<string, number | string>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-bench-mcp-'))
  const app = spawn(process.execPath, ['bin/baton.js', 'serve', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const figures: Record<string, number | string> = {}
  try {
    await new Promise<void>((resolve, reject) => {
      let out = ''
      app.stdout.on('data', (c) => {
        out += c
        if (out.includes('Open: ')) resolve()
      })
      app.once('exit', (code) => reject(new Error(`baton serve exited ${code}`)))
    })
    const lock = JSON.parse(readFileSync(join(dataDir, 'baton.lock'), 'utf8')) as { url: string; token: string }
    const call = (client: Client) => () => client.callTool({ name: 'who_is_online', arguments: {} })
    const ping = (client: Client) => () => client.ping()

    const stdio = new Client({ name: 'bench', version: '1' })
    await stdio.connect(new StdioClientTransport({ command: process.execPath, args: ['bin/baton.js', 'mcp', '--data-dir', dataDir], cwd: process.cwd() }))
    const http = new Client({ name: 'bench', version: '1' })
    await http.connect(new StreamableHTTPClientTransport(new URL(`${new URL(lock.url).origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${lock.token}` } } }))
    try {
      for (const [name, client] of [['stdio', stdio], ['HTTP', http]] as const) {
        const tool = await time(n, call(client))
        const echo = await time(n, ping(client))
        figures[`${name}: tool call who_is_online p50 / p99 (${n} calls)`] = `${ms(pct(tool, 50))} / ${ms(pct(tool, 99))}`
        figures[`${name}: bare JSON-RPC ping p50 / p99 (${n} calls)`] = `${ms(pct(echo, 50))} / ${ms(pct(echo, 99))}`
      }
    } finally {
      await stdio.close()
      await http.close()
    }
  } finally {
    const exited = new Promise((r) => app.once('exit', r))
    app.kill('SIGTERM')
    await exited
    rmSync(dataDir, { recursive: true, force: true })
  }
  return figures
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchMcp())
