// The shipped role folders agree with the default pipeline (src/shared/pipeline.ts):
// each stage is owned in role.yml by the role the pipeline names, and each
// role's prompt spells every move the pipeline allows out of its stages, so a
// model provider is told exactly the LABEL-UPDATED lines main will accept.
import { describe, expect, it } from 'vitest'
import { loadRoles } from '../../../src/main/agents/roles'
import { DEFAULT_STAGES } from '../../../src/shared/pipeline'

const { roles, refused } = loadRoles('agents')
const byName = new Map(roles.map((r) => [r.name, r]))

describe('role folders and the default pipeline', () => {
  it('load without refusals', () => {
    expect(refused.map((e) => e.message)).toEqual([])
  })

  it.each(DEFAULT_STAGES.filter((s) => s.owner).map((s) => [s.label, s.owner as string]))('stage %s is owned by %s in its role.yml', (stage, owner) => {
    expect(byName.get(owner)?.settings.stages).toContain(stage)
    for (const other of roles.filter((r) => r.name !== owner)) expect(other.settings.stages).not.toContain(stage)
  })

  it.each(DEFAULT_STAGES.filter((s) => s.owner).flatMap((s) => s.next.map((to) => [s.owner as string, `${s.label} --> ${to}`])))('the %s prompt names the move %s', (owner, move) => {
    expect(byName.get(owner)?.prompt).toContain(move)
  })

  it('side-lane roles own no stage and say they move no label', () => {
    for (const name of ['marketing', 'community']) {
      const role = byName.get(name)!
      expect(role.settings.stages).toEqual([])
      expect(role.prompt).toMatch(/no label move|never move labels/i)
    }
  })

  it('the engineer runs two instances, the others one; every role has a time limit and an output cap', () => {
    for (const role of roles) {
      expect(role.settings.instances).toBe(role.name === 'engineer' ? 2 : 1)
      expect(role.settings.timeLimitSec).toBeGreaterThan(0)
      expect(role.settings.maxOutputBytes).toBeGreaterThan(0)
    }
  })

  it('read-only roles get read-only tools; only the engineer may edit', () => {
    for (const role of roles) {
      const edits = (role.settings.allowedTools ?? []).some((t) => t === 'Edit' || t === 'Write')
      expect([role.name, edits]).toEqual([role.name, role.name === 'engineer'])
    }
  })
})
