// Where a repository's pipeline comes from: its .baton/pipeline.yml (the last
// good one while it is broken), else Settings' for the repository, else
// Settings' for all, else the default; and the file is re-read cheaply.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { refreshPipelineFile } from '../../../src/main/github/pipeline-file'
import type { GitHub } from '../../../src/main/github/octokit'
import { defaultPipeline, parsePipeline } from '../../../src/main/pipeline/definition'
import { Pipelines, resolvePipeline } from '../../../src/main/pipeline/loader'
import { openDatabase, type Db } from '../../../src/main/store/open'
import type { PipelineSpec } from '../../../src/shared/pipeline'

const ROLES = ['pm', 'architect', 'engineer', 'tester', 'community', 'marketing']
const twoStage = (owner = 'pm'): PipelineSpec => ({ stages: [{ label: 'todo', owner, next: ['shipped'] }, { label: 'shipped' }] })
const fileText = (label: string) => `stages:\n  - { label: ${label}, owner: engineer, next: [review] }\n  - { label: review, next: [merged] }\n  - { label: merged }\n`

let db: Db
let roles: string[]
let pipelines: Pipelines
beforeEach(() => {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-loader-')), 'baton.db'))
  db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'h/o/a', 'h', 'http://h/api/v3', 'o', 'a', 'main', 'now'), (2, 'h/o/b', 'h', 'http://h/api/v3', 'o', 'b', 'main', 'now')").run()
  roles = [...ROLES]
  pipelines = new Pipelines({ db, roles: () => roles })
})

describe('precedence', () => {
  const p = (label: string) => parsePipeline(`stages:\n  - { label: ${label}, next: [end] }\n  - { label: end }\n`)
  it.each([
    [{ file: p('f'), repo: p('r'), global: p('g') }, 'file', 'f'],
    [{ file: null, repo: p('r'), global: p('g') }, 'settings-repo', 'r'],
    [{ file: null, repo: null, global: p('g') }, 'settings-global', 'g'],
    [{ file: null, repo: null, global: null }, 'default', 'backlog']
  ])('%#: the strongest present wins', (candidates, source, first) => {
    const r = resolvePipeline(candidates)
    expect(r.source).toBe(source)
    expect(r.pipeline.stages[0]?.label).toBe(first)
  })

  it('settings for one repository beat settings for all, and the file beats both', () => {
    expect(pipelines.resolve(1)).toMatchObject({ source: 'default', pipeline: defaultPipeline })
    pipelines.setCustom(null, twoStage())
    expect(pipelines.resolve(1).source).toBe('settings-global')
    pipelines.setCustom(2, { stages: [{ label: 'inbox', owner: 'engineer', next: ['out'] }, { label: 'out' }] })
    expect(pipelines.resolve(1).source).toBe('settings-global')
    expect(pipelines.resolve(2)).toMatchObject({ source: 'settings-repo' })
    expect(pipelines.forRepo(2).stages.map((s) => s.label)).toEqual(['inbox', 'out'])
    pipelines.recordFile(2, { head: 'h1', etag: null, present: true, sha: 's1', pipeline: parsePipeline(fileText('build')), error: null, checkedAt: null })
    expect(pipelines.resolve(2).source).toBe('file')
    // Forgetting the custom pipelines falls back again; nothing else changes.
    pipelines.setCustom(null, null)
    expect(pipelines.resolve(1).source).toBe('default')
    expect(pipelines.resolve(2).source).toBe('file')
  })

  it('survives a restart (kept in SQLite), and skips a stored pipeline whose owner role was removed', () => {
    pipelines.setCustom(null, twoStage('marketing'))
    expect(new Pipelines({ db, roles: () => roles }).resolve(1).source).toBe('settings-global')
    roles = roles.filter((r) => r !== 'marketing')
    expect(new Pipelines({ db, roles: () => roles }).resolve(1).source).toBe('default')
  })
})

describe('a capability stage kept in SQLite', () => {
  it('keeps its capability, route, join, workspace and onCritical through storage (a fan-out review stage, issue #15)', () => {
    const file = parsePipeline(
      'stages:\n  - { label: in-progress, owner: engineer, next: [needs-code-review] }\n  - { label: needs-code-review, capability: review, route: all, join: review, workspace: pr, onCritical: in-progress, next: [shipped, in-progress] }\n  - { label: shipped }\n'
    )
    pipelines.recordFile(1, { head: 'h1', etag: null, present: true, sha: 's1', pipeline: file, error: null, checkedAt: null })
    const stage = new Pipelines({ db, roles: () => roles }).forRepo(1).stages[1]
    expect(stage).toMatchObject({ label: 'needs-code-review', owner: null, capability: 'review', route: 'all', join: 'review', workspace: 'pr', onCritical: 'in-progress' })
  })
})

