// `runForgeCli`: starts from a seed file, prints what a person needs, refuses
// a bad seed naming the field, and stops cleanly on SIGTERM in a real process.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Octokit } from '@octokit/rest'
import { describe, expect, it } from 'vitest'
import { runForgeCli } from '../../../src/forge/cli'

const fixture = fileURLToPath(new URL('../../fixtures/forge/seed.json', import.meta.url))

describe('runForgeCli', () => {
  it('serves the seed file and prints the URLs and tokens', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'forge-cli-'))
    const lines: string[] = []
    const stop = new AbortController()
    let ready!: () => void
    const started = new Promise<void>((r) => (ready = r))
    const running = runForgeCli(['--port', '0', '--data-dir', dataDir, '--seed', fixture], {
      signal: stop.signal,
      write: (l) => {
        lines.push(l)
        if (l.startsWith('Press Ctrl-C')) ready()
      }
    })
    try {
      await started
      const api = /API base URL \(Octokit baseUrl\): (\S+)/.exec(lines.join('\n'))![1]!
      expect(lines).toContain('  dev: forge-dev-token')
      const ok = new Octokit({ baseUrl: api, auth: 'forge-dev-token' })
      const issues = await ok.rest.issues.listForRepo({ owner: 'acme', repo: 'shop', state: 'all' })
      expect(issues.data.map((i) => i.title).sort()).toEqual(['Cart total ignores discounts', 'Checkout button does nothing'])
    } finally {
      stop.abort()
      await running
      rmSync(dataDir, { recursive: true, force: true })
    }
    expect(lines.at(-1)).toBe('Forge stopped.')
  })

  it('refuses a bad seed with a message naming the field, and bad flags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forge-cli-bad-'))
    try {
      const file = join(dir, 'seed.json')
      writeFileSync(file, JSON.stringify({ users: [{ login: 'a' }], repositories: [{ owner: 'a', name: 'r', private: 'yes' }] }))
      await expect(runForgeCli(['--port', '0', '--seed', file], { write: () => {} })).rejects.toThrow(/repositories\[0\]\.private/)
      await expect(runForgeCli(['--port', 'x'])).rejects.toThrow(/--port expects a number/)
      await expect(runForgeCli(['--nope'])).rejects.toThrow(/Unknown option '--nope'/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('stops cleanly on SIGTERM in its own process and removes its temporary folder', async () => {
    const cli = fileURLToPath(new URL('../../../src/forge/cli.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import(${JSON.stringify(cli)}).then((m) => m.runForgeCli(['--port', '0']))`], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('Press Ctrl-C')) resolve()
      })
      child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${err}`)))
    })
    const url = /Forge running at (\S+)/.exec(out)![1]!
    const dataDir = /Data folder: (\S+)/.exec(out)![1]!
    expect(out).toContain('maintainer: sandbox-maintainer-token')
    expect((await fetch(`${url}/_forge/health`)).status).toBe(200)
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(out).toContain('Forge stopped.')
    expect(existsSync(dataDir)).toBe(false)
  })
})
