// An agent's name across projects (DESIGN.md §11, issue #14):
// `<instance>@<owner/repo>`, e.g. `engineer-2@acme/app`. An instance (a role's
// process, agents/supervisor.ts) serves every connected repository, so the
// name says which project it acts for: the repository of the task in hand.
// Used in every MCP answer that names an agent and in the signature of the
// comments Baton posts for it.

/** `<instance>@<owner/repo>`. */
export function agentName(instance: string, repo: string): string {
  return `${instance}@${repo}`
}

/** The parts of `<instance>@<owner/repo>`, or null for anything else. */
export function parseAgentName(name: string): { instance: string; repo: string } | null {
  const m = /^([a-z][a-z0-9-]{0,39})@([A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100})$/.exec(name)
  return m ? { instance: m[1]!, repo: m[2]! } : null
}
