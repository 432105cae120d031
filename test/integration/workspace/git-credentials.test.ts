// Git gets credentials only for the commands that talk to the remote: no run
// inherits a token variable from main's environment (a person's
// BATON_GITHUB_TOKEN, GH_TOKEN, …), whatever the command.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runGit } from '../../../src/main/workspace/git'
import { takeEnvSecrets } from '../../../src/main/secrets/env-secrets'

const saved = { ...process.env }
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
  Object.assign(process.env, saved)
})

/** What a git child's environment holds, through an alias that runs `env` (git's own child). */
async function gitSees(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-gitenv-'))
  return (await runGit(['-c', 'alias.envdump=!env', 'envdump'], { cwd: dir })).stdout
}

describe('git runs carry no inherited credential', () => {
  it('token variables in main\'s environment never reach git', async () => {
    process.env.GH_TOKEN = 'gho_inherited0001'
    process.env.GITHUB_TOKEN = 'ghs_inherited0002'
    process.env.BATON_GITHUB_TOKEN = 'ghp_inherited0003'
    process.env.GIT_ASKPASS = '/usr/bin/false'
    const env = await gitSees()
    expect(env).not.toMatch(/inherited000/)
    expect(env).not.toMatch(/GIT_ASKPASS/)
    expect(env).toMatch(/GIT_TERMINAL_PROMPT=0/)
  })

  it('takeEnvSecrets moves BATON_GITHUB_TOKEN and BATON_TOKEN out of process.env, and still answers them', async () => {
    process.env.BATON_GITHUB_TOKEN = 'ghp_taken0001'
    process.env.BATON_TOKEN = 'api_taken0002'
    const env = takeEnvSecrets()
    expect(env.BATON_GITHUB_TOKEN).toBe('ghp_taken0001')
    expect(env.BATON_TOKEN).toBe('api_taken0002')
    expect(process.env.BATON_GITHUB_TOKEN).toBeUndefined()
    expect(process.env.BATON_TOKEN).toBeUndefined()
    expect(takeEnvSecrets().BATON_GITHUB_TOKEN).toBe('ghp_taken0001')
  })
})
