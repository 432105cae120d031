// Which task starts next: a pure decision over a snapshot, so the rules are
// unit-tested without processes or GitHub (DESIGN.md §4, issue 5 "Scheduling").
import type { Pipeline } from './definition'
import { stageOf } from './definition'
import { blockersOf, type ElsewhereState, type IssueRef } from './dependencies'
import { LEASE_ROLES, leaseWait, type HeldLease } from './lease-wait'
import { capabilityWait, capableNow, startingFor } from './capabilities'
import type { AgentPresence } from './ports'

export interface ScheduleIssue {
  repoId: number
  number: number
  labels: readonly string[]
  body: string
  createdAt: string
  /** A collaborator of the repository, or approved by a maintainer's label. */
  trusted: boolean
  /** Opened by someone who is not a collaborator (Community answers these). */
  outsideAuthor: boolean
  /** Filed by this agent through its task's token (agent-filed.ts): trusted only with the approval label. */
  filedBy?: string | null
}

export interface ScheduleInput {
  pipeline: Pipeline
  /** Open issues (not pull requests). */
  issues: readonly ScheduleIssue[]
  /** `repoId#number` of issues that have a queued, running or waiting task. */
  busy: ReadonlySet<string>
  /** `repoId#number` of issues whose stage's failure budget is spent, with why: nothing starts for them until a person acts. */
  held?: ReadonlyMap<string, string>
  /** `repoId#number:role` of side-lane work already done (Community, Marketing). */
  sideLaneDone: ReadonlySet<string>
  /** Closed issue numbers per repository (for dependencies). */
  isClosed: (repoId: number, number: number) => boolean
  /** A repository's owner/name, so `owner/name#n` of its own is read as `#n`. */
  repoName?: (repoId: number) => string
  /** Another repository's issue (issue #14): from the mirror when connected, else read-only from GitHub (cross-deps.ts). */
  elsewhere?: (ref: IssueRef) => ElsewhereState
  /** Idle agent instances per role, in preference order. */
  idle: ReadonlyMap<string, readonly string[]>
  /** Every agent instance with what it advertised and whether it is online: stages owned by a capability route by it. */
  presence?: readonly AgentPresence[]
  /** Roles whose every instance a person paused: their issues wait for the person, not for capacity. */
  pausedRoles?: ReadonlySet<string>
  /** One open agent PR at a time per repository unless true. */
  parallelPrs: boolean
  /** The label a maintainer adds to approve an outside author's issue (Settings → Trust). */
  approvalLabel?: string
  /** Recently closed issues that reached the final stage, for Marketing. */
  finished?: ReadonlyArray<{ repoId: number; number: number }>
  sideLanes?: { community?: string; marketing?: string }
  /** Live file leases (issue #14): an Engineer whose plan touches one another issue holds waits. */
  leases?: readonly HeldLease[]
  /** The files each issue's plan names, by `repoId#number` (plan_files). */
  planFiles?: ReadonlyMap<string, readonly string[]>
  /** `<instance>@<owner/repo>` of an instance starting in this pass, for the lease it will hold (default: the instance). */
  holderName?: (agent: string, repoId: number) => string
}

export interface StartDecision {
  repoId: number
  issue: number
  stage: string
  role: string
  agent: string
  /** `route: all`: the capable online instances the fan-out's children go to (role and agent are then `@<capability>`). */
  fanout?: Array<{ agent: string; role: string }>
}

export interface WaitReason {
  repoId: number
  issue: number
  reason: string
}

export interface Schedule {
  start: StartDecision[]
  waiting: WaitReason[]
}

const PRIORITY: Record<string, number> = { 'priority:urgent': 0, 'priority:high': 0, 'priority:normal': 1, 'priority:low': 2 }

export function priorityOf(labels: readonly string[]): number {
  let best: number | null = null
  for (const label of labels) if (label in PRIORITY) best = Math.min(best ?? 9, PRIORITY[label] as number)
  return best ?? PRIORITY['priority:normal']!
}

export const key = (repoId: number, number: number): string => `${repoId}#${number}`

/** The first engineer-owned stage gates the dev lane; the stages after it, up to done, hold an agent PR. */
function devLane(pipeline: Pipeline): { gate: string | null; lane: Set<string> } {
  const gateIndex = pipeline.stages.findIndex((s) => s.owner === 'engineer')
  if (gateIndex < 0) return { gate: null, lane: new Set() }
  const lane = new Set<string>()
  for (const stage of pipeline.stages.slice(gateIndex + 1)) if (stage.label !== pipeline.done) lane.add(stage.label)
  return { gate: (pipeline.stages[gateIndex] as { label: string }).label, lane }
}

