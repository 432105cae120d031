// Hand-off latency of the file protocol over N round trips, back to back with
// no gap: trigger renamed into place → the agent's pickup, and response
// renamed into place → main's record; beside a Unix-socket ping-pong between
// two processes measured in the same run. Target: p99 under 20 ms.
import { fork, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureIpcDirs, ipcPaths, readIfExists, watchFolder, writeAtomic } from '../src/main/agents/file-ipc'

const now = () => performance.timeOrigin + performance.now()
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number
}
const ms = (x: number) => Math.round(x * 100) / 100

async function fileHandoff(rounds: number) {
  const ipcDir = mkdtempSync(join(tmpdir(), 'baton-bench-ipc-'))
  ensureIpcDirs(ipcDir)
  const out = join(ipcDir, 'agent.json')
  const paths = ipcPaths(ipcDir)
  const child = fork('bench/handoff-agent.ts', [ipcDir, 'bench', out, String(rounds)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
  await new Promise<void>((resolve) => child.once('message', () => resolve()))
  const written: Record<string, number> = {}
  const recorded: Record<string, number> = {}
  let i = 0
  await new Promise<void>((resolve) => {
    const send = () => {
      const task = `t_${i++}`
      written[task] = writeAtomic(paths.trigger('bench'), JSON.stringify({ task }))
      watcher.poke()
    }
    const watcher = watchFolder(
      paths.responses,
      '.response',
      () => {
        const raw = readIfExists(paths.response('bench'))
        const task = raw ? /^TASK: (\S+)/.exec(raw)?.[1] : undefined
        if (!task || recorded[task] !== undefined) return
        recorded[task] = now()
        if (Object.keys(recorded).length === rounds) {
          void watcher.close().then(resolve)
        } else send() // back to back: no gap
      },
      { scanMs: 250 }
    )
    send()
  })
  await new Promise((r) => child.once('exit', r))
  const agent = JSON.parse(readFileSync(out, 'utf8')) as { pickups: Record<string, number>; renamed: Record<string, number> }
  rmSync(ipcDir, { recursive: true, force: true })
  const pickup = Object.keys(written).map((t) => (agent.pickups[t] as number) - (written[t] as number))
  const record = Object.keys(recorded).map((t) => (recorded[t] as number) - (agent.renamed[t] as number))
  return { pickup, record }
}

async function socketPingPong(rounds: number) {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-sock-'))
  const sock = join(dir, 's')
  const server = spawn(
    process.execPath,
    ['-e', `require('net').createServer((c) => c.on('data', (d) => c.write(d))).listen(${JSON.stringify(sock)}, () => console.log('up'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  await new Promise<void>((resolve) => server.stdout.once('data', () => resolve()))
  const client = createConnection(sock)
  await new Promise<void>((resolve) => client.once('connect', () => resolve()))
  const rtts: number[] = []
  for (let i = 0; i < rounds; i++) {
    const t0 = now()
    await new Promise<void>((resolve) => {
      client.once('data', () => resolve())
      client.write('x')
    })
    rtts.push(now() - t0)
  }
  client.destroy()
  server.kill()
  rmSync(dir, { recursive: true, force: true })
  return rtts
}

export async function benchHandoff(rounds = 1000): Promise<Record<string, number | string>> {
  const { pickup, record } = await fileHandoff(rounds)
  const rtts = await socketPingPong(rounds)
  return {
    'round trips (back to back, no gap)': rounds,
    'trigger renamed → agent pickup, p50 (ms)': ms(pct(pickup, 50)),
    'trigger renamed → agent pickup, p99 (ms)': ms(pct(pickup, 99)),
    'response renamed → main record, p50 (ms)': ms(pct(record, 50)),
    'response renamed → main record, p99 (ms)': ms(pct(record, 99)),
    'Unix-socket ping-pong round trip, p50 (ms)': ms(pct(rtts, 50)),
    'Unix-socket ping-pong round trip, p99 (ms)': ms(pct(rtts, 99)),
    'target p99 (ms)': 20
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [k, v] of Object.entries(await benchHandoff())) console.log(`${k.padEnd(48)} ${v}`)
}
