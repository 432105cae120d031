// The configuration setters through the API (roles, pipeline, trust): bad
// input refused with a message that names the field, good input kept in
// SQLite across a restart and audited.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { DEFAULT_SETTINGS, PROVIDERS, type AuditEvent, type PipelineView, type RoleConfig, type RoleUpdateResult, type Settings } from '../../../src/shared/api'
import { providers } from '../../../src/main/agents/providers/index'

let dir: string
let core: Core
const open = () => createCore({ dataDir: dir, mode: 'headless', log: createLogger({ level: 'error' }), env: {}, startAgents: false, agentsDir: join(process.cwd(), 'agents') })
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-config-api-'))
  core = await open()
})
afterEach(async () => {
  await core.close()
  rmSync(dir, { recursive: true, force: true })
})

async function ok<T>(method: string, input: unknown): Promise<T> {
  const r = await core.call(method, input)
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`)
  return r.data as T
}
async function refused(method: string, input: unknown): Promise<{ code: string; message: string }> {
  const r = await core.call(method, input)
  if (r.ok) throw new Error(`${method} accepted ${JSON.stringify(input)}`)
  return r.error
}

describe('roles', () => {
  it('lists the roles with role.yml as the defaults', async () => {
    const roles = await ok<RoleConfig[]>('roles.list', {})
    expect(roles.map((r) => r.name)).toEqual(['architect', 'community', 'engineer', 'marketing', 'pm', 'reviewer-lint', 'reviewer-secrets', 'reviewer-tests', 'tester'])
    expect(roles.find((r) => r.name === 'engineer')).toMatchObject({ provider: 'builtin', model: 'claude-sonnet-4-5', instances: 2, overridden: [], running: 0 })
  })

  it('keeps a model and instances over role.yml, across a restart, audited; reset goes back', async () => {
    const r = await ok<RoleUpdateResult>('roles.update', { role: 'engineer', model: 'claude-opus-4-1', instances: 3 })
    expect(r.role).toMatchObject({ model: 'claude-opus-4-1', instances: 3, overridden: ['model', 'instances'], defaults: { model: 'claude-sonnet-4-5', instances: 2 } })
    expect(r.applies).toMatch(/when the agents start/)
    const events = await ok<AuditEvent[]>('events.recent', { limit: 5 })
    expect(events.find((e) => e.kind === 'role.update')?.message).toBe('engineer: model claude-sonnet-4-5 → claude-opus-4-1, instances 2 → 3')
    await core.close()
    core = await open()
    expect((await ok<RoleConfig[]>('roles.list', {})).find((x) => x.name === 'engineer')).toMatchObject({ model: 'claude-opus-4-1', instances: 3 })
    const back = await ok<RoleUpdateResult>('roles.update', { role: 'engineer', reset: true })
    expect(back.role).toMatchObject({ model: 'claude-sonnet-4-5', instances: 2, overridden: [] })
    // null: the provider's own default model.
    expect((await ok<RoleUpdateResult>('roles.update', { role: 'pm', model: null })).role.model).toBeNull()
  })

  it.each([
    [{ role: 'engineer', instances: 99 }, 'Bad input for roles.update: instances: instances is at most 20.'],
    [{ role: 'engineer', instances: 1.5 }, 'Bad input for roles.update: instances: instances is a whole number from 0 to 20.'],
    [{ role: 'engineer', provider: 'gpt' }, `Bad input for roles.update: provider: a provider is one of ${PROVIDERS.join(', ')}.`],
    [{ role: 'engineer', model: 'two words' }, /^Bad input for roles\.update: model: a model is a name like claude-sonnet-4-5/],
    [{ role: 'engineer', colour: 'red' }, /^Bad input for roles\.update: \(payload\): Unrecognized key/],
    [{ role: 'wizard', model: 'x' }, 'No role "wizard" (roles: architect, community, engineer, marketing, pm, reviewer-lint, reviewer-secrets, reviewer-tests, tester).'],
    [{ role: 'engineer', provider: 'command' }, /^provider: the command provider needs a command, and agents\/engineer\/role\.yml names none/],
    [{ role: 'engineer' }, 'Say what to change: provider, model, instances, or reset.']
  ])('refuses %j', async (input, message) => {
    const error = await refused('roles.update', input)
    if (typeof message === 'string') expect(error.message).toBe(message)
    else expect(error.message).toMatch(message)
    expect((await ok<RoleConfig[]>('roles.list', {})).every((r) => r.overridden.length === 0)).toBe(true)
  })

  it("knows exactly the runner's providers", () => {
    expect([...PROVIDERS].sort()).toEqual(Object.keys(providers).sort())
  })
})

describe('pipeline', () => {
  const custom = { stages: [{ label: 'todo', owner: 'pm', next: ['build'] }, { label: 'build', owner: 'engineer', next: ['shipped'] }, { label: 'shipped' }] }

  it('the default until a custom one is set for every repository; null forgets it', async () => {
    expect(await ok<PipelineView>('pipeline.get', {})).toMatchObject({ source: 'default', entry: 'backlog', custom: false })
    const set = await ok<PipelineView>('pipeline.update', { pipeline: custom })
    expect(set).toMatchObject({ source: 'settings-global', entry: 'todo', done: 'shipped', custom: true })
    expect(set.stages.map((s) => `${s.label}:${s.owner ?? '-'}`)).toEqual(['todo:pm', 'build:engineer', 'shipped:-'])
    expect((await ok<AuditEvent[]>('events.recent', { limit: 3 })).find((e) => e.kind === 'pipeline.update')?.message).toBe('Custom pipeline for every repository: todo (pm) → build (engineer) → shipped')
    await core.close()
    core = await open()
    expect((await ok<PipelineView>('pipeline.get', {})).source).toBe('settings-global')
    expect((await ok<PipelineView>('pipeline.update', { pipeline: null })).source).toBe('default')
  })

  it.each([
    [{ pipeline: { stages: [{ label: 'a', owner: 'wizard', next: ['b'] }, { label: 'b' }] } }, 'pipeline: stages.0.owner: no role "wizard" (roles: architect, community, engineer, marketing, pm, reviewer-lint, reviewer-secrets, reviewer-tests, tester)'],
    [{ pipeline: { stages: [{ label: 'a', next: ['b'] }, { label: 'b', owner: 'pm' }] } }, 'pipeline: done: the final stage "b" cannot have an owner (no agent closes an issue)'],
    [{ pipeline: { stages: [{ label: 'a', next: ['zz'] }, { label: 'b' }] } }, 'pipeline: stages.0.next.0: no stage is labelled "zz"'],
    [{ pipeline: { stages: [{ label: 'a' }] } }, 'Bad input for pipeline.update: pipeline.stages: a pipeline needs at least two stages.'],
    [{ pipeline: { stages: [{ label: 'No Spaces' }, { label: 'b' }] } }, /^Bad input for pipeline\.update: pipeline\.stages\.0\.label: a stage is a label/],
    [{ pipeline: { stages: [{ label: 'approved', next: ['b'] }, { label: 'b' }] } }, `pipeline: stages: "approved" is the trust policy's approval label, not a stage`],
    [{ repoId: 999, pipeline: null }, 'No connected repository with id 999.']
  ])('refuses %j', async (input, message) => {
    const error = await refused('pipeline.update', input)
    if (typeof message === 'string') expect(error.message).toBe(message)
    else expect(error.message).toMatch(message)
    expect((await ok<PipelineView>('pipeline.get', {})).source).toBe('default')
  })
})

