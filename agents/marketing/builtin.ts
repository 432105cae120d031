// Marketing's builtin behaviour: a release-note entry and a short
// announcement for finished work, drafted from the issue and the notes the
// other roles left (triage type, the engineer's summary).
import { reply } from '../../src/main/agents/builtin-kit'
import type { Provider } from '../../src/main/agents/providers/types'

const HEADINGS: Record<string, string> = { bug: 'Fixed', feature: 'Added', docs: 'Documentation', chore: 'Maintenance' }

export const marketing: Provider = async (ctx) => {
  const { issue, repo, notes } = ctx.trigger
  const type = ['bug', 'feature', 'docs', 'chore'].find((t) => issue.labels.includes(t)) ?? (/\b(fix|bug|crash|error)\b/i.test(issue.title) ? 'bug' : 'feature')
  const heading = HEADINGS[type] ?? 'Changed'
  const title = issue.title.replace(/\.$/, '')
  const summary = issue.body.split(/\n\s*\n/)[0]?.replace(/\s+/g, ' ').trim().slice(0, 280) ?? ''
  const impl = notes.filter((n) => n.role.startsWith('engineer')).at(-1)?.body.split('\n')[0]
  const entry = `- ${title} (#${issue.number})`
  const announcement =
    type === 'bug'
      ? `A fix has landed in ${repo.owner}/${repo.name}: ${title.charAt(0).toLowerCase() + title.slice(1)} (#${issue.number}).${summary ? ` ${summary}` : ''} Thanks to everyone who reported and tested it.`
      : `New in ${repo.owner}/${repo.name}: ${title.charAt(0).toLowerCase() + title.slice(1)} (#${issue.number}).${summary ? ` ${summary}` : ''}`
  const body = [
    '## Release note',
    `### ${heading}`,
    entry,
    '',
    '## Announcement',
    announcement,
    ...(impl ? ['', `_From the implementation notes: ${impl}_`] : [])
  ].join('\n')
  return reply(ctx, { status: 'done', statusText: `Drafted a release note and an announcement for #${issue.number}`, body })
}
