// A person's Retry, through the API (`tasks.retry`, checked with zod, audited)
// and the CLI (`baton task retry owner/name#n`, a real child process): the
// stage whose budget was spent gets one more, its failed task is queued again
// and its inbox item closes; bad input is refused with a clear message.
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createCore } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { openDatabase } from '../../../src/main/store/open'

const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }

/** A data folder whose acme/shop#7 spent its backlog budget: a failed task, the spent budget, the inbox item. */
function spentFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'baton-retry-'))
  const db = openDatabase(join(dir, 'baton.db'))
  const at = '2026-07-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/shop', 'github.com', 'https://api.github.com', 'acme', 'shop', 'main', ?)").run(at)
  db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, 7, 'Fix it', 'Body.', 'open', 'maintainer', 'MEMBER', '[\"backlog\"]', ?, ?)").run(at, at)
  db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, result, created_at, updated_at) VALUES ('t_spent', 1, 7, 'backlog', 'pm', 'pm', 'failed', 3, 'failed 3 times: overloaded', ?, ?)").run(at, at)
  db.prepare("INSERT INTO stage_budgets (repo_id, issue, stage, spent, last_error, updated_at) VALUES (1, 7, 'backlog', 3, 'overloaded', ?)").run(at)
  db.prepare("INSERT INTO requests (kind, repo_id, issue, task_id, agent, question, created_at) VALUES ('failure', 1, 7, 't_spent', 'pm', 'pm could not finish #7 (backlog): failed 3 times: overloaded', ?)").run(at)
  db.close()
  return dir
}

function after(dir: string) {
  const db = openDatabase(join(dir, 'baton.db'), { readonly: true })
  try {
    return {
      budget: db.prepare('SELECT spent FROM stage_budgets WHERE repo_id = 1 AND issue = 7').get() as { spent: number } | undefined,
      task: db.prepare("SELECT state, attempt FROM tasks WHERE id = 't_spent'").get() as { state: string; attempt: number },
      open: (db.prepare('SELECT COUNT(*) AS n FROM requests WHERE answered_at IS NULL').get() as { n: number }).n,
      audit: db.prepare("SELECT message FROM events WHERE kind = 'task.retry.person'").all() as Array<{ message: string }>
    }
  } finally {
    db.close()
  }
}

describe('Retry', () => {
  it('tasks.retry: checked input, one more budget, the task queued again, the item closed, audited; a second Retry has nothing to do', async () => {
    const dir = spentFolder()
    const core = await createCore({ dataDir: dir, mode: 'headless', runner, log: createLogger({ level: 'error' }) })
    try {
      const bad = await core.call('tasks.retry', { repoId: 1 })
      expect(bad.ok).toBe(false)
      if (!bad.ok) expect(bad.error.message).toMatch(/issue/)
      const extra = await core.call('tasks.retry', { repoId: 1, issue: 7, force: true })
      expect(extra.ok).toBe(false)

      const result = await core.call('tasks.retry', { repoId: 1, issue: 7 })
      expect(result).toMatchObject({ ok: true, data: { retried: true, stage: 'backlog', task: 't_spent' } })
      const state = after(dir)
      expect(state.budget).toBeUndefined()
      expect(['queued', 'running']).toContain(state.task.state)
      expect(state.open).toBe(0)
      expect(state.audit).toHaveLength(1)
      expect(state.audit[0]?.message).toMatch(/retried #7 \(backlog\): one more budget of attempts \(after 3: overloaded\)/)

      const again = await core.call('tasks.retry', { repoId: 1, issue: 7 })
      expect(again).toMatchObject({ ok: false, error: { code: 'conflict' } })
      if (!again.ok) expect(again.error.message).toMatch(/#7 \(backlog\) has not failed: there is nothing to retry/)

      const missing = await core.call('tasks.retry', { repoId: 1, issue: 99 })
      expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } })
    } finally {
      await core.close()
    }
  }, 60_000)

  it('baton task retry owner/name#n, in a child process; a malformed issue is a usage error', () => {
    const dir = spentFolder()
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then(async (m) => { const c = await m.main(${JSON.stringify(args)}); if (c >= 0) process.exit(c) })`], {
        encoding: 'utf8',
        timeout: 60_000
      })
    const malformed = cli(['task', 'retry', 'acme/shop-7', '--data-dir', dir])
    expect(malformed.status).toBe(2)
    expect(malformed.stderr).toMatch(/expected an issue as owner\/name#number \(e\.g\. acme\/shop#12\), got "acme\/shop-7"/)
    const unknown = cli(['task', 'retry', 'acme/other#7', '--data-dir', dir])
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/acme\/other is not connected/)

    const run = cli(['task', 'retry', 'acme/shop#7', '--data-dir', dir])
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/Retrying acme\/shop#7 \(backlog\): one more budget of attempts for task t_spent/)
    expect(after(dir).budget).toBeUndefined()
    expect(after(dir).audit).toHaveLength(1)
  }, 120_000)
})
