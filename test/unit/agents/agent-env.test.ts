// The agent environment's allow-list: no GitHub token for anyone, and each
// model provider's key only for the roles that run that provider.
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { agentEnvironment } from '../../../src/main/agents/agent-env'

const MAIN: NodeJS.ProcessEnv = {
  PATH: '/usr/bin',
  HOME: '/home/me',
  ANTHROPIC_API_KEY: 'sk-ant-main',
  ANTHROPIC_BASE_URL: 'http://127.0.0.1:1',
  OPENAI_API_KEY: 'sk-openai-main',
  OPENAI_BASE_URL: 'http://127.0.0.1:2/v1',
  CODEX_HOME: '/home/me/.codex',
  BATON_GITHUB_TOKEN: 'ghp_x',
  GITHUB_TOKEN: 'ghp_y',
  GH_TOKEN: 'ghp_z',
  BATON_TOKEN: 'api-token',
  SOMETHING_ELSE: 'nope'
}

describe('agentEnvironment', () => {
  it('a claude-code role gets the Anthropic variables and no OpenAI key', () => {
    const env = agentEnvironment(MAIN, {}, 'claude-code')
    expect(env.ANTHROPIC_API_KEY).toBe('sk-ant-main')
    expect(env.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:1')
    for (const k of ['OPENAI_API_KEY', 'CODEX_API_KEY', 'OPENAI_BASE_URL', 'CODEX_HOME']) expect(env[k]).toBeUndefined()
  })

  it('a codex role gets the OpenAI key (also as CODEX_API_KEY, which its built-in provider reads) and no Anthropic key', () => {
    const env = agentEnvironment(MAIN, {}, 'codex')
    expect(env.OPENAI_API_KEY).toBe('sk-openai-main')
    expect(env.CODEX_API_KEY).toBe('sk-openai-main')
    expect(env.CODEX_HOME).toBe('/home/me/.codex')
    for (const k of ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL']) expect(env[k]).toBeUndefined()
    expect(agentEnvironment({ ...MAIN, CODEX_API_KEY: 'sk-codex-own' }, {}, 'codex').CODEX_API_KEY).toBe('sk-codex-own')
  })

  it('builtin, command and unnamed roles get no model variable at all', () => {
    for (const provider of ['builtin', 'command', undefined]) {
      const env = agentEnvironment(MAIN, {}, provider)
      for (const k of ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'CODEX_API_KEY', 'CODEX_HOME']) expect(env[k]).toBeUndefined()
      expect(env.PATH).toBe('/usr/bin')
    }
  })

  it('no role gets a GitHub token, the API token or an unlisted variable; extras are added', () => {
    for (const provider of ['claude-code', 'codex', 'builtin', 'command']) {
      const env = agentEnvironment(MAIN, { BATON_AGENT_CONFIG: '{}' }, provider)
      for (const k of ['BATON_GITHUB_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN', 'BATON_TOKEN', 'SOMETHING_ELSE']) expect(env[k]).toBeUndefined()
      expect(env.BATON_AGENT_CONFIG).toBe('{}')
    }
  })
  it("an agent's npm never asks the registry for its own update (its notice pushed a test's failure out of a report's tail)", () => {
    for (const provider of ['claude-code', 'codex', 'builtin', 'command']) {
      const env = agentEnvironment({ ...MAIN, PATH: process.env.PATH }, {}, provider)
      expect(execFileSync('npm', ['config', 'get', 'update-notifier'], { env, encoding: 'utf8' }).trim()).toBe('false')
    }
  })
})
