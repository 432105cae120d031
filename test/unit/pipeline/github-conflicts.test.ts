// The pieces of "a PR that no longer merges goes back to the Engineer" that
// need no forge: where the issue goes back to, which mirrored PRs qualify,
// once per (head, base), and GitHub's lazily computed mergeability.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { EventHub } from '../../../src/main/events'
import { fetchMergeability, storeMergeability } from '../../../src/main/github/mergeability'
import type { GitHub } from '../../../src/main/github/octokit'
import { createLogger } from '../../../src/main/log'
import { defaultPipeline, parsePipeline } from '../../../src/main/pipeline/definition'
import { PipelineEngine } from '../../../src/main/pipeline/engine'
import { updateStage } from '../../../src/main/pipeline/github-conflicts'
import { instructionsFor } from '../../../src/main/pipeline/instructions'
import type { GitHubPort } from '../../../src/main/pipeline/ports'
import { openDatabase, type Db } from '../../../src/main/store/open'
import { conflictedPulls, conflictHandled, conflictKey, markConflictHandled } from '../../../src/main/store/pull-conflicts'

describe('updateStage', () => {
  it("sends an issue under test or review back to the Engineer's working stage, and leaves it with the Engineer or done", () => {
    expect(updateStage(defaultPipeline, ['needs-review'])).toEqual({ from: 'needs-review', to: 'in-progress' })
    expect(updateStage(defaultPipeline, ['bug', 'needs-testing'])).toEqual({ from: 'needs-testing', to: 'in-progress' })
    expect(updateStage(defaultPipeline, ['in-progress'])).toBeNull()
    expect(updateStage(defaultPipeline, ['ready-for-dev'])).toBeNull()
    expect(updateStage(defaultPipeline, ['done'])).toBeNull()
    expect(updateStage(defaultPipeline, ['bug'])).toBeNull()
  })

  it("follows a repository's own pipeline: the last Engineer stage before the issue's", () => {
    const own = parsePipeline(`stages:
  - { label: todo, owner: pm, next: [build] }
  - { label: build, owner: engineer, next: [qa] }
  - { label: qa, owner: tester, next: [ship, build] }
  - { label: ship }
`)
    expect(updateStage(own, ['qa'])).toEqual({ from: 'qa', to: 'build' })
    expect(updateStage(own, ['todo'])).toBeNull()
  })
})

describe("the Engineer's instructions for a branch update", () => {
  const update = { pr: 5, defaultBranch: 'main' }
  it('say "update branch" at the working stage, with the answer when a person gave one; not for a claim, a hand-off or another role', () => {
    const text = instructionsFor('engineer-2', 'in-progress', { branch: 'baton/4-fix', update })
    expect(text).toMatch(/^Update branch: PR #5 cannot merge until its branch is brought up to date with main/)
    expect(text).toContain('merge origin/main into it')
    expect(text).toContain('BRANCH: baton/4-fix with LABEL-UPDATED: in-progress --> needs-testing')
    expect(text).toContain('REQUEST naming the conflicting files')
    expect(instructionsFor('engineer', 'in-progress', { branch: 'b', update, answer: 'use theirs' })).toMatch(/A person answered your question: use theirs$/)
    expect(instructionsFor('engineer', 'ready-for-dev', { branch: 'b', update })).toMatch(/^Claim this issue/)
    expect(instructionsFor('engineer', 'handoff', { branch: 'b', update, handoff: 'check the logs' })).toMatch(/^Another role handed you work/)
    expect(instructionsFor('tester', 'needs-testing', { branch: 'b', update })).toMatch(/^Your workspace holds branch b/)
  })
})

describe('mergeability in the mirror', () => {
  let db: Db
  beforeEach(() => {
    db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-merge-')), 'baton.db'))
    db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'h/o/a', 'h', 'http://h/api/v3', 'o', 'a', 'main', 'now')").run()
    const pull = db.prepare("INSERT INTO pulls (repo_id, number, issue, title, state, head, base, head_sha, author, created_at, updated_at) VALUES (1, ?, ?, 'PR', 'open', ?, 'main', ?, 'baton', 'now', 'now')")
    pull.run(5, 4, 'baton/4-fix', 'h5')
    pull.run(6, null, 'baton/x-no-issue', 'h6')
    pull.run(7, 3, 'feature/people', 'h7')
  })
  const answer = (number: number, mergeable: boolean | null, state: string, base = 'b1') => ({ number, data: { mergeable, mergeable_state: state, base: { sha: base } }, etag: `"e${number}"`, notModified: false })
  const etag = (pr: number) => (db.prepare("SELECT etag FROM sync_state WHERE repo_id = 1 AND key = ?").get(`pull:${pr}`) as { etag: string | null } | undefined)?.etag

  it("while GitHub still computes it (mergeable null) keeps no ETag, so the next pass asks afresh; a 304 changes nothing", () => {
    expect(storeMergeability(db, 1, [answer(5, null, 'unknown')])).toEqual([5, 4])
    expect(etag(5)).toBeNull()
    expect(storeMergeability(db, 1, [answer(5, false, 'dirty')])).toEqual([5, 4])
    expect(etag(5)).toBe('"e5"')
    expect(storeMergeability(db, 1, [{ number: 5, data: null, etag: '"e5"', notModified: true }])).toEqual([])
    expect(storeMergeability(db, 1, [answer(5, false, 'dirty')])).toEqual([])
  })

  it('a PR gone since the list was read (404) is skipped and the pass goes on; another failure is the sync\'s', async () => {
    const fake = (fail: number) =>
      ({
        request: async (_route: string, params: { pull_number: number }) => {
          if (params.pull_number === 5) throw Object.assign(new Error('failed'), { status: fail })
          return { data: { mergeable: true, mergeable_state: 'clean', base: { sha: 'b' } }, headers: { etag: '"x"' } }
        }
      }) as unknown as GitHub
    const counter = { requests: 0, notModified: 0 }
    const answers = await fetchMergeability(db, fake(404), { id: 1, owner: 'o', name: 'a' }, [{ number: 5 }, { number: 6 }], counter)
    expect(answers.map((a) => a.number)).toEqual([6])
    expect(counter.requests).toBe(2)
    await expect(fetchMergeability(db, fake(502), { id: 1, owner: 'o', name: 'a' }, [{ number: 5 }], counter)).rejects.toThrow('failed')
  })

  it("only an open agent PR that closes an issue and conflicts, or is behind, is one to update — once per (head, base)", () => {
    storeMergeability(db, 1, [answer(5, false, 'dirty'), answer(6, false, 'dirty'), answer(7, false, 'dirty')])
    const [only, ...rest] = conflictedPulls(db, 1)
    expect(rest).toEqual([])
    expect(only).toEqual({ number: 5, issue: 4, head: 'baton/4-fix', headSha: 'h5', baseSha: 'b1', state: 'dirty' })
    markConflictHandled(db, 1, conflictKey(only!), 4, 'now')
    expect(conflictHandled(db, 1, conflictKey(only!))).toBe(true)
    // The default branch moved again: a new pair, asked again.
    storeMergeability(db, 1, [answer(5, false, 'dirty', 'b2')])
    expect(conflictHandled(db, 1, conflictKey(conflictedPulls(db, 1)[0]!))).toBe(false)
    storeMergeability(db, 1, [answer(5, true, 'behind', 'b3')])
    expect(conflictedPulls(db, 1).map((p) => p.state)).toEqual(['behind'])
    for (const state of ['clean', 'blocked', 'unstable', 'unknown']) {
      storeMergeability(db, 1, [answer(5, state === 'unknown' ? null : true, state, 'b4')])
      expect(conflictedPulls(db, 1)).toEqual([])
    }
  })
})

