// The providers an agent's role may name in its settings.
import { builtin } from './builtin'
import { claudeCode } from './claude-code'
import { codex } from './codex'
import { command } from './command'
import type { Provider } from './types'

export const providers: Readonly<Record<string, Provider>> = { builtin, 'claude-code': claudeCode, codex, command }
