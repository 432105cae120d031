/** The web address for a repository, from its API base (github.com, GHES or the forge). */
export function webBase(apiUrl: string, owner: string, name: string): string {
  const url = new URL(apiUrl)
  if (url.hostname === 'api.github.com') return `https://github.com/${owner}/${name}`
  const path = url.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/$/, '')
  return `${url.protocol}//${url.host}${path}/${owner}/${name}`
}