describe('validation messages name the source and the field', () => {
  it.each([
    [twoStage('wizard'), /pipeline: stages\.0\.owner: no role "wizard" \(roles: pm, architect/],
    [{ stages: [{ label: 'a', next: ['b'] }, { label: 'a' }] }, /pipeline: stages\.1\.label: "a" appears twice/],
    [{ stages: [{ label: 'a', next: ['zz'] }, { label: 'b' }] }, /pipeline: stages\.0\.next\.0: no stage is labelled "zz"/],
    [{ stages: [{ label: 'a', next: ['b'] }, { label: 'b', owner: 'pm' }] }, /pipeline: done: the final stage "b" cannot have an owner/],
    [{ stages: [{ label: 'a' }] }, /pipeline: stages: a pipeline needs at least two stages/],
    [{ stages: [{ label: 'Has Space' }, { label: 'b' }] }, /pipeline: stages\.0\.label: a stage is a label/],
    [{ stages: [{ label: 'a', next: ['b'] }, { label: 'b' }], entry: 'nope' }, /pipeline: entry: no stage is labelled "nope"/]
  ])('%#', (spec, message) => {
    expect(() => pipelines.setCustom(null, spec as PipelineSpec)).toThrow(message)
    expect(pipelines.custom(null)).toBeNull()
  })

  it('a repository-scoped pipeline says which repository', () => {
    expect(() => pipelines.setCustom(2, twoStage('ghost'))).toThrow(/pipeline for repository 2: stages\.0\.owner: no role "ghost"/)
  })
})

/** A fake GitHub answering the branch and the file, counting requests. */
function fakeGitHub(state: { head: string; file: string | null; sha?: string }) {
  const calls: string[] = []
  const octokit = {
    request: async (route: string, params: { headers?: Record<string, string> }) => {
      calls.push(route)
      if (route.includes('/branches/')) {
        const etag = `"b-${state.head}"`
        if (params.headers?.['if-none-match'] === etag) throw Object.assign(new Error('Not modified'), { status: 304 })
        return { data: { commit: { sha: state.head } }, headers: { etag } }
      }
      if (state.file === null) throw Object.assign(new Error('Not Found'), { status: 404 })
      return { data: { type: 'file', sha: state.sha ?? `sha-${state.file.length}-${state.file.charCodeAt(20)}`, encoding: 'base64', content: Buffer.from(state.file).toString('base64') }, headers: {} }
    }
  }
  return { octokit: octokit as unknown as GitHub, calls }
}

describe('the file, re-read cheaply', () => {
  const repo = { id: 1, owner: 'o', name: 'a', default_branch: 'main' }

  it('reads it, then costs one 304 per sync until the branch moves', async () => {
    const gh = fakeGitHub({ head: 'c1', file: fileText('build') })
    const first = await refreshPipelineFile(gh.octokit, repo, pipelines, ROLES)
    expect(first).toMatchObject({ changed: true, error: null, requests: 2 })
    expect(pipelines.forRepo(1).stages.map((s) => s.label)).toEqual(['build', 'review', 'merged'])
    gh.calls.length = 0
    expect(await refreshPipelineFile(gh.octokit, repo, pipelines, ROLES)).toMatchObject({ changed: false, requests: 1 })
    expect(gh.calls).toEqual(['GET /repos/{owner}/{repo}/branches/{branch}'])
  })

  it('a broken file is refused with the file and field named; the last good pipeline stays; a fix applies', async () => {
    const state = { head: 'c1', file: fileText('build') as string | null }
    const gh = fakeGitHub(state)
    await refreshPipelineFile(gh.octokit, repo, pipelines, ROLES)
    state.head = 'c2'
    state.file = 'stages:\n  - { label: build, owner: wizard, next: [merged] }\n  - { label: merged }\n'
    const broken = await refreshPipelineFile(gh.octokit, repo, pipelines, ROLES)
    expect(broken.error).toBe('.baton/pipeline.yml: stages.0.owner: no role "wizard" (roles: pm, architect, engineer, tester, community, marketing)')
    expect(broken.changed).toBe(false)
    expect(pipelines.forRepo(1).stages.map((s) => s.label)).toEqual(['build', 'review', 'merged'])
    expect(pipelines.fileState(1)?.error).toMatch(/wizard/)
    state.head = 'c3'
    state.file = fileText('code')
    expect(await refreshPipelineFile(gh.octokit, repo, pipelines, ROLES)).toMatchObject({ changed: true, error: null })
    expect(pipelines.forRepo(1).stages[0]?.label).toBe('code')
  })

  it('a broken file with no good one before leaves Settings or the default in charge', async () => {
    pipelines.setCustom(1, twoStage())
    const gh = fakeGitHub({ head: 'c1', file: 'stages: [ {' })
    const r = await refreshPipelineFile(gh.octokit, repo, pipelines, ROLES)
    expect(r.error).toMatch(/^\.baton\/pipeline\.yml: not valid YAML/)
    expect(pipelines.resolve(1).source).toBe('settings-repo')
  })

  it('a file removed from the default branch hands back to Settings or the default', async () => {
    const state = { head: 'c1', file: fileText('build') as string | null }
    const gh = fakeGitHub(state)
    await refreshPipelineFile(gh.octokit, repo, pipelines, ROLES)
    state.head = 'c2'
    state.file = null
    expect(await refreshPipelineFile(gh.octokit, repo, pipelines, ROLES)).toMatchObject({ changed: true, error: null })
    expect(pipelines.resolve(1).source).toBe('default')
    expect(pipelines.fileState(1)).toMatchObject({ present: false, head: 'c2' })
  })
})
