// Main's credentials for git over HTTPS, given to one git run through its
// environment: `GIT_CONFIG_COUNT/KEY_n/VALUE_n` set `http.<url>.extraHeader` for
// that process only (git ≥ 2.31). So the token is never on a command line
// (visible in `ps`), never written to the clone's config, and never in an
// agent's environment: agents run git in their worktree with no credential at
// all. The header is scoped to the repository's host, so it goes to no other
// remote (a submodule elsewhere, a redirect to another host).
import { registerSecret } from '../log'

/** The part of a clone URL git's `http.<url>.*` settings match on: scheme, host and port. */
function scopeOf(url: string): string | null {
  try {
    const u = new URL(url)
    return u.protocol === 'https:' || u.protocol === 'http:' ? `${u.protocol}//${u.host}/` : null
  } catch {
    return null
  }
}

/** Environment for one authenticated git run against `url`, or none when there is no token or the URL is not http(s). */
export function credentialEnv(token: string | null | undefined, url: string): Record<string, string> {
  const scope = token ? scopeOf(url) : null
  if (!token || !scope) return {}
  // GitHub and the local forge both take the token as the Basic password.
  const basic = Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64')
  registerSecret(basic)
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${scope}.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`
  }
}
