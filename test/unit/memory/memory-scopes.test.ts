// Scoped memory (issue #14): scopes parsed and written one way, who may read
// and write each (a person, the owning agent, another agent), TTL (an expired
// entry is never returned and is swept; time is moved, not waited for), and
// the issue's notes read as its scope. A real SQLite file.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../src/shared/errors'
import { api } from '../../../src/shared/api'
import { EventHub } from '../../../src/main/events'
import { agentCaller, memoryHandlers } from '../../../src/main/api/memory-handlers'
import { checkRead, checkWrite, parseScope, scopeText, type Caller } from '../../../src/main/memory/scope'
import { addNote } from '../../../src/main/store/notes'
import { openDatabase, type Db } from '../../../src/main/store/open'

let db: Db
let clock: number
let h: ReturnType<typeof memoryHandlers>
const person: Caller = { kind: 'person', login: 'mara' }
const engineer: Caller = { kind: 'agent', name: 'engineer@acme/app', taskId: 't_1', repoId: 1, issue: 3 }
const tester: Caller = { kind: 'agent', name: 'tester@acme/app', taskId: 't_2', repoId: 1, issue: 4 }

function forbidden(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('forbidden')
    return (error as Error).message
  }
  throw new Error('expected a refusal')
}

beforeEach(() => {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-memory-')), 'baton.db'))
  const at = '2026-12-01T00:00:00.000Z'
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/app', 'github.com', 'https://api.github.com', 'acme', 'App', 'main', ?)").run(at)
  for (const n of [3, 4]) {
    db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, ?, 'Issue', '', 'open', 'mara', 'OWNER', '[]', ?, ?)").run(n, at, at)
  }
  clock = Date.parse('2026-12-01T10:00:00.000Z')
  h = memoryHandlers({ db, events: new EventHub(), login: () => 'mara', now: () => new Date(clock) })
})

