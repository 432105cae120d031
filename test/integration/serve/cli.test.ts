// The CLI as a person runs it, from source (tsx), in real child processes.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then(async (m) => { const c = await m.main(${JSON.stringify(args)}); if (c >= 0) process.exit(c) })`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000
  })

it('unknown flags and commands are named, with the usage, exit 2', () => {
  const flag = cli(['serve', '--prot', '80'])
  expect(flag.status).toBe(2)
  expect(flag.stderr).toMatch(/Unknown option '--prot'/)
  expect(flag.stderr).toContain('Usage:')
  const command = cli(['srve'])
  expect(command.status).toBe(2)
  expect(command.stderr).toContain('unknown command "srve"')
  expect(cli(['serve', '--port', 'abc']).stderr).toMatch(/--port expects a number/)
})

it('a corrupt database is named, and left as it was', () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-cli-'))
  writeFileSync(join(dir, 'baton.db'), 'garbage'.repeat(1000))
  const run = cli(['serve', '--port', '0', '--data-dir', dir])
  expect(run.status).toBe(1)
  expect(run.stderr).toMatch(/baton\.db is damaged/)
  expect(statSync(join(dir, 'baton.db')).size).toBe(7000)
})

it('a second instance on the same data folder says so and leaves the database alone; status works beside it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-cli-'))
  const first = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then((m) => m.main(['serve', '--port', '0', '--data-dir', ${JSON.stringify(dir)}]))`], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  try {
    await new Promise<void>((resolve, reject) => {
      let out = ''
      first.stdout.on('data', (c) => {
        out += c
        if (out.includes('Open: ')) resolve()
      })
      first.once('exit', (code) => reject(new Error(`first instance exited ${code}`)))
    })
    const db = join(dir, 'baton.db')
    const before = statSync(db).mtimeMs
    const wal = statSync(`${db}-wal`).size
    const second = cli(['serve', '--port', '0', '--data-dir', dir])
    expect(second.status).toBe(1)
    expect(second.stderr).toMatch(/Another Baton \(headless, pid \d+ .*\) is already using the data folder/)
    expect(statSync(db).mtimeMs).toBe(before)
    expect(statSync(`${db}-wal`).size).toBe(wal)

    const status = cli(['status', '--json', '--data-dir', dir])
    expect(status.status).toBe(0)
    const report = JSON.parse(status.stdout)
    expect(report.running).toMatchObject({ pid: first.pid, mode: 'headless' })
    expect(report.running.url).not.toContain('token')
    expect(report.database.schemaVersion).toBeGreaterThan(0)
  } finally {
    first.kill('SIGTERM')
  }
})
