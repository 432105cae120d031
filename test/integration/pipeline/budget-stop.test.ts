// Budgets that stop (issue #12), through the whole core: the REAL Claude Code
// CLI (pinned dev dependency) as the Engineer, against a scripted Anthropic
// endpoint whose every turn reports usage, on a forge repository. The issue
// budget is $5; each turn costs $1.80 by the model's list price ($3 per
// million input tokens), so the third turn passes it. The agent is stopped
// from its live usage — before its fourth and last turn is ever asked for,
// and before the sleeping command of its third ends — its usage so far is
// recorded once, one inbox item and the card name the budget, and Usage shows
// spent beside it. Raising the budget lets the issue go on.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { resolveClaudeExecutable } from '../../../src/main/agents/providers/claude-code'
import { createLogger } from '../../../src/main/log'
import type { BoardIssue, InboxItem, Settings, UsageSummary } from '../../../src/shared/api'
import { startScriptedServer, type ScriptedServer } from '../../fixtures/anthropic/scripted-server'
import { startForge, type TestForge } from '../forge/helpers'

const haveCli = existsSync(resolveClaudeExecutable({ settings: { provider: 'claude-code', timeLimitSec: 1, maxOutputBytes: 1 }, env: {} }))
const TOKEN = 'ghp_BudgetOwnerSecret000000000000000000001'

/** 600,000 input tokens a turn: $1.80 at claude-sonnet-4-5's $3 per million. */
const TURN = { input_tokens: 600_000, output_tokens: 20 }

let t: TestForge
let core: Core
let server: ScriptedServer
let root: string

