// `baton issue comment|label|close|reopen` (issue #13) as a person types them:
// a real `baton serve --sandbox` in its own process, each command a child
// process that talks to it; the forge (GitHub's side) shows each write, a
// repeat changes nothing, and a usage error says what was expected.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SANDBOX_OWNER, SANDBOX_REPO, SANDBOX_TOKENS } from '../../../src/forge/sandbox/index'

const REPO = `${SANDBOX_OWNER}/${SANDBOX_REPO}`
const cliArgs = (args: string[]) => ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then(async (m) => { const c = await m.main(${JSON.stringify(args)}); if (c >= 0) process.exit(c) })`]

let dataDir: string
let app: ChildProcess
let forge: string
let number: number

// Not spawnSync: a blocked event loop lets the forge drop fetch's kept-alive socket under it.
const baton = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, cliArgs([...args, '--data-dir', dataDir]), { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr })
    )
  })
async function github<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${forge}/api/v3/repos/${REPO}${path}`, { method, headers: { authorization: `token ${SANDBOX_TOKENS.alice}`, accept: 'application/vnd.github+json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'baton-issue-cli-'))
  app = spawn(process.execPath, cliArgs(['serve', '--sandbox', '--port', '0', '--data-dir', dataDir]), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BATON_LOG_LEVEL: 'error' } })
  let out = ''
  app.stderr?.on('data', (c) => (out += c))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baton serve did not start in 90 s:\n${out}`)), 90_000)
    app.stdout?.on('data', (c) => {
      out += c
      if (out.includes('Open: ')) {
        clearTimeout(timer)
        resolve()
      }
    })
    app.once('exit', (code) => reject(new Error(`baton serve exited ${code}:\n${out}`)))
  })
  forge = `http://127.0.0.1:${readFileSync(join(dataDir, 'sandbox-forge', 'port'), 'utf8').trim()}`
  number = (await github<{ number: number }>('POST', '/issues', { title: 'A word count that counts hyphens', body: 'Hyphenated words count once.' })).number
  // Baton has mirrored it once `baton issues list` names it.
  await until('the new issue in the mirror', async () => (await baton('issues', 'list', '--json')).stdout.includes('A word count that counts hyphens'))
}, 150_000)

afterAll(async () => {
  if (app && app.exitCode === null && app.signalCode === null) {
    const exited = new Promise((r) => app.once('exit', r))
    app.kill('SIGTERM')
    await exited
  }
  rmSync(dataDir, { recursive: true, force: true })
})

describe('baton issue comment, label, close, reopen', () => {
  it('comments, labels, closes as not planned and reopens on GitHub; a repeat changes nothing', async () => {
    const at = `${REPO}#${number}`
    const comment = (await baton('issue', 'comment', at, '--body', 'Hyphens join words: "well-known" is one.'))
    expect(comment.stderr).toBe('')
    expect(comment.status).toBe(0)
    expect(comment.stdout).toMatch(new RegExp(`^Commented on ${at}`))
    const comments = await github<Array<{ body: string }>>('GET', `/issues/${number}/comments`)
    expect(comments.filter((c) => c.body.startsWith('Hyphens join words'))).toHaveLength(1)

    const label = (await baton('issue', 'label', at, '--add', 'docs', '--add', 'priority:low'))
    expect(label.status, label.stderr).toBe(0)
    expect(label.stdout).toMatch(/labels: .*docs/)
    expect((await github<{ labels: Array<{ name: string }> }>('GET', `/issues/${number}`)).labels.map((l) => l.name)).toEqual(expect.arrayContaining(['docs', 'priority:low']))
    expect((await baton('issue', 'label', at, '--remove', 'docs')).status).toBe(0)
    expect((await github<{ labels: Array<{ name: string }> }>('GET', `/issues/${number}`)).labels.map((l) => l.name)).not.toContain('docs')

    const close = (await baton('issue', 'close', at, '--not-planned'))
    expect(close.stdout.trim()).toBe(`Closed ${at} as not planned.`)
    const closed = await github<{ state: string; state_reason: string }>('GET', `/issues/${number}`)
    expect([closed.state, closed.state_reason]).toEqual(['closed', 'not_planned'])
    expect((await baton('issue', 'close', at, '--not-planned')).stdout.trim()).toBe(`${at} was closed as not planned already.`)

    expect((await baton('issue', 'reopen', at)).stdout.trim()).toBe(`Reopened ${at}.`)
    expect((await github<{ state: string }>('GET', `/issues/${number}`)).state).toBe('open')
    expect((await baton('issue', 'reopen', at)).stdout.trim()).toBe(`${at} was open already.`)
  }, 120_000)

  it('usage errors say what was expected and write nothing', async () => {
    const before = (await github<Array<unknown>>('GET', `/issues/${number}/comments`)).length
    const none = (await baton('issue', 'comment', `${REPO}#${number}`))
    expect(none.status).not.toBe(0)
    expect(none.stderr).toMatch(/--body TEXT or --body-file F/)
    expect((await baton('issue', 'close', `${REPO}#${number}`, '--add', 'x')).stderr).toMatch(/--add is not an option of this command/)
    expect((await baton('issue', 'label', `${REPO}#${number}`)).stderr).toMatch(/name a label with --add L or --remove L/)
    expect((await baton('issue', 'reopen', 'calc#1')).stderr).toMatch(/expected an issue as owner\/name#number/)
    expect((await baton('issue', 'comment', `${REPO}#${number}`, '--body', '   ')).stderr).toMatch(/write something to comment/)
    expect((await github<Array<unknown>>('GET', `/issues/${number}/comments`)).length).toBe(before)
  }, 60_000)
})
