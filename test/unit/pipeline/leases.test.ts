// File leases (issue #14), the pure parts and the store: globs and their
// overlap, the plan's file list, the scheduler's lease wait (naming the
// lease), and that a task's lease lives exactly as long as its attempt.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EventHub } from '../../../src/main/events'
import { memoryHandlers } from '../../../src/main/api/memory-handlers'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import { globMatches, patternProblem, patternsOverlap } from '../../../src/main/pipeline/lease-globs'
import { leaseWait } from '../../../src/main/pipeline/lease-wait'
import { planFilesOf } from '../../../src/main/pipeline/plan-files'
import { schedule, type ScheduleIssue } from '../../../src/main/pipeline/scheduler'
import { liveLeases, planFiles, putLease, sweepLeases } from '../../../src/main/store/leases'
import { addNote } from '../../../src/main/store/notes'
import { openDatabase } from '../../../src/main/store/open'
import { waitOf } from '../../../src/main/store/board'
import type { Caller } from '../../../src/main/memory/scope'

describe('globs', () => {
  it('matches paths', () => {
    expect(globMatches('src/calc.js', 'src/calc.js')).toBe(true)
    expect(globMatches('src/*.js', 'src/calc.js')).toBe(true)
    expect(globMatches('src/*.js', 'src/lib/calc.js')).toBe(false)
    expect(globMatches('src/**/*.js', 'src/calc.js')).toBe(true)
    expect(globMatches('src/**/*.js', 'src/a/b/calc.js')).toBe(true)
    expect(globMatches('src/**', 'src/a/b/calc.js')).toBe(true)
    expect(globMatches('src/{calc,math}.js', 'src/math.js')).toBe(true)
    expect(globMatches('src/{calc,math}.js', 'src/other.js')).toBe(false)
    expect(globMatches('src/calc.[jt]s', 'src/calc.ts')).toBe(true)
    expect(globMatches('src/calc.[!j]s', 'src/calc.js')).toBe(false)
    expect(globMatches('src/c?lc.js', 'src/calc.js')).toBe(true)
    expect(globMatches('src/calc.js', 'src/calcXjs')).toBe(false) // a dot is a dot
  })

  it('overlap: exact for a path against a glob; two globs overlap unless their literal ends disagree', () => {
    expect(patternsOverlap('src/calc.js', 'src/calc.js')).toBe(true)
    expect(patternsOverlap('src/calc.js', 'src/math.js')).toBe(false)
    expect(patternsOverlap('src/**', 'src/calc.js')).toBe(true)
    expect(patternsOverlap('src/calc.js', 'lib/**')).toBe(false)
    expect(patternsOverlap('src/*.js', 'src/*.ts')).toBe(false)
    expect(patternsOverlap('src/*.js', 'src/calc*')).toBe(true)
    expect(patternsOverlap('src/**/*.js', 'src/a/**')).toBe(true)
    expect(patternsOverlap('src/a*/x.js', 'src/b*/x.js')).toBe(false)
    expect(patternsOverlap('**', 'anything/at/all.txt')).toBe(true)
    expect(patternsOverlap('docs/{a,b}.md', 'docs/b.md')).toBe(true)
    expect(patternsOverlap('docs/{a,b}.md', 'docs/c.md')).toBe(false)
  })

  it('refuses what is not a path inside the repository', () => {
    expect(patternProblem('src/calc.js')).toBeNull()
    expect(patternProblem('/etc/passwd')).toMatch(/absolute/)
    expect(patternProblem('src/../x')).toMatch(/\.\. segment/)
    expect(patternProblem('src\\x')).toMatch(/backslash/)
    expect(patternProblem('src/')).toMatch(/empty segment .* folder\/\*\*/)
    expect(patternProblem(' ')).toMatch(/a path is needed/)
  })
})

describe("the plan's files", () => {
  it("reads the Architect's Affected files list (with or without backticks), not the sentences or the related tests", () => {
    const plan = [
      '## Affected files',
      '- `src/calc.js` — defines add',
      '- src/format.ts: imports add',
      '- `./lib/util.js` (new file)',
      '',
      'Related tests:',
      '- `test/calc.test.js`',
      '',
      '## Approach',
      '- Make the smallest change in `src/calc.js`.'
    ].join('\n')
    expect(planFilesOf(plan)).toEqual(['src/calc.js', 'src/format.ts', 'lib/util.js'])
    expect(planFilesOf('## Affected files\n- No file defines or imports what the issue names; the change likely adds new code.')).toEqual([])
    expect(planFilesOf('No plan here')).toEqual([])
  })

  it('a plan note fills plan_files; a new plan replaces them', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-plan-')), 'baton.db'))
    db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/app', 'github.com', 'x', 'acme', 'app', 'main', 'x')").run()
    addNote(db, { repoId: 1, issue: 3, role: 'architect', kind: 'plan', body: '## Affected files\n- `src/calc.js` — x\n- `src/b.js` — y', at: 'x' })
    expect(planFiles(db, 1, 3)).toEqual(['src/b.js', 'src/calc.js'])
    addNote(db, { repoId: 1, issue: 3, role: 'architect', kind: 'plan', body: '## Affected files\n- `src/c.js` — z', at: 'x' })
    expect(planFiles(db, 1, 3)).toEqual(['src/c.js'])
    addNote(db, { repoId: 1, issue: 3, role: 'tester', kind: 'test-report', body: '## Affected files\n- `src/d.js`', at: 'x' })
    expect(planFiles(db, 1, 3)).toEqual(['src/c.js'])
  })
})

