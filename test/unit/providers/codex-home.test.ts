// Codex 0.171.0 on Linux refuses to link its sandbox helper under the
// temporary folder, and then every command and patch of the run fails while
// the model goes on: the provider says so in the live output before it starts.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { codexHomeProblem, createCodex } from '../../../src/main/agents/providers/codex'
import { ProviderError } from '../../../src/main/agents/providers/stream-errors'
import type { ProviderContext } from '../../../src/main/agents/providers/types'

describe('codexHomeProblem', () => {
  it('names a CODEX_HOME (or HOME/.codex) inside the temporary folder, and what to do', () => {
    expect(codexHomeProblem({ HOME: '/tmp/x/home' }, 'workspace-write', 'linux', '/tmp')).toMatch(/CODEX_HOME at \/tmp\/x\/home\/\.codex, inside the temporary folder: set CODEX_HOME \(or HOME\) to a folder outside \/tmp/)
    expect(codexHomeProblem({ HOME: '/home/ada', CODEX_HOME: '/var/folders/t/codex' }, 'read-only', 'linux', '/var/folders/t')).toMatch(/outside \/var\/folders\/t$/)
    expect(codexHomeProblem({ HOME: '/home/ada', CODEX_HOME: '/tmp' }, 'read-only', 'linux', '/tmp')).not.toBeNull()
  })
  it('lets the rest through: a home elsewhere, no sandbox, another platform, no home at all', () => {
    expect(codexHomeProblem({ HOME: '/home/ada' }, 'workspace-write', 'linux', '/tmp')).toBeNull()
    expect(codexHomeProblem({ HOME: '/tmpfoo/ada' }, 'workspace-write', 'linux', '/tmp')).toBeNull()
    expect(codexHomeProblem({ HOME: '/tmp/x' }, 'danger-full-access', 'linux', '/tmp')).toBeNull()
    expect(codexHomeProblem({ HOME: '/tmp/x' }, 'workspace-write', 'darwin', '/tmp')).toBeNull()
    expect(codexHomeProblem({}, 'workspace-write', 'linux', '/tmp')).toBeNull()
  })
})

describe.skipIf(process.platform !== 'linux')('the codex provider', () => {
  it('warns of a HOME under the temporary folder before it starts the CLI', async () => {
    const lines: string[] = []
    const ctx: ProviderContext = {
      trigger: { v: 1, task: 't', attempt: 1, agent: 'engineer', role: 'engineer', stage: 'in-progress', repo: { owner: 'o', name: 'r', defaultBranch: 'main' }, issue: { number: 1, title: 't', body: '', labels: [], author: 'a', comments: [] }, workspace: null, instructions: '', handoffs: [], notes: [], deadline: '2030-01-01T00:00:00Z' },
      rolePrompt: '',
      // A command that does not exist: the run ends at the start, after the warning.
      settings: { provider: 'codex', command: join('/nonexistent', 'codex'), permissionMode: 'acceptEdits', timeLimitSec: 10, maxOutputBytes: 1000 },
      cwd: '/',
      signal: new AbortController().signal,
      progress: (line) => lines.push(line),
      env: { HOME: '/tmp/someone/home' }
    }
    const err = await createCodex()(ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProviderError)
    expect((err as ProviderError).kind).toBe('not-found')
    expect(lines).toEqual([expect.stringMatching(/^warning: Codex cannot sandbox its commands with CODEX_HOME at \/tmp\/someone\/home\/\.codex, .*set CODEX_HOME \(or HOME\) to a folder outside/)])
  })
})
