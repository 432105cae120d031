// The environment an agent process gets: an allow-list, so no GitHub token and
// no app secret reaches it (DESIGN.md §6, §9), whatever main's own env holds.
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
  // Model providers' own settings: the person configures these for their agents.
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_MODEL',
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
  'CLAUDE_CODE_MAX_RETRIES',
  'DISABLE_TELEMETRY',
  'OPENAI_API_KEY',
  // Codex ignores OPENAI_BASE_URL itself; its provider turns it into a model
  // provider of its own (providers/codex.ts). Codex's own key and config home:
  'OPENAI_BASE_URL',
  'CODEX_API_KEY',
  'CODEX_HOME',
  'BATON_CLAUDE_PATH',
  'BATON_CODEX_PATH',
  'npm_config_cache'
]

export function agentEnvironment(source: NodeJS.ProcessEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const key of ALLOWED) if (source[key] !== undefined) env[key] = source[key]
  return { ...env, ...extra }
}
