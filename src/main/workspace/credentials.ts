// Main's credentials for git over HTTPS, given to one git run through its
// environment: `GIT_CONFIG_COUNT/KEY_n/VALUE_n` set `http.extraHeader` for that
// process only (git ≥ 2.31). So the token is never on a command line (visible
// in `ps`), never written to the clone's config, and never in an agent's
// environment: agents run git in their worktree with no credential at all.

/** Environment for one authenticated git run, or none when there is no token. */
export function credentialEnv(token: string | null | undefined): Record<string, string> {
  if (!token) return {}
  // GitHub and the local forge both take the token as the Basic password.
  const basic = Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64')
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`
  }
}