describe('the lease wait', () => {
  const held = [{ repoId: 1, issue: 4, pattern: 'src/calc.js', holder: 'engineer@acme/app' }]
  it('names the file, the holder and its issue; never its own issue, another repository or a file the plan does not name', () => {
    expect(leaseWait({ repoId: 1, number: 5 }, ['src/calc.js'], held)).toBe('waits for a lease on src/calc.js held by engineer@acme/app (#4)')
    expect(leaseWait({ repoId: 1, number: 5 }, ['src/calc.js'], [{ repoId: 1, issue: null, pattern: 'src/**', holder: 'mara' }])).toBe('waits for a lease on src/calc.js (src/**) held by mara')
    expect(leaseWait({ repoId: 1, number: 4 }, ['src/calc.js'], held)).toBeNull()
    expect(leaseWait({ repoId: 2, number: 5 }, ['src/calc.js'], held)).toBeNull()
    expect(leaseWait({ repoId: 1, number: 5 }, ['src/math.js'], held)).toBeNull()
    expect(leaseWait({ repoId: 1, number: 5 }, undefined, held)).toBeNull()
    expect(waitOf('waits for a lease on src/calc.js held by engineer@acme/app (#4)')).toEqual({ activity: 'blocked', needs: null, blockedBy: null })
  })

  const issue = (number: number): ScheduleIssue => ({ repoId: 1, number, labels: ['ready-for-dev'], body: '', createdAt: `2026-12-01T00:00:0${number}Z`, trusted: true, outsideAuthor: false })
  const base = {
    pipeline: defaultPipeline,
    busy: new Set<string>(),
    sideLaneDone: new Set<string>(),
    isClosed: () => false,
    idle: new Map([['engineer', ['engineer', 'engineer-2']]]),
    parallelPrs: true,
    holderName: (agent: string) => `${agent}@acme/app`
  }

  it('the scheduler: an Engineer whose plan touches a leased file waits; two plans touching one file never start together in one pass', () => {
    const planFilesByIssue = new Map([
      ['1#1', ['src/calc.js']],
      ['1#2', ['src/calc.js', 'src/b.js']],
      ['1#3', ['src/other.js']]
    ])
    const plan = schedule({ ...base, issues: [issue(1), issue(2), issue(3)], planFiles: planFilesByIssue })
    expect(plan.start.map((s) => [s.issue, s.agent])).toEqual([
      [1, 'engineer'],
      [3, 'engineer-2']
    ])
    expect(plan.waiting).toEqual([{ repoId: 1, issue: 2, reason: 'waits for a lease on src/calc.js held by engineer@acme/app (#1)' }])

    const held = schedule({ ...base, issues: [issue(2), issue(3)], planFiles: planFilesByIssue, leases: [{ repoId: 1, issue: 9, pattern: 'src/*.js', holder: 'engineer-3@acme/app' }] })
    expect(held.start).toEqual([])
    expect(held.waiting.map((w) => w.reason)).toEqual([
      'waits for a lease on src/calc.js (src/*.js) held by engineer-3@acme/app (#9)',
      'waits for a lease on src/other.js (src/*.js) held by engineer-3@acme/app (#9)'
    ])
    // Not an Engineer stage: no lease wait.
    const triage = schedule({ ...base, idle: new Map([['pm', ['pm']]]), issues: [{ ...issue(2), labels: ['backlog'] }], planFiles: planFilesByIssue, leases: [{ repoId: 1, issue: 9, pattern: '**', holder: 'x' }] })
    expect(triage.start.map((s) => s.role)).toEqual(['pm'])
  })
})

