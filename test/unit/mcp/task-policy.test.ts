// What a task's token may do (mcp/task-policy.ts) and how its tokens live
// (mcp/task-tokens.ts): the per-tool table over parsed inputs, the default
// refusal of tools it does not list, and minting, revoking, restarting.
import { describe, expect, it } from 'vitest'
import { checkTaskCall, parseIssueRef, TASK_POLICY, taskGuard } from '../../../src/main/mcp/task-policy'
import { TaskTokens, type TaskScope } from '../../../src/main/mcp/task-tokens'
import { ToolInputs } from '../../../src/main/mcp/tools'
import { agentName, parseAgentName } from '../../../src/shared/agent-name'

const scope: TaskScope = { taskId: 't_1', attempt: 2, instance: 'engineer', repo: 'acme/app', issue: 3, agent: 'engineer@acme/app' }
const parsed = <T extends keyof typeof ToolInputs>(tool: T, input: unknown) => ToolInputs[tool].parse(input)

describe('the task policy table', () => {
  it('issue_status and list_tasks: its own issue only, whatever the case of the name', () => {
    expect(checkTaskCall(scope, 'issue_status', parsed('issue_status', { repo: 'acme/app', number: 3 }))).toBeNull()
    expect(checkTaskCall(scope, 'issue_status', parsed('issue_status', { repo: 'Acme/App', number: 3 }))).toBeNull()
    expect(checkTaskCall(scope, 'issue_status', parsed('issue_status', { repo: 'acme/app', number: 4 }))).toBe("this task's token acts on acme/app#3 only, not acme/app#4")
    expect(checkTaskCall(scope, 'issue_status', parsed('issue_status', { repo: 'acme/lib', number: 3 }))).toBe("this task's token acts on acme/app#3 only, not acme/lib#3")
    expect(checkTaskCall(scope, 'list_tasks', parsed('list_tasks', { repo: 'acme/app', number: 3 }))).toBeNull()
    // The repository-wide list names other issues' tasks.
    expect(checkTaskCall(scope, 'list_tasks', parsed('list_tasks', { repo: 'acme/app' }))).toBe("this task's token acts on acme/app#3 only: give number: 3")
  })

  it('create_issue and handoff_to_project: only from its own issue, into any repository', () => {
    const base = { repo: 'acme/lib', title: 'Crash in parse' }
    expect(checkTaskCall(scope, 'create_issue', parsed('create_issue', { ...base, from: 'acme/app#3' }))).toBeNull()
    expect(checkTaskCall(scope, 'create_issue', parsed('create_issue', { ...base, from: 'acme/app#4' }))).toBe("this task's token acts on acme/app#3 only, not from acme/app#4")
    expect(checkTaskCall(scope, 'create_issue', parsed('create_issue', base))).toBe(`this task's token acts on acme/app#3 only: give from: "acme/app#3"`)
    // The policy reads the parsed input, whatever the tool's own schema (h1's tool slots in).
    expect(checkTaskCall(scope, 'handoff_to_project', { from: 'acme/app#3', to: 'acme/lib' })).toBeNull()
    expect(checkTaskCall(scope, 'handoff_to_project', { from: 'other/app#3', to: 'acme/lib' })).toBe("this task's token acts on acme/app#3 only, not from other/app#3")
    expect(checkTaskCall(scope, 'handoff_to_project', { to: 'acme/lib' })).toMatch(/give from/)
  })

  it('memory scopes: its issue, its repository, agent: read by all and written by its owner, private: its own', () => {
    const call = (tool: string, s: string) => checkTaskCall(scope, tool, { scope: s, key: 'k' })
    expect(call('remember', 'issue:acme/app#3')).toBeNull()
    expect(call('recall', 'issue:acme/app#4')).toMatch(/acts on acme\/app#3 only, not issue:acme\/app#4/)
    expect(call('remember', 'repo:acme/app')).toBeNull()
    expect(call('recall', 'repo:acme/lib')).toMatch(/acme\/app only/)
    expect(call('recall', 'agent:tester@acme/app')).toBeNull()
    expect(call('remember', 'agent:tester@acme/app')).toMatch(/writes agent:engineer@acme\/app only/)
    expect(call('forget', 'agent:engineer@acme/app')).toBeNull()
    expect(call('recall', 'private:engineer@acme/app')).toBeNull()
    expect(call('recall', 'private:tester@acme/app')).toMatch(/private:engineer@acme\/app only/)
    expect(call('remember', 'everything')).toMatch(/not one this task's token may use/)
  })

  it('a tool the table does not name is refused (a new tool is closed until its policy says otherwise)', () => {
    expect(checkTaskCall(scope, 'delete_everything', {})).toBe("delete_everything is not open to a task's token (acme/app#3)")
    // Not fooled by the object's own properties.
    expect(checkTaskCall(scope, 'constructor', {})).toMatch(/not open/)
    expect(checkTaskCall(scope, 'who_is_online', {})).toBeNull()
    expect(Object.keys(TASK_POLICY)).toEqual(expect.arrayContaining(['issue_status', 'list_tasks', 'create_issue', 'handoff_to_project', 'who_is_online']))
  })

  it('the guard throws the refusal for the tool answer and reports every call', () => {
    const seen: Array<{ tool: string; refused: string | null }> = []
    const guard = taskGuard(scope, (c) => seen.push(c))
    expect(() => guard('issue_status', { repo: 'acme/app', number: 3 })).not.toThrow()
    expect(() => guard('issue_status', { repo: 'acme/app', number: 9 })).toThrow("Refused: this task's token acts on acme/app#3 only, not acme/app#9.")
    expect(seen).toEqual([
      { tool: 'issue_status', refused: null },
      { tool: 'issue_status', refused: "this task's token acts on acme/app#3 only, not acme/app#9" }
    ])
  })

  it('reads owner/repo#n and nothing else', () => {
    expect(parseIssueRef('acme/app#3')).toEqual({ repo: 'acme/app', number: 3 })
    for (const bad of ['acme/app', 'acme/app#0', 'acme#3', '#3', 'acme/app#3x', 3, null]) expect(parseIssueRef(bad)).toBeNull()
  })
})

describe('task tokens', () => {
  it('mints a random token per attempt, resolves it to its scope, and revokes it', () => {
    const tokens = new TaskTokens()
    const a = tokens.mint({ taskId: 't_1', attempt: 1, instance: 'engineer', repo: 'acme/app', issue: 3 })
    const b = tokens.mint({ taskId: 't_2', attempt: 1, instance: 'tester', repo: 'acme/app', issue: 4 })
    expect(a).not.toBe(b)
    expect(a).toMatch(/^bt_task_[A-Za-z0-9_-]{43}$/)
    expect(tokens.resolve(a)).toMatchObject({ taskId: 't_1', issue: 3, agent: 'engineer@acme/app' })
    expect(tokens.resolve(b)).toMatchObject({ taskId: 't_2', agent: 'tester@acme/app' })
    for (const wrong of [undefined, null, '', `${a}x`, a.slice(0, -1)]) expect(tokens.resolve(wrong)).toBeNull()
    // A later attempt's token: the earlier one stops working.
    const a2 = tokens.mint({ taskId: 't_1', attempt: 2, instance: 'engineer', repo: 'acme/app', issue: 3 })
    expect(tokens.resolve(a)).toBeNull()
    expect(tokens.resolve(a2)).toMatchObject({ attempt: 2 })
    // An end for another attempt leaves it; its own end revokes it.
    expect(tokens.revoke('t_1', 1)).toBe(0)
    expect(tokens.revoke('t_1', 2)).toBe(1)
    expect(tokens.resolve(a2)).toBeNull()
    expect(tokens.size).toBe(1)
    tokens.revokeAll()
    expect(tokens.resolve(b)).toBeNull()
  })

  it('keeps no token in the clear', () => {
    const tokens = new TaskTokens()
    const token = tokens.mint({ taskId: 't_1', attempt: 1, instance: 'engineer', repo: 'acme/app', issue: 3 })
    const held = JSON.stringify([...(tokens as unknown as { byHash: Map<string, unknown> }).byHash])
    expect(held).not.toContain(token)
    expect(held).not.toContain(token.slice('bt_task_'.length))
  })
})

describe('agent names', () => {
  it('are <instance>@<owner/repo>, and read back', () => {
    expect(agentName('engineer-2', 'acme/app')).toBe('engineer-2@acme/app')
    expect(parseAgentName('engineer-2@acme/app')).toEqual({ instance: 'engineer-2', repo: 'acme/app' })
    for (const bad of ['engineer', 'engineer@acme', 'Engineer@acme/app', '@acme/app', 'engineer@acme/app/x']) expect(parseAgentName(bad)).toBeNull()
  })
})
