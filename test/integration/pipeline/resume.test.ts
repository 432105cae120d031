// A crash gap on start: main started an attempt in SQLite (the task is
// `running`) and was killed before writing its trigger file. On the next start
// no trigger names the attempt and no response answers it, so no agent will
// ever answer: the engine must dispatch it again, not leave it running.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Octokit } from '@octokit/rest'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createCore } from '../../../src/main/app'
import { paths } from '../../../src/main/data-dir'
import { createLogger } from '../../../src/main/log'
import { SANDBOX_TOKENS } from '../../../src/forge/sandbox/index'
import { createTask, getTask, startAttempt } from '../../../src/main/store/tasks'

const runner = { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] }

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('resume on start', () => {
  it('a running task whose trigger was never written is dispatched again, as the same attempt, and answered', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-resume-'))
    const log = createLogger({ level: 'error' })
    // First run: the sandbox connected, no agents; #1 at backlog on the forge and in the mirror.
    const first = await createCore({ dataDir, mode: 'headless', sandbox: true, runner, log, startAgents: false })
    let taskId = ''
    try {
      const forge = first.sandbox()!.forge
      const gh = new Octokit({ baseUrl: forge.apiUrl, auth: SANDBOX_TOKENS.maintainer })
      await gh.rest.issues.setLabels({ owner: 'baton-sandbox', repo: 'calc', issue_number: 1, labels: ['backlog'] })
      const repoId = (first.db.prepare("SELECT id FROM repos WHERE owner = 'baton-sandbox' AND name = 'calc'").get() as { id: number }).id
      const synced = await first.call('repos.syncNow', { id: repoId })
      expect(synced.ok).toBe(true)
      await until('#1 at backlog in the mirror', () => {
        const row = first.db.prepare('SELECT labels FROM issues WHERE repo_id = ? AND number = 1').get(repoId) as { labels: string } | undefined
        return row && (JSON.parse(row.labels) as string[]).includes('backlog')
      })
      // What dispatch does up to the trigger: the attempt started in SQLite, and then main is killed.
      const task = createTask(first.db, { repoId, issue: 1, stage: 'backlog', role: 'pm', agent: 'pm' })
      taskId = task.id
      expect(startAttempt(first.db, task.id, 'pm')).toBe(1)
    } finally {
      await first.close()
    }
    const trigger = join(paths.ipc(dataDir), 'triggers', 'pm.trigger')
    rmSync(trigger, { force: true })
    expect(getTaskState(dataDir, taskId)).toBe('running')

    // Second run, with the agents: the attempt is handed over again and answered.
    const second = await createCore({ dataDir, mode: 'headless', sandbox: true, runner, log, startAgents: true, agentTiming: { heartbeatMs: 500, backoffMs: () => 200 } })
    try {
      const done = await until('the lost-before-hand-over task answered', () => {
        const t = getTask(second.db, taskId)
        return t && t.state !== 'running' && t.state !== 'queued' ? t : undefined
      })
      const story = () => JSON.stringify(second.db.prepare('SELECT kind, message FROM events WHERE task_id = ? ORDER BY id').all(taskId))
      expect(done.state, `${done.result ?? ''}\n${story()}`).toBe('applied')
      // The same attempt: no agent saw the first one, so it counts against no retry.
      expect(done.attempt, story()).toBe(1)
      // Handed over once, on this start (the trigger file has since gone on to the PM's next task).
      const dispatches = second.db.prepare("SELECT message FROM events WHERE kind = 'task.dispatch' AND task_id = ?").all(taskId) as Array<{ message: string }>
      expect(dispatches.map((e) => e.message)).toEqual([expect.stringMatching(/attempt 1$/)])
      const events = second.db.prepare("SELECT message FROM events WHERE kind = 'task.resume' AND task_id = ?").all(taskId) as Array<{ message: string }>
      expect(events.map((e) => e.message)).toEqual([expect.stringMatching(/main stopped before handing attempt 1 to pm/)])
      const attempts = second.db.prepare('SELECT attempt, outcome FROM attempts WHERE task_id = ?').all(taskId) as Array<{ attempt: number; outcome: string }>
      expect(attempts).toEqual([{ attempt: 1, outcome: 'done' }])
    } finally {
      await second.close()
    }
  }, 120_000)
})

function getTaskState(dataDir: string, taskId: string): string | undefined {
  // Read while no core is open, as the next start will.
  const db = new Database(join(dataDir, 'baton.db'), { readonly: true })
  try {
    return (db.prepare('SELECT state FROM tasks WHERE id = ?').get(taskId) as { state: string } | undefined)?.state
  } finally {
    db.close()
  }
}