describe('lease lifetime', () => {
  it("a task's lease counts while its attempt runs or waits, and ends with it (applied, failed, a lost attempt requeued, a later attempt); a person's with its TTL", () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-lease-')), 'baton.db'))
    db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/app', 'github.com', 'x', 'acme', 'app', 'main', 'x')").run()
    db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, created_at, updated_at) VALUES ('t_1', 1, 4, 'in-progress', 'engineer', 'engineer', 'running', 1, 'x', 'x')").run()
    const now = '2026-12-01T10:00:00.000Z'
    putLease(db, { repoId: 1, pattern: 'src/calc.js', taskId: 't_1', attempt: 1, holder: 'engineer@acme/app', issue: 4, source: 'plan', reason: null, at: now, expiresAt: null })
    putLease(db, { repoId: 1, pattern: 'docs/**', taskId: null, attempt: null, holder: 'mara', issue: null, source: 'tool', reason: 'rewriting', at: now, expiresAt: '2026-12-01T10:05:00.000Z' })
    const live = () => liveLeases(db, now).map((l) => l.pattern)
    expect(live()).toEqual(['src/calc.js', 'docs/**'])
    for (const [state, attempt, counts] of [
      ['waiting', 1, true],
      ['queued', 1, false], // a lost attempt, queued again
      ['running', 2, false], // the next attempt: main takes the plan's lease again when it starts it
      ['running', 1, true],
      ['applied', 1, false],
      ['failed', 1, false],
      ['cancelled', 1, false]
    ] as const) {
      db.prepare('UPDATE tasks SET state = ?, attempt = ? WHERE id = ?').run(state, attempt, 't_1')
      expect(live().includes('src/calc.js'), `${state} attempt ${attempt}`).toBe(counts)
    }
    expect(liveLeases(db, '2026-12-01T10:05:00.000Z').map((l) => l.pattern)).toEqual([])
    expect(sweepLeases(db, '2026-12-01T10:05:00.000Z')).toBe(2)
  })

  it('leases.take: a pattern another holder overlaps is refused naming it; a task never stands in its own way; release frees only lease_files leases', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-lease-')), 'baton.db'))
    db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/app', 'github.com', 'x', 'acme', 'app', 'main', 'x')").run()
    for (const [id, issue] of [['t_1', 4], ['t_2', 5]] as const) {
      db.prepare("INSERT INTO tasks (id, repo_id, issue, stage, role, agent, state, attempt, created_at, updated_at) VALUES (?, 1, ?, 'in-progress', 'engineer', 'engineer', 'running', 1, 'x', 'x')").run(id, issue)
    }
    let clock = Date.parse('2026-12-01T10:00:00.000Z')
    const h = memoryHandlers({ db, events: new EventHub(), login: () => 'mara', now: () => new Date(clock) })
    const a: Caller = { kind: 'agent', name: 'engineer@acme/app', taskId: 't_1', repoId: 1, issue: 4 }
    const b: Caller = { kind: 'agent', name: 'engineer-2@acme/app', taskId: 't_2', repoId: 1, issue: 5 }
    putLease(db, { repoId: 1, pattern: 'src/plan.js', taskId: 't_1', attempt: 1, holder: 'engineer@acme/app', issue: 4, source: 'plan', reason: null, at: '2026-12-01T09:00:00.000Z', expiresAt: null })
    const first = h['leases.take']({ paths: ['src/**/*.js', 'src/plan.js'], ttlSec: 60 }, a)
    expect(first.granted.map((g) => [g.pattern, g.holder, g.issue, g.expiresAt])).toEqual([
      ['src/**/*.js', 'engineer@acme/app', 'acme/app#4', '2026-12-01T10:01:00.000Z'],
      ['src/plan.js', 'engineer@acme/app', 'acme/app#4', '2026-12-01T10:01:00.000Z']
    ])
    const second = h['leases.take']({ paths: ['src/calc.js', 'README.md'], ttlSec: 60, reason: 'docs' }, b)
    expect(second.granted.map((g) => g.pattern)).toEqual(['README.md'])
    expect(second.refused).toEqual([{ pattern: 'src/calc.js', heldBy: expect.objectContaining({ pattern: 'src/**/*.js', holder: 'engineer@acme/app', issue: 'acme/app#4', source: 'tool' }) }])
    expect(() => h['leases.take']({ paths: ['src/x.js'], ttlSec: 60, repo: 'acme/other' }, b)).toThrow(/leases files of its task's repository \(acme\/app\) only/)
    expect(() => h['leases.take']({ paths: ['src/x.js'], ttlSec: 60 })).toThrow(/repo is needed: a person names the repository/)
    expect(() => h['leases.take']({ paths: ['../x'], ttlSec: 60 }, b)).toThrow(/paths: "..\/x" has a \. or \.\. segment/)
    expect(h['leases.release']({}, a)).toEqual({ released: 2 })
    expect(h['leases.list']({}).map((l) => [l.pattern, l.source])).toEqual([
      ['src/plan.js', 'plan'],
      ['README.md', 'tool']
    ])
    clock += 61_000
    expect(h['leases.list']({}).map((l) => l.pattern)).toEqual(['src/plan.js'])
    expect(h['leases.take']({ paths: ['src/calc.js'], ttlSec: 60 }, b).granted).toHaveLength(1)
  })
})