async function api<T>(method: string, input: unknown = {}): Promise<T> {
  const result = await core.call(method, input)
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`)
  return result.data as T
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > end) {
      const rows = (sql: string) => JSON.stringify(core.db.prepare(sql).all())
      throw new Error(`timed out waiting for ${what}:\n${rows('SELECT issue, role, state, result FROM tasks')}\n${rows('SELECT kind, message FROM events ORDER BY id DESC LIMIT 15')}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe.skipIf(!haveCli)('a spend budget stops a real agent mid-task', () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'baton-budget-stop-'))
    t = await startForge({
      users: [{ login: 'owner', token: TOKEN, name: 'Olive Owner', email: 'owner@example.test' }],
      repositories: [{ owner: 'owner', name: 'app', files: { 'README.md': '# app\n' }, issues: [{ title: 'Add a greeting', body: 'Add greeting.txt.', author: 'owner', labels: ['in-progress'] }] }]
    })
    // The Engineer on Claude Code, one instance; every other role stays builtin (the issue is at the Engineer's stage).
    const agentsDir = join(root, 'agents')
    cpSync(join(process.cwd(), 'agents'), agentsDir, { recursive: true })
    const yml = join(agentsDir, 'engineer', 'role.yml')
    writeFileSync(yml, readFileSync(yml, 'utf8').replace(/^provider: .*$/m, 'provider: claude-code').replace(/^instances: \d+$/m, 'instances: 1').replace(/^model: .*$/m, 'model: claude-sonnet-4-5'))
    server = await startScriptedServer({ script: [] })
    const home = join(root, 'home')
    core = await createCore({
      dataDir: join(root, 'baton'),
      mode: 'headless',
      agentsDir,
      log: createLogger({ level: 'error' }),
      env: {
        PATH: process.env.PATH,
        LANG: 'C.UTF-8',
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        BATON_GITHUB_TOKEN: TOKEN,
        BATON_GITHUB_API_URL: t.forge.apiUrl,
        ANTHROPIC_BASE_URL: server.url,
        ANTHROPIC_API_KEY: 'sk-ant-scripted-budget-key',
        DISABLE_TELEMETRY: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1'
      },
      githubTiming: { writeGapMs: 0 },
      runner: { execPath: process.execPath, args: ['--import', 'tsx', join(process.cwd(), 'agents/runner.ts')] },
      agentTiming: { heartbeatMs: 500, stallMs: 60_000, backoffMs: () => 200 }
    })
  }, 60_000)
  afterAll(async () => {
    await core?.close()
    await server?.close()
    await t?.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('stops the Engineer before its last turn, records its usage once, and the issue waits with the budget named until it is raised', async () => {
    const budgets: Settings['budgets'] = { issueUsd: 5, dayUsd: 0, issueTokens: 0, dayTokens: 0, roles: {} }
    await api('settings.update', { budgets })
    // Bash only: each command runs in the Engineer's own worktree. The third writes outside it, if it ever ends.
    const late = join(root, 'late.txt')
    server.setScript([
      { kind: 'tools', text: 'Writing the file.', tools: [{ name: 'Bash', input: { command: 'echo hello > greeting.txt', description: 'Write the file' } }], usage: TURN },
      { kind: 'tools', tools: [{ name: 'Bash', input: { command: 'cat greeting.txt', description: 'Check the file' } }], usage: TURN },
      // Past the budget with this turn: the agent must be gone before the command ends.
      { kind: 'tools', tools: [{ name: 'Bash', input: { command: `sleep 6 && echo late > ${late}`, description: 'A long run' } }], usage: TURN },
      { kind: 'text', text: 'DONE: Added greeting.txt\nLABEL-UPDATED: in-progress --> needs-testing', usage: TURN }
    ])
    await api('repos.connect', { remote: 'owner/app' })

    const stopped = await until('the budget stop', () => core.db.prepare("SELECT task_id, message FROM events WHERE kind = 'budget.stop'").get() as { task_id: string; message: string } | undefined)
    expect(stopped.message).toMatch(/^Stopped engineer on #1: budget: \$5\.40 of \$5\.00 spent on #1$/)
    // Three turns asked for; the fourth (the DONE) never.
    expect(server.agentRequests()).toHaveLength(3)

    // The usage so far, once: three turns' input at the list price.
    const rows = core.db.prepare('SELECT answer, input_tokens, cost_usd FROM usage WHERE issue = 1').all() as Array<{ answer: number; input_tokens: number; cost_usd: number }>
    expect(rows).toHaveLength(1)
    expect(rows[0]!.answer).toBe(-1)
    expect(rows[0]!.input_tokens).toBe(3 * TURN.input_tokens)
    expect(rows[0]!.cost_usd).toBeCloseTo(5.4, 2)
    expect(core.db.prepare('SELECT state, result FROM tasks WHERE id = ?').get(stopped.task_id)).toEqual({ state: 'cancelled', result: 'budget: $5.40 of $5.00 spent on #1' })

    // The inbox: one item naming the budget. The card: waiting for a person, the budget its reason.
    const items = await until('the inbox item', async () => {
      const list = await api<InboxItem[]>('inbox.list')
      return list.length ? list : undefined
    })
    expect(items).toHaveLength(1)
    expect(items[0]!.question).toMatch(/^budget: \$5\.40 of \$5\.00 spent on #1: engineer was stopped mid-task\./)
    const card = await until('the card to wait on the budget', async () => {
      const c = (await api<BoardIssue[]>('issues.board')).find((b) => b.number === 1)
      return c?.reason?.startsWith('budget:') ? c : undefined
    })
    expect(card.activity).toBe('waiting')
    expect(card.reason).toBe('budget: $5.40 of $5.00 spent on #1')
    // Usage: spent beside the budget.
    const usage = await api<UsageSummary>('usage.summary', { range: '24h' })
    expect(usage.budgets.issues).toEqual([{ repo: 'owner/app', issue: 1, spentUsd: expect.closeTo(5.4, 2) as number, limitUsd: 5, spentTokens: 0, limitTokens: 0, over: true }])

    // The CLI's process tree went with it: the sleeping command never finished.
    await new Promise((r) => setTimeout(r, 7000))
    expect(existsSync(late)).toBe(false)
    expect(server.agentRequests()).toHaveLength(3)
    expect(await api<InboxItem[]>('inbox.list')).toHaveLength(1)

    // Raising the budget lets it go on: a new Engineer task asks the model again, the item resolves.
    server.setScript([{ kind: 'text', text: 'REQUEST: Should the greeting end with a newline?', usage: { input_tokens: 1000, output_tokens: 10 } }])
    await api('settings.update', { budgets: { ...budgets, issueUsd: 50 } })
    await until('the Engineer to ask again', () => server.agentRequests().length === 4)
    const after = await until('the REQUEST in the inbox', async () => {
      const list = await api<InboxItem[]>('inbox.list')
      return list.some((i) => i.question.includes('newline')) ? list : undefined
    })
    expect(after.filter((i) => i.question.startsWith('budget:'))).toEqual([])
    expect(server.problems).toEqual([])
    expect(core.db.prepare("SELECT message FROM events WHERE kind = 'budget.update'").all()).toHaveLength(2)
  }, 180_000)
})
