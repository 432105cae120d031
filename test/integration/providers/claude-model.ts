// The small "model" of the real-Claude-Code pipeline (pipeline-claude.test.ts,
// bench/claude-overhead.ts): the shared steps of pipeline-fixture.ts as the
// Claude Code CLI's tools, decided from each Messages API request alone.
import type { RecordedRequest, ScriptTurn } from '../../fixtures/anthropic/scripted-server'
import { decide, readPrompt, type PromptFacts, type Step } from './pipeline-fixture'

type Json = Record<string, unknown>
export const messagesOf = (body: unknown): Array<{ role: string; content: unknown }> => ((body as Json).messages ?? []) as Array<{ role: string; content: unknown }>
export const blocks = (content: unknown): Json[] => (Array.isArray(content) ? (content as Json[]) : [{ type: 'text', text: content }])
const textOf = (content: unknown): string =>
  blocks(content)
    .map((b) => (b.type === 'text' ? String(b.text) : ''))
    .join('\n')
const resultText = (b: Json): string => (typeof b.content === 'string' ? b.content : blocks(b.content).map((c) => String(c.text ?? '')).join('\n'))

/** Each role's usage per turn, distinct, so Usage can be checked role by role. */
export const USAGE: Record<string, { input_tokens: number; output_tokens: number }> = {
  pm: { input_tokens: 1001, output_tokens: 41 },
  architect: { input_tokens: 1002, output_tokens: 42 },
  engineer: { input_tokens: 1003, output_tokens: 43 },
  tester: { input_tokens: 1004, output_tokens: 44 }
}

/** The task prompt a request carries: the first user message. */
export function promptOf(body: unknown): PromptFacts | undefined {
  return readPrompt(textOf(messagesOf(body)[0]?.content))
}

/** A step as the Claude Code CLI's tools. */
function asTurn(step: Step, usage: { input_tokens: number; output_tokens: number }): ScriptTurn {
  switch (step.kind) {
    case 'read':
      return { kind: 'tools', tools: [{ name: 'Read', input: { file_path: step.path } }], usage }
    case 'write':
      return { kind: 'tools', tools: [{ name: 'Write', input: { file_path: step.path, content: step.content } }], usage }
    case 'edit':
      return { kind: 'tools', tools: [{ name: 'Edit', input: { file_path: step.path, old_string: step.oldText.trim(), new_string: step.newText.trim() } }], usage }
    case 'run':
      return { kind: 'tools', tools: [{ name: 'Bash', input: { command: step.command, description: step.description } }], usage }
    case 'final':
      return { kind: 'text', text: step.text, usage }
  }
}

export function claudeModel(_rec: RecordedRequest, body: Json): ScriptTurn {
  const p = promptOf(body)
  if (!p) throw new Error('a request with no task prompt')
  const outputs = messagesOf(body)
    .flatMap((m) => blocks(m.content))
    .filter((b) => b.type === 'tool_result')
    .map(resultText)
  return asTurn(decide(p, outputs), USAGE[p.role] ?? { input_tokens: 1, output_tokens: 1 })
}
