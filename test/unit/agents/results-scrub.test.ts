// What main posts or shows of an agent's answer never holds a secret Baton
// registered (a model key, the GitHub token), even when the agent printed it:
// the comment body, the status line, hand-offs and the raw text kept for the
// issue's attempts are masked before anything reaches GitHub or the screen.
import { describe, expect, it } from 'vitest'
import { toAgentResult } from '../../../src/main/agents/results'
import { registerSecret } from '../../../src/main/log'
import { parseResponse } from '../../../src/shared/protocol/response'

describe('toAgentResult', () => {
  it('masks registered secrets in the text, body, hand-offs and raw response', () => {
    const key = 'sk-ant-api03-printedByAnAgent-77'
    registerSecret(key)
    const raw = `TASK: t_1\nDONE: found ${key}\nHANDOFF @tester: use ${key}\n\nThe env had ANTHROPIC_API_KEY=${key} in it.\n`
    const r = toAgentResult({ agent: 'engineer', task: 't_1', attempt: 1, parsed: parseResponse(raw), raw }, { provider: 'claude-code' })
    expect(r.answer.text).toBe('found ***')
    expect(r.answer.body).toContain('ANTHROPIC_API_KEY=***')
    expect(r.answer.handoffs.map((h) => h.text)).toEqual(['use ***'])
    expect(r.raw).not.toContain(key)
    expect(JSON.stringify(r)).not.toContain(key)
  })
})
