// Secrets given in main's environment (BATON_GITHUB_TOKEN, BATON_TOKEN, the
// webhook URL BATON_NOTIFY_WEBHOOK) are
// taken out of `process.env` once, at start, and kept here: no child that main
// starts afterwards (git, gh, an agent's runner) inherits them, whatever its
// environment allow-list says. What Linux shows of main's *initial*
// environment in /proc/<pid>/environ cannot be changed from inside; that is
// why agents also run where they cannot see main's process at all
// (agents/isolation.ts).
import { registerSecret } from '../log'

/** Variables main reads a secret from (and nothing it starts needs). */
export const ENV_SECRETS = ['BATON_GITHUB_TOKEN', 'BATON_TOKEN', 'BATON_NOTIFY_WEBHOOK'] as const

/** Other variables that hold credentials: never passed on to git or agents. */
export const CREDENTIAL_VARS = [
  ...ENV_SECRETS,
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GH_ENTERPRISE_TOKEN',
  'GITHUB_ENTERPRISE_TOKEN',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
  // Model-provider keys: only their own provider's agents get them (agents/agent-env.ts), never git.
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'CODEX_API_KEY'
] as const

const taken: Partial<Record<(typeof ENV_SECRETS)[number], string>> = {}

/**
 * Main's environment with its secrets, which are removed from `process.env`
 * (once; later calls answer the same values). Pass the result, not
 * `process.env`, wherever a secret is read.
 */
export function takeEnvSecrets(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  for (const key of ENV_SECRETS) {
    const value = env[key]
    if (value !== undefined) {
      if (value) registerSecret(value)
      taken[key] = value
      delete env[key]
    }
  }
  return { ...env, ...taken }
}

/** An environment with no credential in it, for a child main starts (git). */
export function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env }
  for (const key of CREDENTIAL_VARS) delete copy[key]
  return copy
}
