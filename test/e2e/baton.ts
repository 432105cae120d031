// Starts the real headless app (the built CLI) in a temp data folder and
// yields the address it prints, as a person would copy it.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RunningBaton {
  url: string
  origin: string
  token: string
  dataDir: string
  process: ChildProcess
  output: () => string
  stop(): Promise<void>
}

export async function startBaton(options: { args?: string[]; env?: NodeJS.ProcessEnv; dataDir?: string } = {}): Promise<RunningBaton> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'baton-e2e-'))
  const child = spawn(process.execPath, ['bin/baton.js', 'serve', '--port', '0', '--data-dir', dataDir, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  child.stderr.on('data', (chunk) => (out += chunk))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Baton did not start in 20 s:\n${out}`)), 20_000)
    child.stdout.on('data', () => {
      const match = /Open: (\S+)/.exec(out)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Baton exited with ${code}:\n${out}`))
    })
  })
  const parsed = new URL(url)
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    dataDir,
    process: child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
    }
  }
}
