// The role loader, on the real agents/ folder and on folders made per test.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { instanceNames, loadRole, loadRoles, RoleError } from '../../../src/main/agents/roles'

const copyAgents = () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'baton-roles-')), 'agents')
  cpSync('agents', dir, { recursive: true })
  return dir
}
const addRole = (dir: string, name: string, yml: string, md = `# ${name}\n\nYou do ${name} things.\n`) => {
  mkdirSync(join(dir, name), { recursive: true })
  writeFileSync(join(dir, name, 'role.md'), md)
  writeFileSync(join(dir, name, 'role.yml'), yml)
}

describe('roles', () => {
  it('loads the roles of agents/, each with a prompt that carries the protocol, and their settings', () => {
    const { roles, refused } = loadRoles('agents')
    expect(refused).toEqual([])
    expect(roles.map((r) => r.name)).toEqual(['architect', 'community', 'engineer', 'marketing', 'pm', 'reviewer-lint', 'reviewer-secrets', 'reviewer-tests', 'tester'])
    for (const role of roles) {
      expect(role.settings.provider).toBe('builtin')
      if (role.settings.capabilities.includes('review')) {
        // A fan-out reviewer (issue #15) owns no stage and moves no label: its prompt gives the findings block instead.
        expect(role.settings.stages).toEqual([])
        expect(role.prompt).toContain('```baton-findings')
        expect(role.prompt).toContain('No `LABEL-UPDATED` line')
        continue
      }
      expect(role.prompt).toContain('LABEL-UPDATED: <from> --> <to>')
      expect(role.prompt).toMatch(/## Escalate \(REQUEST\)/)
    }
    const engineer = roles.find((r) => r.name === 'engineer')!
    expect(engineer.settings).toMatchObject({ stages: ['ready-for-dev', 'in-progress'], instances: 2, permissionMode: 'acceptEdits', timeLimitSec: 1800 })
    expect(instanceNames(engineer)).toEqual(['engineer', 'engineer-2'])
  })

  it('a person adds a role by adding a folder; defaults fill what it leaves out', () => {
    const dir = copyAgents()
    addRole(dir, 'security', 'description: Reviews changes for security problems\nstages: []\n')
    const { roles, refused } = loadRoles(dir)
    expect(refused).toEqual([])
    expect(roles.find((r) => r.name === 'security')?.settings).toMatchObject({ provider: 'builtin', instances: 1, timeLimitSec: 900, maxOutputBytes: 262144 })
  })

  it.each([
    ['timeLimitSec: ten\n', 'timeLimitSec', /expected number, got "ten"/],
    ['instances: -1\n', 'instances', /got -1/],
    ['permissionMode: yolo\n', 'permissionMode', /got "yolo"/],
    ['timelimit: 10\n', 'timelimit', /unknown setting/],
    ['provider: command\n', 'command', /needs a command/],
    ['allowedTools: Read\n', 'allowedTools', /expected array/]
  ])('refuses %j naming the file and the field', (yml, field, reason) => {
    const dir = copyAgents()
    addRole(dir, 'broken', yml)
    const { roles, refused } = loadRoles(dir)
    expect(roles).toHaveLength(9) // the others still load
    expect(refused).toHaveLength(1)
    const error = refused[0] as RoleError
    expect(error.file).toBe(join('agents', 'broken', 'role.yml'))
    expect(error.field).toBe(field)
    expect(error.message).toMatch(reason)
    expect(error.message).toContain(`agents/broken/role.yml: field "${field}"`)
  })

  it('refuses a missing or empty prompt, invalid YAML, and a name that cannot be an agent', () => {
    const dir = copyAgents()
    mkdirSync(join(dir, 'noprompt'))
    writeFileSync(join(dir, 'noprompt', 'role.yml'), 'stages: []\n')
    addRole(dir, 'empty', 'stages: []\n', '  \n')
    addRole(dir, 'badyaml', 'stages: [oops\n')
    addRole(dir, 'worker-2', 'stages: []\n')
    addRole(dir, 'Capital', 'stages: []\n')
    const messages = loadRoles(dir).refused.map((e) => e.message)
    expect(messages).toEqual([
      expect.stringMatching(/^agents\/Capital.*folder name "Capital" lowercase/),
      expect.stringMatching(/^agents\/badyaml\/role\.yml: not valid YAML/),
      expect.stringMatching(/^agents\/empty\/role\.md: empty/),
      expect.stringMatching(/^agents\/noprompt\/role\.md: missing/),
      expect.stringMatching(/^agents\/worker-2.*must not end in -<number>/)
    ])
    expect(() => loadRole(join(dir, 'empty'))).toThrow(RoleError)
  })

  it('ignores folders that are not roles (no role.md, no role.yml)', () => {
    const dir = copyAgents()
    mkdirSync(join(dir, 'shared'))
    writeFileSync(join(dir, 'shared', 'util.ts'), 'export {}\n')
    expect(loadRoles(dir).refused).toEqual([])
  })
})