describe('scopes', () => {
  it('parses the four scopes and nothing else', () => {
    expect(parseScope('issue:acme/app#3')).toEqual({ kind: 'issue', repo: 'acme/app', number: 3 })
    expect(parseScope('repo:acme/app')).toEqual({ kind: 'repo', repo: 'acme/app' })
    expect(parseScope('agent:Engineer-2@Acme/App')).toBeNull() // an instance is lower case
    expect(parseScope('agent:engineer-2@Acme/App')).toEqual({ kind: 'agent', name: 'engineer-2@acme/app' })
    expect(parseScope('private:tester@acme/app')).toEqual({ kind: 'private', name: 'tester@acme/app' })
    for (const bad of ['issue:acme/app', 'issue:acme/app#0', 'issue:acme#3', 'repo:acme', 'agent:engineer', 'private:@acme/app', 'team:acme', '', 'issue:acme/app#99999999999']) {
      expect(parseScope(bad), bad).toBeNull()
    }
    expect(scopeText({ kind: 'issue', repo: 'acme/app', number: 3 })).toBe('issue:acme/app#3')
  })

  it('agent: its owner writes, all read; private: only its owner, not even the person', () => {
    const own = { kind: 'agent', name: 'engineer@acme/app' } as const
    const secret = { kind: 'private', name: 'engineer@acme/app' } as const
    for (const c of [person, engineer, tester]) expect(() => checkRead(c, own)).not.toThrow()
    expect(() => checkWrite(engineer, own)).not.toThrow()
    expect(forbidden(() => checkWrite(tester, own))).toMatch(/agent:engineer@acme\/app is written only by engineer@acme\/app \(tester@acme\/app may read it/)
    expect(forbidden(() => checkWrite(person, own))).toMatch(/a person may read it/)
    expect(() => checkRead(engineer, secret)).not.toThrow()
    expect(() => checkWrite(engineer, secret)).not.toThrow()
    expect(forbidden(() => checkRead(tester, secret))).toMatch(/private to engineer@acme\/app: only that agent reads it/)
    expect(forbidden(() => checkRead(person, secret))).toMatch(/only that agent reads it/)
    expect(forbidden(() => checkWrite(person, secret))).toMatch(/only that agent writes it/)
  })

  it('the API schema names what is wrong', () => {
    const bad = api['memory.remember'].input.safeParse({ scope: 'issue:acme/app#3', key: ' spaced key', text: '' })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([expect.stringMatching(/^key: key is 1 to 200 letters/), 'text: text is needed'])
    expect(api['memory.remember'].input.safeParse({ scope: 'repo:acme/app', key: 'k', text: 't', ttlSec: 0 }).error?.issues[0]?.message).toMatch(/ttlSec is a whole number of seconds/)
    expect(api['memory.recall'].input.safeParse({ scope: 'repo:acme/app', limit: 500 }).error?.issues[0]?.message).toBe('limit is a whole number from 1 to 200')
  })
})

describe('memory handlers', () => {
  it('remember, recall, replace, forget; the repository is written as connected; a scope of a repository not connected is named', () => {
    expect(h['memory.remember']({ scope: 'repo:ACME/app', key: 'build', text: 'npm test runs vitest' }, engineer)).toEqual({ scope: 'repo:acme/App', key: 'build', created: true, expiresAt: null })
    expect(h['memory.remember']({ scope: 'repo:acme/app', key: 'build', text: 'npm test -- --run' }, tester).created).toBe(false)
    const recalled = h['memory.recall']({ scope: 'repo:acme/app', limit: 20 }, person)
    expect(recalled.entries).toEqual([expect.objectContaining({ scope: 'repo:acme/App', key: 'build', text: 'npm test -- --run', author: 'tester@acme/app', source: 'memory' })])
    expect(h['memory.recall']({ scope: 'repo:acme/app', query: 'VITEST', limit: 20 }).entries).toEqual([])
    expect(h['memory.recall']({ scope: 'repo:acme/app', prefix: 'bu', limit: 20 }).entries).toHaveLength(1)
    expect(h['memory.recall']({ scope: 'repo:acme/app', prefix: 'b%', limit: 20 }).entries).toHaveLength(0) // LIKE's wildcards are literal
    expect(h['memory.forget']({ scope: 'repo:acme/app', key: 'build' }, person)).toEqual({ scope: 'repo:acme/App', key: 'build', forgotten: true })
    expect(h['memory.forget']({ scope: 'repo:acme/app', key: 'build' }, person).forgotten).toBe(false)
    expect(() => h['memory.recall']({ scope: 'repo:acme/lib', limit: 20 })).toThrow(/acme\/lib is not connected to Baton\. Connected: acme\/App\./)
    expect(() => h['memory.recall']({ scope: 'issue:acme/app#99', limit: 20 })).toThrow(/Issue #99 is not known to Baton/)
    expect(() => h['memory.recall']({ scope: 'team:x', limit: 20 })).toThrow(/"team:x" is not a scope: a scope is issue:owner\/repo#n/)
    const events = db.prepare("SELECT kind, subject, message FROM events WHERE kind LIKE 'memory.%' ORDER BY id").all()
    expect(events).toEqual([
      { kind: 'memory.remember', subject: 'engineer@acme/app', message: 'engineer@acme/app remembered build in repo:acme/App' },
      { kind: 'memory.remember', subject: 'tester@acme/app', message: 'tester@acme/app remembered build in repo:acme/App' },
      { kind: 'memory.forget', subject: 'mara', message: 'mara forgot build in repo:acme/App' }
    ])
  })

  it('private memory: refused to another agent and to the person, read and written by its owner', () => {
    h['memory.remember']({ scope: 'private:engineer@acme/app', key: 'hunch', text: 'the bug is in add()' }, engineer)
    expect(h['memory.recall']({ scope: 'private:engineer@acme/app', limit: 20 }, engineer).entries.map((e) => e.text)).toEqual(['the bug is in add()'])
    expect(forbidden(() => h['memory.recall']({ scope: 'private:engineer@acme/app', limit: 20 }, tester))).toMatch(/private to engineer@acme\/app/)
    expect(forbidden(() => h['memory.recall']({ scope: 'private:engineer@acme/app', limit: 20 }))).toMatch(/private to engineer@acme\/app/)
    expect(forbidden(() => h['memory.forget']({ scope: 'private:engineer@acme/app', key: 'hunch' }, tester))).toMatch(/only that agent writes it/)
    expect(forbidden(() => h['memory.remember']({ scope: 'agent:engineer@acme/app', key: 'k', text: 'spoofed' }, tester))).toMatch(/written only by engineer@acme\/app/)
    expect(h['memory.recall']({ scope: 'private:engineer@acme/app', limit: 20 }, engineer).entries).toHaveLength(1)
  })

  it('TTL: an expired entry is never returned, is swept, and its key starts afresh', () => {
    const r = h['memory.remember']({ scope: 'issue:acme/app#3', key: 'wip', text: 'editing calc.js', ttlSec: 60 }, engineer)
    expect(r.expiresAt).toBe('2026-12-01T10:01:00.000Z')
    clock += 59_000
    expect(h['memory.recall']({ scope: 'issue:acme/app#3', key: 'wip', limit: 20 }).entries).toHaveLength(1)
    clock += 1_000
    expect(h['memory.recall']({ scope: 'issue:acme/app#3', key: 'wip', limit: 20 }).entries).toEqual([])
    expect((db.prepare('SELECT COUNT(*) AS n FROM memory').get() as { n: number }).n).toBe(0) // swept
    expect(h['memory.forget']({ scope: 'issue:acme/app#3', key: 'wip' }, engineer).forgotten).toBe(false)
    // Expired but not swept yet: remembering the key again creates it.
    h['memory.remember']({ scope: 'issue:acme/app#3', key: 'wip', text: 'again', ttlSec: 1 }, engineer)
    clock += 5_000
    expect(h['memory.remember']({ scope: 'issue:acme/app#3', key: 'wip', text: 'third' }, engineer)).toMatchObject({ created: true, expiresAt: null })
  })

  it("the issue scope holds the issue's notes, read-only", () => {
    addNote(db, { repoId: 1, issue: 3, role: 'architect', kind: 'plan', body: '## Affected files\n- `src/calc.js` — defines add', at: '2026-12-01T09:00:00.000Z' })
    h['memory.remember']({ scope: 'issue:acme/app#3', key: 'decision', text: 'keep add() pure' }, engineer)
    const all = h['memory.recall']({ scope: 'issue:acme/app#3', limit: 20 }, tester).entries
    expect(all.map((e) => [e.key.replace(/\d+$/, 'N'), e.author, e.source])).toEqual([
      ['decision', 'engineer@acme/app', 'memory'],
      ['note/plan/N', 'architect', 'note']
    ])
    expect(h['memory.recall']({ scope: 'issue:acme/app#3', query: 'calc.js', limit: 20 }).entries.map((e) => e.source)).toEqual(['note'])
    const noteKey = all[1]!.key
    expect(forbidden(() => h['memory.forget']({ scope: 'issue:acme/app#3', key: noteKey }, engineer))).toMatch(/one of the issue's notes/)
    expect(() => h['memory.remember']({ scope: 'issue:acme/app#3', key: 'note/plan/1', text: 'x' }, engineer)).toThrow(/note\/… keys are the issue's notes/)
    expect(h['memory.recall']({ scope: 'issue:acme/app#3', limit: 1 })).toMatchObject({ truncated: true, entries: [expect.objectContaining({ key: 'decision' })] })
  })

  it("a task's token acts as its agent only while its attempt runs", () => {
    db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, created_at, updated_at) VALUES ('t_9', 1, 3, 'in-progress', 'engineer', 'engineer', 'running', 2, 'x', 'x')").run()
    const scope = { taskId: 't_9', attempt: 2, agent: 'engineer@acme/app', repo: 'acme/app', issue: 3 }
    expect(agentCaller(db, scope)).toEqual({ kind: 'agent', name: 'engineer@acme/app', taskId: 't_9', repoId: 1, issue: 3 })
    expect(() => agentCaller(db, { ...scope, attempt: 1 })).toThrow(/no longer runs/)
    db.prepare("UPDATE tasks SET state = 'applied' WHERE id = 't_9'").run()
    expect(() => agentCaller(db, scope)).toThrow(/no longer runs/)
  })
})
