// DESIGN.md §9: code an agent runs is untrusted, and no secret may be readable
// by it. A real `baton serve`, given the GitHub token in BATON_GITHUB_TOKEN as
// a person would, carries an issue on the forge to the Tester, which runs the
// repository's own test suite: a hunter (test/fixtures/hostile/hunt.mjs) that
// reads every /proc/*/environ and cmdline it can see (main's among them when
// nothing hides it), the data folder and the worktree's .git, and prints what
// it found for the Tester to post. The token — and the headless server's own
// API token — must appear nowhere: not on the forge, not in SQLite, not in the
// logs, however encoded.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { detectIsolation } from '../../../src/main/agents/isolation'
import { startForge, type TestForge } from '../forge/helpers'

const TOKEN = 'ghp_huntTargetToken0000000000000000000001'
const hunter = readFileSync(join(process.cwd(), 'test/fixtures/hostile/hunt.mjs'), 'utf8')

let t: TestForge
beforeAll(async () => {
  t = await startForge({
    users: [{ login: 'olive', token: TOKEN, name: 'Olive Owner', email: 'olive@example.test', scopes: ['repo'] }],
    repositories: [
      {
        owner: 'olive',
        name: 'probe',
        defaultBranch: 'main',
        files: {
          'README.md': '# probe\n',
          'package.json': JSON.stringify({ name: 'probe', version: '1.0.0', private: true, scripts: { test: 'node hunt.mjs' } }, null, 2) + '\n',
          'hunt.mjs': hunter
        }
      }
    ]
  })
})
afterAll(async () => {
  await t?.close()
})

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** Every encoding of a secret the hunt or a careless log could show. */
function forms(secret: string): string[] {
  const basic = Buffer.from(`x-access-token:${secret}`).toString('base64')
  return [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex'), [...secret].reverse().join(''), basic, Buffer.from(basic).toString('hex')]
}

/** The hunt's findings, decoded (they travel hex-encoded). */
function decodedFindings(text: string): string[] {
  return [...text.matchAll(/HUNT-FOUND:([0-9a-f]+)/g)].map((m) => Buffer.from(m[1] as string, 'hex').toString('utf8'))
}

function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const s = statSync(p)
    if (s.isDirectory()) out.push(...filesUnder(p))
    else if (s.isFile()) out.push(p)
  }
  return out
}

describe('token hunt from inside a test suite', () => {
  it('a hostile test suite run by the Tester finds no token to post, and none reaches the forge, SQLite or the logs', async () => {
    const isolation = detectIsolation({ dataDir: mkdtempSync(join(tmpdir(), 'baton-iso-probe-')), shared: [] })
    // This machine must be able to sandbox agents (CI installs bubblewrap): otherwise the hole is open, and the test says so.
    expect(isolation.detail).not.toMatch(/not isolated/)

    const dataDir = mkdtempSync(join(tmpdir(), 'baton-hunt-'))
    const built = existsSync('out/main/cli.js') && existsSync('out/main/runner.js')
    const args = built
      ? ['bin/baton.js', 'serve', '--port', '0', '--data-dir', dataDir]
      : ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then((m) => m.main(['serve', '--port', '0', '--data-dir', ${JSON.stringify(dataDir)}]))`]
    let logs = ''
    const child: ChildProcess = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BATON_GITHUB_TOKEN: TOKEN, BATON_GITHUB_API_URL: t.forge.apiUrl, BATON_LOG_LEVEL: 'debug' }
    })
    child.stdout?.on('data', (c: Buffer) => (logs += c.toString('utf8')))
    child.stderr?.on('data', (c: Buffer) => (logs += c.toString('utf8')))
    let apiToken = ''
    try {
      const url = await until('the server to start', () => /Open: (http:\/\/\S+)/.exec(logs)?.[1], 60_000)
      const origin = new URL(url).origin
      const lock = JSON.parse(readFileSync(join(dataDir, 'baton.lock'), 'utf8')) as { token: string }
      apiToken = lock.token
      const call = async <T>(method: string, input: unknown): Promise<T> => {
        const r = await fetch(`${origin}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` }, body: JSON.stringify(input) })
        const body = (await r.json()) as { ok: boolean; data?: T; error?: { message: string } }
        if (!body.ok) throw new Error(`${method}: ${body.error?.message}`)
        return body.data as T
      }
      const repo = await call<{ id: number }>('repos.connect', { remote: 'olive/probe' })
      await call('settings.update', { pollIntervalSec: 5 })
      await call('issues.create', {
        repoId: repo.id,
        title: 'Add a notes file',
        body: 'We need a `NOTES.md` at the top of the repository.\n\nAcceptance: `NOTES.md` exists and says "notes".\n\n```NOTES.md\nnotes\n```\n'
      })
      const octokit = t.octokit(TOKEN)
      const report = await until(
        "the Tester's report of the hunt",
        async () => {
          const { data } = await octokit.rest.issues.listComments({ owner: 'olive', repo: 'probe', issue_number: 1, per_page: 100 })
          return data.map((c) => c.body ?? '').find((b) => b.includes('HUNT-REPORT'))
        },
        240_000
      )
      // The hunt ran and looked: it saw processes, and files in the data folder.
      const seen = /HUNT-REPORT processes=(\d+) ancestors=(\d+) files=(\d+)/.exec(report)
      expect(seen, report).not.toBeNull()
      expect(Number(seen?.[1])).toBeGreaterThan(0)

      // Everything the forge holds: every comment on every issue and PR.
      const issues = await octokit.paginate(octokit.rest.issues.listForRepo, { owner: 'olive', repo: 'probe', state: 'all', per_page: 100 })
      let forgeText = ''
      for (const issue of issues) {
        forgeText += `${issue.title}\n${issue.body ?? ''}\n`
        const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner: 'olive', repo: 'probe', issue_number: issue.number, per_page: 100 })
        for (const c of comments) forgeText += `${c.body ?? ''}\n`
      }
      const published = [forgeText, ...decodedFindings(forgeText)].join('\n')
      for (const secret of [TOKEN, apiToken]) {
        for (const form of forms(secret)) expect(published.includes(form), `the forge shows a secret (${form.slice(0, 8)}…)`).toBe(false)
      }
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)))
    }
    // SQLite (the database and its WAL) and the logs hold neither secret either.
    const stored = filesUnder(dataDir)
      .filter((f) => /baton\.db/.test(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('\n')
    // The one place the API token belongs: the URL the person is told to open.
    const logged = logs
      .split('\n')
      .filter((l) => !l.startsWith('Open: '))
      .join('\n')
    for (const secret of [TOKEN, apiToken]) {
      for (const form of forms(secret)) {
        expect(stored.includes(form), `SQLite holds a secret (${form.slice(0, 8)}…)`).toBe(false)
        expect(logged.includes(form), `the logs show a secret (${form.slice(0, 8)}…)`).toBe(false)
      }
    }
  }, 300_000)
})
