// Marketing's builtin behaviour: a release-note entry and a short
// announcement for finished work, composed from facts, not from comment
// bodies (pasting a comment put "## Implementation" headings and a reporter's
// thanks into the note): the issue's title and the PM's triage type, and the
// pull request that closed it — its number, its title, and the Engineer's
// summary line (the first line under "## Summary" in the PR body, which main
// writes from the Engineer's status line).
import { reply } from '../../src/main/agents/builtin-kit'
import type { Provider } from '../../src/main/agents/providers/types'
import type { Trigger } from '../../src/shared/protocol/trigger'

const TYPES = ['bug', 'feature', 'docs', 'chore'] as const
type Kind = (typeof TYPES)[number]
const HEADINGS: Record<Kind, string> = { bug: 'Fixed', feature: 'Added', docs: 'Documentation', chore: 'Maintenance' }

/**
 * The PM's triage type: the type label on the issue (the PM sets it, a person
 * may have changed it since), else the "Type:" line of the PM's triage note,
 * else a guess from the title.
 */
export function triageType(issue: Trigger['issue'], notes: Trigger['notes']): Kind {
  const label = TYPES.find((t) => issue.labels.includes(t))
  if (label) return label
  const triage = notes.filter((n) => n.role.replace(/-\d+$/, '') === 'pm' && n.kind === 'triage').at(-1)
  const said = triage && /^\s*[-*]?\s*\*{0,2}Type:?\*{0,2}:?\s*([a-z]+)/im.exec(triage.body)?.[1]?.toLowerCase()
  if (said && (TYPES as readonly string[]).includes(said)) return said as Kind
  return /\b(fix|bug|crash|error)\b/i.test(issue.title) ? 'bug' : 'feature'
}

/** The first plain line of the PR body's "## Summary" section (no heading, no fence, no list marker), one line, at most 200 characters. */
export function summaryLine(prBody: string): string | null {
  const lines = prBody.replace(/\r\n/g, '\n').split('\n')
  const start = lines.findIndex((l) => /^#{1,6}\s+Summary\s*$/i.test(l.trim()))
  if (start < 0) return null
  for (const raw of lines.slice(start + 1)) {
    const line = raw.trim()
    if (/^#{1,6}\s/.test(line) || /^(`{3,}|~{3,})/.test(line) || /^-{3,}$/.test(line)) return null
    if (!line) continue
    const text = line.replace(/^[-*+]\s+/, '').replace(/\s+/g, ' ')
    return text.length > 200 ? `${text.slice(0, 199)}…` : text
  }
  return null
}

const sentence = (s: string) => (/[.!?…]$/.test(s) ? s : `${s}.`)
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1)

export const marketing: Provider = async (ctx) => {
  const { issue, repo, notes, data } = ctx.trigger
  const type = triageType(issue, notes)
  const title = issue.title.trim().replace(/\.$/, '')
  const pull = data?.pull
  const summary = pull ? summaryLine(pull.body) : null
  // The PR's own title, when a person gave it one (main's default is "<issue title> (#n)").
  const prTitle = pull && pull.title.trim() !== `${issue.title} (#${issue.number})` ? pull.title.trim() : null
  const refs = pull ? `#${issue.number}, #${pull.number}` : `#${issue.number}`
  const entry = `- ${title} (${refs})${prTitle ? `: ${prTitle}` : ''}`
  const where = `${repo.owner}/${repo.name}`
  const lead = type === 'bug' ? `A fix has landed in ${where}: ${lowerFirst(title)} (${refs}).` : `New in ${where}: ${lowerFirst(title)} (${refs}).`
  const announcement = [lead, ...(summary ? [sentence(summary)] : [])].join(' ')
  const body = ['## Release note', `### ${HEADINGS[type]}`, entry, '', '## Announcement', announcement].join('\n')
  return reply(ctx, { status: 'done', statusText: `Drafted a release note and an announcement for #${issue.number}`, body })
}
