// The scripted Anthropic endpoint itself: the incidental requests the CLI may
// make are answered gracefully, and a script turn is a well-formed SSE stream.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startScriptedServer } from '../../fixtures/anthropic/scripted-server'
import type { ScriptedServer } from '../../fixtures/anthropic/scripted-server'

describe('scripted Anthropic Messages endpoint', () => {
  let s: ScriptedServer
  beforeEach(async () => {
    s = await startScriptedServer({
      script: [{ kind: 'tools', text: 'hi', tools: [{ id: 'toolu_1', name: 'Write', input: { file_path: '/x', content: 'y' } }] }]
    })
  })
  afterEach(() => s.close())

  const post = (path: string, body: unknown) =>
    fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

  it('answers HEAD, token counting, side calls without tools, and 404 for the unknown', async () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await fetch(`${s.url}/`, { method: 'HEAD' })).status).toBe(200)
    expect(await (await post('/v1/messages/count_tokens', { messages: [] })).json()).toEqual({ input_tokens: 100 })
    const side = (await (await post('/v1/messages', { model: 'claude-haiku-4-5', messages: [], max_tokens: 5 })).json()) as Record<string, unknown>
    expect(side).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn', content: [{ type: 'text', text: 'Scripted task' }] })
    const missing = await fetch(`${s.url}/v1/models`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
    expect(s.problems).toEqual(['unknown request GET /v1/models'])
    expect(s.agentRequests()).toHaveLength(0)
  })

  it('streams a tool-use turn as Messages SSE events and records the request', async () => {
    const res = await post('/v1/messages?beta=true', { model: 'm', stream: true, tools: [{ name: 'Write' }], messages: [] })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const events = (await res.text())
      .trim()
      .split('\n\n')
      .map((chunk) => {
        const [ev, data] = chunk.split('\n')
        return { event: ev?.slice('event: '.length), data: JSON.parse(data?.slice('data: '.length) ?? '{}') as Record<string, unknown> }
      })
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'message_delta', 'message_stop'
    ])
    const json = events.filter((e) => (e.data.delta as { type?: string } | undefined)?.type === 'input_json_delta')
    expect(JSON.parse(json.map((e) => (e.data.delta as { partial_json: string }).partial_json).join(''))).toEqual({ file_path: '/x', content: 'y' })
    expect(events.at(-2)?.data).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 80 } })
    expect(s.agentRequests()[0]).toMatchObject({ query: '?beta=true', turn: 0 })

    // Past the end of the script: an answer that says so, and a recorded problem.
    const extra = (await (await post('/v1/messages', { tools: [{ name: 'Write' }], messages: [] })).json()) as { content: Array<{ text: string }> }
    expect(extra.content[0]?.text).toContain('ran out of turns')
    expect(s.problems).toHaveLength(1)
  })
})
