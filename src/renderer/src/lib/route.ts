// Hash routes: #/pipeline, #/agents, …, #/issue/<repoId>/<number>, #/pr/<repoId>/<number>.
export type Screen = 'pipeline' | 'agents' | 'inbox' | 'usage' | 'settings' | 'issue' | 'pr'

export interface Route {
  screen: Screen
  repoId?: number
  number?: number
}

const SCREENS: readonly Screen[] = ['pipeline', 'agents', 'inbox', 'usage', 'settings']

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean)
  const [head, a, b] = parts
  if ((head === 'issue' || head === 'pr') && a && b && /^\d+$/.test(a) && /^\d+$/.test(b)) {
    return { screen: head, repoId: Number(a), number: Number(b) }
  }
  const screen = SCREENS.find((s) => s === head)
  return { screen: screen ?? 'pipeline' }
}

export function go(path: string): void {
  location.hash = path.startsWith('/') ? path : `/${path}`
}

export const issueHref = (repoId: number, number: number): string => `#/issue/${repoId}/${number}`
export const prHref = (repoId: number, number: number): string => `#/pr/${repoId}/${number}`
