// The environment an agent process gets: an allow-list, so no GitHub token and
// no app secret reaches it (DESIGN.md §6, §9), whatever main's own env holds.
// A model provider's variables (its key above all) go only to the agents of
// roles that run that provider: a builtin or a Codex role never holds the
// Anthropic key, a Claude Code role never holds the OpenAI one (DESIGN.md §9:
// "Model-provider keys go only to that provider's agents").
const ALLOWED = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TERM',
  'TMPDIR',
  'TMP',
  'TEMP',
  'SYSTEMROOT',
  'COMSPEC',
  'PATHEXT',
  'APPDATA',
  'LOCALAPPDATA',
  'USERPROFILE',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_CACHE_HOME',
  'npm_config_cache'
]

/** Each model provider's own settings, given to its agents only. */
export const PROVIDER_VARS: Readonly<Record<string, readonly string[]>> = {
  'claude-code': [
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_BASE_URL',
    'ANTHROPIC_MODEL',
    'CLAUDE_CODE_USE_BEDROCK',
    'CLAUDE_CODE_USE_VERTEX',
    'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
    'CLAUDE_CODE_MAX_RETRIES',
    'CLAUDE_CONFIG_DIR',
    'DISABLE_TELEMETRY',
    'BATON_CLAUDE_PATH'
  ],
  // Codex ignores OPENAI_BASE_URL itself; its provider turns it into a model
  // provider of its own (providers/codex.ts). Codex's own key and config home:
  codex: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'CODEX_API_KEY', 'CODEX_HOME', 'BATON_CODEX_PATH']
}

/** Every variable that holds a model provider's key (never on a command line, never to another provider's agents). */
export const MODEL_KEY_VARS = ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'CODEX_API_KEY'] as const

/**
 * The allow-listed environment for an agent whose role runs `provider`, with
 * `extra` on top (the runner's own config). `source` is main's environment,
 * with any key Baton holds already laid over it (secrets/provider-keys.ts).
 * No provider (or `builtin`, `command`): no model variable at all.
 */
export function agentEnvironment(source: NodeJS.ProcessEnv, extra: Record<string, string> = {}, provider?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const key of [...ALLOWED, ...(provider ? (PROVIDER_VARS[provider] ?? []) : [])]) if (source[key] !== undefined) env[key] = source[key]
  // Codex's built-in OpenAI provider reads CODEX_API_KEY, not OPENAI_API_KEY:
  // an OpenAI key given either way reaches it.
  if (provider === 'codex' && env.CODEX_API_KEY === undefined && env.OPENAI_API_KEY) env.CODEX_API_KEY = env.OPENAI_API_KEY
  // npm's update notice (it asks the registry, then prints its lines after the
  // command's own output) pushed a failing test's assertion out of the tail a
  // Tester's report quotes (pipeline-claude.test.ts in CI); an agent's npm never asks.
  env.npm_config_update_notifier = 'false'
  return { ...env, ...extra }
}
