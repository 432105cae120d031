// The MCP tools' pure parts: the schemas' words for bad input, presence from
// an agent's state, and an issue's status from its detail and card.
import { describe, expect, it } from 'vitest'
import { issueStatus, presenceOf, ToolInputs } from '../../../src/main/mcp/tools'
import type { BoardIssue, IssueDetail } from '../../../src/shared/api'

const messages = (schema: keyof typeof ToolInputs, input: unknown) => {
  const parsed = ToolInputs[schema].safeParse(input)
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
}

describe('tool input schemas', () => {
  it('say what is expected, per field', () => {
    expect(messages('issue_status', { repo: 'acme', number: 1 })).toEqual(['repo: repo is a repository named owner/name, e.g. acme/shop'])
    expect(messages('issue_status', { repo: 'acme/shop/x', number: 1 })).toHaveLength(1)
    expect(messages('issue_status', { repo: 'acme/shop', number: 1.5 })).toEqual(['number: number is an issue number (a whole number from 1)'])
    expect(messages('issue_status', { repo: 'acme/shop' })).toEqual(['number: number is an issue number (a whole number from 1)'])
    expect(messages('list_tasks', { repo: 'acme/shop', limit: 0 })).toEqual(['limit: limit is a whole number from 1 to 200'])
    expect(messages('create_issue', { repo: 'acme/shop', title: ' ' })).toEqual(['title: title is needed'])
    expect(messages('create_issue', { repo: 'acme/shop', title: 't', labels: Array(21).fill('x') })).toEqual(['labels: at most 20 labels'])
    expect(messages('who_is_online', { all: true })[0]).toMatch(/all/)
  })

  it('fill the defaults', () => {
    expect(ToolInputs.list_tasks.parse({ repo: 'acme/shop' })).toEqual({ repo: 'acme/shop', limit: 50 })
    expect(ToolInputs.create_issue.parse({ repo: 'acme/shop', title: ' Crash ' })).toEqual({ repo: 'acme/shop', title: 'Crash', body: '', labels: [] })
  })
})

it('presence: working is busy, idle is online, anything else cannot take work', () => {
  expect(presenceOf('working')).toBe('busy')
  expect(presenceOf('idle')).toBe('online')
  for (const s of ['stalled', 'crashed', 'stopped', 'paused'] as const) expect(presenceOf(s)).toBe('offline')
})

it('issue status: the detail, the card owner and agent, the last task with a long result cut', () => {
  const task = { id: 't1', stage: 'in-progress', role: 'engineer', agent: 'engineer-1', state: 'running', attempt: 2, createdAt: 'a', updatedAt: 'b', result: 'x'.repeat(2500), attempts: [] }
  const detail = { repo: 'acme/shop', number: 7, title: 'Bug', url: 'u', state: 'open', stage: 'in-progress', activity: 'working', reason: null, pr: null, tasks: [task], updatedAt: 'c' } as unknown as IssueDetail
  const card = { owner: 'engineer', agent: 'engineer-1' } as BoardIssue
  const status = issueStatus(detail, card)
  expect(status).toMatchObject({ issue: 'acme/shop#7', stage: 'in-progress', activity: 'working', waitsFor: null, owner: 'engineer', agent: 'engineer-1@acme/shop', task: { id: 't1', issue: 'acme/shop#7', agent: 'engineer-1@acme/shop', instance: 'engineer-1', attempts: 0 } })
  expect(status.task?.result).toMatch(/^x{2000}… \(cut; 2500 characters\)$/)
  expect(issueStatus({ ...detail, tasks: [] }, undefined)).toMatchObject({ owner: null, agent: null, task: null })
})