export function schedule(input: ScheduleInput): Schedule {
  const start: StartDecision[] = []
  const waiting: WaitReason[] = []
  const idle = new Map([...input.idle].map(([role, agents]) => [role, [...agents]]))
  const take = (role: string): string | undefined => idle.get(role)?.shift()
  const community = input.sideLanes?.community ?? 'community'
  const marketing = input.sideLanes?.marketing ?? 'marketing'
  const { gate, lane } = devLane(input.pipeline)
  // Leases held now, and those main takes for the Engineers this pass starts (dispatch.ts takes them for real).
  const leases: HeldLease[] = [...(input.leases ?? [])]

  // Repositories with an issue in the dev lane already have their one agent PR: which issue holds it
  // (the board names and links it on the cards that wait).
  const laneTaken = new Map<number, number>()
  for (const issue of input.issues) {
    const stage = stageOf(input.pipeline, issue.labels)
    // An issue in the lane, or one whose claim is under way at the gate.
    if (stage && (lane.has(stage.label) || (stage.label === gate && input.busy.has(key(issue.repoId, issue.number))))) {
      if (!laneTaken.has(issue.repoId) || (laneTaken.get(issue.repoId) as number) > issue.number) laneTaken.set(issue.repoId, issue.number)
    }
  }

  const ordered = [...input.issues].sort(
    (a, b) => priorityOf(a.labels) - priorityOf(b.labels) || a.createdAt.localeCompare(b.createdAt) || a.number - b.number
  )
  for (const issue of ordered) {
    const id = key(issue.repoId, issue.number)
    if (input.busy.has(id)) continue

    // Side lane: Community answers outside authors once, trusted or not.
    if (issue.outsideAuthor && !input.sideLaneDone.has(`${id}:${community}`)) {
      const agent = take(community)
      if (agent) {
        start.push({ repoId: issue.repoId, issue: issue.number, stage: 'community', role: community, agent })
        continue
      }
    }

    const stage = stageOf(input.pipeline, issue.labels)
    if (!stage || (!stage.owner && !stage.capability)) continue
    const held = input.held?.get(id)
    if (held) {
      waiting.push({ repoId: issue.repoId, issue: issue.number, reason: held })
      continue
    }
    if (!issue.trusted) {
      const who = issue.filedBy ? `filed by ${issue.filedBy}, an agent` : 'the author is not trusted'
      waiting.push({ repoId: issue.repoId, issue: issue.number, reason: `waits for a maintainer to approve it (label "${input.approvalLabel ?? 'approved'}"): ${who}` })
      continue
    }
    // `#n` here, and `owner/name#n` in other repositories (issue #14): each still open is named.
    const [selfOwner, selfName] = input.repoName?.(issue.repoId)?.split('/') ?? []
    const blockers = blockersOf(issue.body, { owner: selfOwner, name: selfName, number: issue.number }, (n) => input.isClosed(issue.repoId, n), input.elsewhere)
    if (blockers.length) {
      waiting.push({ repoId: issue.repoId, issue: issue.number, reason: `blocked by ${blockers.join(', ')}` })
      continue
    }
    if (!input.parallelPrs && stage.label === gate) {
      if (laneTaken.has(issue.repoId)) {
        waiting.push({ repoId: issue.repoId, issue: issue.number, reason: `waits for the open agent pull request to be merged (one at a time: #${laneTaken.get(issue.repoId) as number} holds it)` })
        continue
      }
    }
    if (stage.capability) {
      // Owned by a capability: the online instances that advertise it (capabilities.ts), by priority.
      const { online, free } = capableNow(stage.capability, input.presence ?? [], idle)
      // A fan-out is to every capable instance: one still starting (no heartbeat yet) is waited for, not left out.
      if (!online.length || !free.length || (stage.route === 'all' && startingFor(stage.capability, input.presence ?? []).length)) {
        waiting.push({ repoId: issue.repoId, issue: issue.number, reason: capabilityWait(stage.capability, online.length > 0) })
        continue
      }
      const takeAgent = (p: AgentPresence) => {
        const list = idle.get(p.role)
        if (list?.includes(p.agent)) list.splice(list.indexOf(p.agent), 1)
      }
      if (!input.parallelPrs && stage.label === gate) laneTaken.set(issue.repoId, issue.number)
      if (stage.route === 'all') {
        // One child per capable online instance now; a busy one's child waits for it (tick.ts dispatches it when it is free).
        for (const p of free) takeAgent(p)
        const fanout = online.map((p) => ({ agent: p.agent, role: p.role }))
        start.push({ repoId: issue.repoId, issue: issue.number, stage: stage.label, role: `@${stage.capability}`, agent: `@${stage.capability}`, fanout })
      } else {
        const first = free[0] as AgentPresence
        takeAgent(first)
        start.push({ repoId: issue.repoId, issue: issue.number, stage: stage.label, role: first.role, agent: first.agent })
      }
      continue
    }
    const owner = stage.owner as string
    // Its plan's files leased by another issue's task or a person (lease-wait.ts): the Engineer waits.
    const leased = LEASE_ROLES.has(owner) ? leaseWait(issue, input.planFiles?.get(id), leases) : null
    if (leased) {
      waiting.push({ repoId: issue.repoId, issue: issue.number, reason: leased })
      continue
    }
    const agent = take(owner)
    if (!agent) {
      const reason = input.pausedRoles?.has(owner) ? `waits: ${owner} is paused (resume it in Agents)` : `waits for a free ${owner}`
      waiting.push({ repoId: issue.repoId, issue: issue.number, reason })
      continue
    }
    if (!input.parallelPrs && stage.label === gate) laneTaken.set(issue.repoId, issue.number)
    start.push({ repoId: issue.repoId, issue: issue.number, stage: stage.label, role: owner, agent })
    if (LEASE_ROLES.has(owner)) {
      const holder = input.holderName?.(agent, issue.repoId) ?? agent
      for (const pattern of input.planFiles?.get(id) ?? []) leases.push({ repoId: issue.repoId, issue: issue.number, pattern, holder })
    }
  }

  for (const done of input.finished ?? []) {
    const id = key(done.repoId, done.number)
    if (input.busy.has(id) || input.sideLaneDone.has(`${id}:${marketing}`)) continue
    const agent = take(marketing)
    if (!agent) break
    start.push({ repoId: done.repoId, issue: done.number, stage: input.pipeline.done, role: marketing, agent })
  }
  return { start, waiting }
}
