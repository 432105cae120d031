// An issue an agent files (create_issue, handoff_to_project through its task's
// token) is the agent's words, not a person's (DESIGN.md §9, issue #14). It is
// written with the app's token, so GitHub names the signed-in person as its
// author, a trusted association: without a mark, text an outsider got an agent
// to write would come back as a maintainer's issue, whose body the pipeline
// takes as orders (the builtin Engineer applies a patch given there). So the
// body carries `<!-- baton:filed-by=<agent> -->`, and such an issue is trusted
// only once a person gives it the approval label — the rule for any author the
// trust policy does not list. An agent also cannot choose the approval label
// or a stage: the issue starts where the pipeline starts.
import { AppError } from '../../shared/errors'

const FILED_BY = /<!--\s*baton:filed-by=([^\s<>]+)\s*-->/

/** The agent that filed this issue body, or null (a person's issue). Anyone may type the mark: it only takes trust away. */
export function filedByAgent(body: string | null | undefined): string | null {
  return FILED_BY.exec(body ?? '')?.[1] ?? null
}

/** GitHub refuses an issue body longer than this. */
const MAX_BODY = 65_536

/** The body as filed for `agent`: its text, then the mark on a line of its own (within GitHub's limit, or a clear refusal). */
export function markFiledBy(body: string, agent: string): string {
  const name = agent.replace(/[^\w.@/-]/g, '')
  const marked = `${body.trimEnd()}${body.trim() ? '\n\n' : ''}<!-- baton:filed-by=${name} -->`
  if (marked.length > MAX_BODY) {
    throw new AppError('bad_request', `The body is ${marked.length.toLocaleString('en-US')} characters with the mark of the agent that files it; GitHub takes at most ${MAX_BODY.toLocaleString('en-US')}.`)
  }
  return marked
}

/**
 * Refuses labels an agent may not give an issue it files: the approval label
 * (that is a person's word that the issue may run) and any stage label (the
 * pipeline decides where it starts; an agent's issue would otherwise skip
 * triage and planning).
 */
export function checkAgentLabels(labels: readonly string[], stages: readonly string[], approvalLabel: string, agent: string): void {
  const lower = (s: string) => s.toLowerCase()
  const refused = labels.filter((l) => lower(l) === lower(approvalLabel) || stages.some((s) => lower(s) === lower(l)))
  if (refused.length) {
    throw new AppError(
      'forbidden',
      `${agent} may not give an issue it files the label${refused.length === 1 ? '' : 's'} ${refused.map((l) => `"${l}"`).join(', ')}: it starts at the pipeline's entry and waits for a person's "${approvalLabel}" label, as any untrusted author's issue does.`
    )
  }
}
