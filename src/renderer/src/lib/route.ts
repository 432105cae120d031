// Hash routes: #/pipeline, #/agents, #/agents/<name>, …, #/issue/<repoId>/<number>, #/pr/<repoId>/<number>.
export type Screen = 'pipeline' | 'agents' | 'inbox' | 'usage' | 'settings' | 'issue' | 'pr'

export interface Route {
  screen: Screen
  repoId?: number
  number?: number
  /** `#/agents/<name>`: the Agents screen focused on that agent's live output. */
  agent?: string
}

const SCREENS: readonly Screen[] = ['pipeline', 'agents', 'inbox', 'usage', 'settings']

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean)
  const [head, a, b] = parts
  if ((head === 'issue' || head === 'pr') && a && b && /^\d+$/.test(a) && /^\d+$/.test(b)) {
    return { screen: head, repoId: Number(a), number: Number(b) }
  }
  if (head === 'agents' && a && /^[a-z][a-z0-9-]{0,62}$/.test(a)) return { screen: 'agents', agent: a }
  const screen = SCREENS.find((s) => s === head)
  return { screen: screen ?? 'pipeline' }
}

export function go(path: string): void {
  location.hash = path.startsWith('/') ? path : `/${path}`
}

export { issueHref, prHref } from './hrefs'
export const agentHref = (agent: string): string => `#/agents/${encodeURIComponent(agent)}`