describe('trust policy', () => {
  it('defaults to owners, members and collaborators with "approved"; a change is kept and audited in words', async () => {
    expect((await ok<Settings>('settings.get', {})).trust).toEqual(DEFAULT_SETTINGS.trust)
    const next = await ok<Settings>('settings.update', { trust: { associations: ['OWNER', 'MEMBER'], approvalLabel: 'ok-to-run' } })
    expect(next.trust).toEqual({ associations: ['OWNER', 'MEMBER'], approvalLabel: 'ok-to-run' })
    const events = await ok<AuditEvent[]>('events.recent', { limit: 5 })
    expect(events.find((e) => e.kind === 'trust.update')?.message).toBe(
      'Trust policy: trusted OWNER, MEMBER; approval label "ok-to-run" (was OWNER, MEMBER, COLLABORATOR; "approved")'
    )
    await core.close()
    core = await open()
    expect((await ok<Settings>('settings.get', {})).trust.approvalLabel).toBe('ok-to-run')
  })

  it.each([
    [{ associations: ['MEMBER'], approvalLabel: 'approved' }, "Bad input for settings.update: trust.associations: the repository's owner stays trusted (OWNER must be listed)."],
    [{ associations: ['OWNER', 'BOSS'], approvalLabel: 'approved' }, /^Bad input for settings\.update: trust\.associations\.1: an association is one of OWNER, MEMBER/],
    [{ associations: ['OWNER', 'OWNER'], approvalLabel: 'approved' }, 'Bad input for settings.update: trust.associations: an association is listed once.'],
    [{ associations: ['OWNER'], approvalLabel: 'Looks Good' }, /^Bad input for settings\.update: trust\.approvalLabel: the approval label is lowercase/],
    [{ associations: ['OWNER'], approvalLabel: 'backlog' }, 'trust.approvalLabel: "backlog" is a pipeline stage; pick another label'],
    [{ associations: ['OWNER'] }, /^Bad input for settings\.update: trust\.approvalLabel:/]
  ])('refuses %j', async (trust, message) => {
    const error = await refused('settings.update', { trust })
    expect(error.code).toBe('bad_request')
    if (typeof message === 'string') expect(error.message).toBe(message)
    else expect(error.message).toMatch(message)
    expect((await ok<Settings>('settings.get', {})).trust).toEqual(DEFAULT_SETTINGS.trust)
  })
})