describe('a conflicted agent PR, through the engine', () => {
  it("waits while the issue is with the Engineer, then sends it back once: a comment, a conflict note, the label move", async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-conflict-')), 'baton.db'))
    db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'h/o/a', 'h', 'http://h/api/v3', 'o', 'a', 'main', 'now')").run()
    db.prepare("INSERT INTO issues (repo_id, number, title, body, state, author, author_association, labels, created_at, updated_at) VALUES (1, 4, 'Fix', 'Body.', 'open', 'm', 'MEMBER', '[\"in-progress\"]', 'now', 'now')").run()
    db.prepare("INSERT INTO pulls (repo_id, number, issue, title, state, head, base, head_sha, author, created_at, updated_at) VALUES (1, 5, 4, 'PR', 'open', 'baton/4-fix', 'main', 'h5', 'baton', 'now', 'now')").run()
    storeMergeability(db, 1, [{ number: 5, data: { mergeable: false, mergeable_state: 'dirty', base: { sha: 'b1' } }, etag: null, notModified: false }])
    const said: string[] = []
    const moves: string[] = []
    const github: GitHubPort = {
      comment: async (_r, _i, body, marker) => {
        if (!said.some((b) => b.includes(marker))) said.push(body)
        return null
      },
      setLabels: async (_r, _i, add, remove) => {
        moves.push(`${remove.join(',')} → ${add.join(',')}`)
        return add
      },
      ensurePullRequest: () => Promise.resolve(5),
      merge: () => Promise.resolve({ sha: 'x' }),
      review: () => Promise.resolve(),
      syncNow: () => Promise.resolve(),
      login: () => 'baton'
    }
    const engine = new PipelineEngine({
      db,
      events: new EventHub(),
      log: createLogger({ level: 'error', write: () => undefined }),
      // No agent is free: this test watches the send-back alone.
      pool: { idle: () => new Map(), roles: () => ['engineer', 'tester'], dispatch: () => undefined, cancel: () => undefined },
      github,
      workspace: { prepare: () => Promise.resolve('/tmp/w'), push: () => Promise.resolve(), release: () => Promise.resolve(), removeIssue: () => Promise.resolve() },
      pipeline: () => defaultPipeline,
      settings: () => DEFAULT_SETTINGS,
      waits: new Map()
    })
    await engine.reconcile()
    await engine.idle()
    expect([said, moves]).toEqual([[], []])
    expect(conflictHandled(db, 1, '5:h5:b1')).toBe(false)

    // Its engineer pushed nothing new and moved it on: the same pair, sent back now.
    db.prepare("UPDATE issues SET labels = '[\"needs-testing\"]' WHERE number = 4").run()
    await engine.reconcile()
    await engine.idle()
    await engine.reconcile()
    await engine.idle()
    expect(moves).toEqual(['needs-testing → in-progress'])
    expect(said).toHaveLength(1)
    expect(said[0]).toMatch(/^\*\*Baton\*\* · PR #5 no longer merges cleanly: `main` moved \(now `b1`\)/)
    expect(said[0]).toContain('<!-- baton:task=update-5-h5-b1 baton:role=baton -->')
    const notes = db.prepare("SELECT kind, body FROM notes WHERE issue = 4").all() as Array<{ kind: string; body: string }>
    expect(notes.map((n) => n.kind)).toEqual(['conflict'])
    expect(notes[0]!.body).toContain('pr: 5\ndefault: main\nhead: h5\nbase: b1')
    expect(conflictHandled(db, 1, '5:h5:b1')).toBe(true)
    db.close()
  })
})
