// The board's actions beyond the card: `tasks.stop` and `issues.approve`
// through the API (checked with zod, audited) and the CLI (`baton task stop`,
// `baton issue approve owner/name#n`, a real child process); bad input is
// refused with a clear message and changes nothing.
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createCore } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { openDatabase } from '../../../src/main/store/open'

const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }

/** A data folder whose acme/shop#7 (a member's: no Community side lane) has a task running at its backlog stage. */
function runningFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-stop-'))
  const db = openDatabase(join(dir, 'baton.db'))
  const at = '2026-07-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'http://127.0.0.1:9/api/v3', 'acme', 'shop', 'main', ?)").run(at)
  db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, 7, 'Fix it', 'Body.', 'open', 'someone', 'MEMBER', '[\"backlog\"]', ?, ?)").run(at, at)
  db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, created_at, updated_at) VALUES ('t_run', 1, 7, 'backlog', 'pm', 'pm', 'running', 1, ?, ?)").run(at, at)
  db.prepare("INSERT INTO attempts (task_id, attempt, agent, started_at) VALUES ('t_run', 1, 'pm', ?)").run(at)
  db.close()
  return dir
}

function after(dir: string) {
  const db = openDatabase(join(dir, 'baton.db'), { readonly: true })
  try {
    return {
      task: db.prepare("SELECT state, result FROM tasks WHERE id = 't_run'").get() as { state: string; result: string | null },
      budget: db.prepare("SELECT spent, last_error FROM stage_budgets WHERE repo_id = 1 AND issue = 7 AND stage = 'backlog'").get() as { spent: number; last_error: string } | undefined,
      stops: db.prepare("SELECT message FROM events WHERE kind = 'task.stop'").all() as Array<{ message: string }>,
      approvals: (db.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'issue.approve'").get() as { n: number }).n,
      labels: JSON.parse((db.prepare('SELECT labels FROM issues WHERE number = 7').get() as { labels: string }).labels) as string[]
    }
  } finally {
    db.close()
  }
}

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then(async (m) => { const c = await m.main(${JSON.stringify(args)}); if (c >= 0) process.exit(c) })`], {
    encoding: 'utf8',
    timeout: 60_000
  })

describe('Stop and Approve beyond the card', () => {
  it('tasks.stop and issues.approve: checked input; Stop stops once and holds the stage; Approve without GitHub changes nothing', async () => {
    const dir = runningFolder()
    const core = await createCore({ dataDir: dir, mode: 'headless', runner, startAgents: false, log: createLogger({ level: 'error' }) })
    try {
      const bad = await core.call('tasks.stop', { repoId: 1 })
      expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request' } })
      if (!bad.ok) expect(bad.error.message).toMatch(/issue/)
      expect((await core.call('tasks.stop', { repoId: 1, issue: 7, force: true })).ok).toBe(false)
      expect(await core.call('issues.approve', { repoId: 1, issue: -1 })).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringMatching(/issue is an issue number/) } })

      const stopped = await core.call('tasks.stop', { repoId: 1, issue: 7 })
      expect(stopped).toEqual({ ok: true, data: { stopped: true, task: 't_run', stage: 'backlog' } })
      const state = after(dir)
      expect(state.task.state).toBe('failed')
      expect(state.task.result).toMatch(/^stopped by .* \(Retry runs it again\)$/)
      expect(state.budget?.spent).toBe(3)
      expect(state.stops).toHaveLength(1)
      expect(await core.call('tasks.stop', { repoId: 1, issue: 7 })).toMatchObject({ ok: false, error: { code: 'conflict' } })

      // Not signed in to GitHub: the label cannot be written, and nothing is recorded as if it were.
      const approve = await core.call('issues.approve', { repoId: 1, issue: 7 })
      expect(approve.ok).toBe(false)
      expect(after(dir)).toMatchObject({ approvals: 0, labels: ['backlog'] })
      expect(await core.call('issues.approve', { repoId: 1, issue: 99 })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    } finally {
      await core.close()
    }
  }, 60_000)

  it('baton task stop / baton issue approve owner/name#n, in a child process; a malformed issue is a usage error', () => {
    const dir = runningFolder()
    const malformed = cli(['task', 'stop', 'acme/shop-7', '--data-dir', dir])
    expect(malformed.status).toBe(2)
    expect(malformed.stderr).toMatch(/baton task stop: expected an issue as owner\/name#number \(e\.g\. acme\/shop#12\), got "acme\/shop-7"/)
    const approveMalformed = cli(['issue', 'approve', '7', '--data-dir', dir])
    expect(approveMalformed.status).toBe(2)
    expect(approveMalformed.stderr).toMatch(/baton issue approve: expected an issue as owner\/name#number/)

    const run = cli(['task', 'stop', 'acme/shop#7', '--data-dir', dir])
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/Stopped task t_run on acme\/shop#7 \(backlog\); `baton task retry acme\/shop#7` runs it again\./)
    expect(after(dir).task.state).toBe('failed')

    const again = cli(['task', 'stop', 'acme/shop#7', '--data-dir', dir])
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/#7 has no running task: there is nothing to stop/)
  }, 120_000)
})
