// The scripted OpenAI Responses endpoint itself: a script turn is a
// well-formed SSE stream ending in response.completed with usage, errors are
// OpenAI-shaped, and anything else it is asked is recorded as a problem.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startScriptedServer, toolOutput } from '../../fixtures/openai/scripted-server'
import type { ScriptedServer } from '../../fixtures/openai/scripted-server'

type Json = Record<string, unknown>

function sseEvents(text: string): Array<{ event: string; data: Json }> {
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? ''
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}') as Json
      return { event, data }
    })
}

describe('scripted OpenAI Responses endpoint', () => {
  let s: ScriptedServer
  beforeEach(async () => {
    s = await startScriptedServer({
      script: [
        {
          kind: 'tools',
          text: 'hi',
          calls: [
            { type: 'function', name: 'exec_command', callId: 'call_1', arguments: { cmd: 'ls' } },
            { type: 'custom', name: 'apply_patch', callId: 'call_2', input: '*** Begin Patch\n*** End Patch\n' }
          ],
          usage: { input_tokens: 10, cached_tokens: 4, output_tokens: 3 }
        },
        { kind: 'error', status: 401, message: 'Incorrect API key provided', code: 'invalid_api_key', type: 'invalid_request_error' }
      ]
    })
  })
  afterEach(() => s.close())

  const post = (body: unknown) =>
    fetch(`${s.baseUrl}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

  it('streams a turn as Responses SSE events, then an OpenAI-shaped error; unknown routes are problems', async () => {
    const res = await post({ model: 'gpt-5.5', stream: true, input: [] })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const events = sseEvents(await res.text())
    for (const e of events) expect(e.data.type).toBe(e.event)
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i))
    expect(events[0]?.event).toBe('response.created')
    const done = events.filter((e) => e.event === 'response.output_item.done').map((e) => e.data.item as Json)
    expect(done.map((i) => i.type)).toEqual(['message', 'function_call', 'custom_tool_call'])
    expect(done[1]).toMatchObject({ call_id: 'call_1', name: 'exec_command', arguments: '{"cmd":"ls"}' })
    expect(done[2]).toMatchObject({ call_id: 'call_2', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch\n' })
    const deltas = events.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta as string)
    expect(deltas.join('')).toBe('hi')
    const last = events.at(-1)
    expect(last?.event).toBe('response.completed')
    expect((last?.data.response as Json).usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 13
    })

    const refused = await post({ model: 'gpt-5.5', stream: true, input: [] })
    expect(refused.status).toBe(401)
    expect(await refused.json()).toEqual({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } })

    expect((await fetch(`${s.baseUrl}/models`)).status).toBe(404)
    expect(s.problems).toEqual(['unknown request GET /v1/models'])
    expect(s.agentRequests().map((r) => r.turn)).toEqual([0, 1])
  })

  it('finds the tool output a request sent back, by call id', () => {
    const body = {
      input: [
        { type: 'function_call_output', call_id: 'call_1', output: 'Process exited with code 0' },
        { type: 'custom_tool_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'Success.' }] }
      ]
    }
    expect(toolOutput(body, 'call_1')).toBe('Process exited with code 0')
    expect(toolOutput(body, 'call_2')).toBe('Success.')
    expect(toolOutput(body, 'call_3')).toBeUndefined()
  })
})
