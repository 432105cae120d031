import { describe, expect, it } from 'vitest'
import { defaultPipeline, parsePipeline, stageOf } from '../../../src/main/pipeline/definition'
import { checkMove } from '../../../src/main/pipeline/rules'
import { dependenciesOf } from '../../../src/main/pipeline/dependencies'

describe('pipeline definition', () => {
  it('the default has the seven stages of DESIGN.md §4', () => {
    expect(defaultPipeline.stages.map((s) => `${s.label}:${s.owner ?? '-'}`)).toEqual([
      'backlog:pm',
      'needs-architecture:architect',
      'ready-for-dev:engineer',
      'in-progress:engineer',
      'needs-testing:tester',
      'needs-review:-',
      'done:-'
    ])
  })

  it('parses a repository pipeline file', () => {
    const p = parsePipeline(`
stages:
  - { label: todo, owner: pm, next: [build] }
  - { label: build, owner: engineer, next: [check] }
  - { label: check, owner: null, next: [shipped, build] }
  - { label: shipped }
`)
    expect(p.entry).toBe('todo')
    expect(p.done).toBe('shipped')
    expect(p.stages[1]).toMatchObject({ label: 'build', owner: 'engineer', color: 'ededed', title: 'build' })
  })

  it.each([
    ['stages: [1, 2]', /stages\.0/],
    ['stages:\n  - { label: a }\n', /at least two stages/],
    ['stages:\n  - { label: a, next: [zz] }\n  - { label: b }\n', /stages\.0\.next\.0: no stage is labelled "zz"/],
    ['stages:\n  - { label: a }\n  - { label: a }\n', /stages\.1\.label: "a" appears twice/],
    ['stages:\n  - { label: a, colour: red }\n  - { label: b }\n', /stages\.0/],
    ['stages:\n  - { label: A B }\n  - { label: b }\n', /stages\.0\.label/],
    ['stages:\n  - { label: a }\n  - { label: b, owner: pm }\n', /final stage "b" cannot have an owner/],
    ['stages:\n  - { label: a, color: 5319e7 }\n  - { label: b }\n', /stages\.0\.color: a colour is six hex digits in quotes/],
    ['stages: [ {', /not valid YAML/]
  ])('names what is wrong in %j', (text, message) => {
    expect(() => parsePipeline(text)).toThrow(message)
  })

  it('names an owner that is not a role', () => {
    expect(() => parsePipeline('stages:\n  - { label: a, owner: wizard, next: [b] }\n  - { label: b }\n', 'x.yml', ['pm'])).toThrow(
      /x\.yml: stages\.0\.owner: no role "wizard"/
    )
  })

  it('an issue with two stage labels is where the person moved it last (the later stage)', () => {
    expect(stageOf(defaultPipeline, ['bug', 'backlog'])?.label).toBe('backlog')
    expect(stageOf(defaultPipeline, ['backlog', 'needs-review'])?.label).toBe('needs-review')
    expect(stageOf(defaultPipeline, ['bug'])).toBeNull()
  })
})

describe('moves', () => {
  const move = (role: string, from: string, to: string, current: string | null = from) => checkMove(defaultPipeline, { role, from, to, current })

  it('an owner moves along an allowed move', () => {
    expect(move('pm', 'backlog', 'needs-architecture')).toEqual({ ok: true })
    expect(move('tester', 'needs-testing', 'ready-for-dev')).toEqual({ ok: true })
  })

  it('refuses a non-owner, a skip, a stale stage, unknown stages and any move to done', () => {
    expect(move('engineer', 'backlog', 'needs-architecture')).toMatchObject({ ok: false, reason: expect.stringContaining('does not own') })
    expect(move('pm', 'backlog', 'ready-for-dev')).toMatchObject({ ok: false, reason: expect.stringContaining('not an allowed move') })
    expect(move('pm', 'backlog', 'needs-architecture', 'ready-for-dev')).toMatchObject({ ok: false, reason: expect.stringContaining('someone moved it') })
    expect(move('pm', 'nope', 'backlog')).toMatchObject({ ok: false })
    expect(move('pm', 'backlog', 'nope')).toMatchObject({ ok: false })
    expect(move('tester', 'needs-testing', 'done')).toMatchObject({ ok: false, reason: expect.stringContaining('a person merges') })
    // needs-review is a person's stage: no agent moves it, not even along its allowed moves.
    expect(move('engineer', 'needs-review', 'ready-for-dev')).toMatchObject({ ok: false })
  })
})

describe('dependencies', () => {
  it('reads "blocked by" and "depends on" with one or several issues', () => {
    expect(dependenciesOf('Blocked by #1')).toEqual([1])
    expect(dependenciesOf('This depends on #4, #2 and #9.\nAlso blocked by #4')).toEqual([2, 4, 9])
    expect(dependenciesOf('see #3; not blocked')).toEqual([])
    expect(dependenciesOf('blocked by #5', 5)).toEqual([])
  })
})
