// who_is_online across projects (issue #14): an agent instance serves every
// connected repository, so each project lists every instance under the name
// it has there, `<instance>@<owner/repo>`, with its presence from the
// supervisor's heartbeat (busy wherever it works: `issue` says where) and how
// long ago it last beat.
import type { AgentSummary, RepoSummary } from '../../shared/api'
import { agentName } from '../../shared/agent-name'

export type Presence = 'online' | 'busy' | 'offline'

/** From the supervisor's state, which follows each agent's heartbeat: working is busy, idle is online, the rest cannot take work. */
export function presenceOf(state: AgentSummary['state']): Presence {
  if (state === 'working') return 'busy'
  if (state === 'idle') return 'online'
  return 'offline'
}

/** Seconds since the last heartbeat (one decimal), or null when it never beat. */
export function heartbeatAge(lastHeartbeat: string | null, now: Date): number | null {
  if (!lastHeartbeat) return null
  const ms = now.getTime() - Date.parse(lastHeartbeat)
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms / 100) / 10) : null
}

export function presenceByProject(repos: readonly RepoSummary[], agents: readonly AgentSummary[], now: Date) {
  return repos.map((r) => {
    const repo = `${r.owner}/${r.name}`
    return {
      repo,
      agents: agents.map((a) => ({
        name: agentName(a.name, repo),
        instance: a.name,
        role: a.role,
        presence: presenceOf(a.state),
        state: a.state,
        /** Its task's issue, in this project or another. */
        issue: a.repo && a.issue !== null ? `${a.repo}#${a.issue}` : null,
        lastHeartbeat: a.lastHeartbeat,
        heartbeatAgeSec: heartbeatAge(a.lastHeartbeat, now)
      }))
    }
  })
}
