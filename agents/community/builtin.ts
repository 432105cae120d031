// Community's builtin behaviour: a kind acknowledgement for an issue from
// outside the repository, a request for a reproduction when a bug report has
// none, and pointers to likely duplicates (title similarity over the issues
// the trigger lists). It promises nothing and moves no label.
import { reply, similarity } from '../../src/main/agents/builtin-kit'
import type { Provider } from '../../src/main/agents/providers/types'

const BUGGY = /\b(bug|crash\w*|error|exception|fail\w*|broken|wrong|incorrect|regression|doesn'?t work|not working|throws)\b/i
const REPRO = /(steps to reproduce|to reproduce|repro\b|reproduc\w+ by|^\s*1[.)]\s)/im

export function likelyDuplicates(
  issue: { number: number; title: string },
  others: ReadonlyArray<{ number: number; title: string; state?: string }>,
  threshold = 0.5
): Array<{ number: number; title: string; score: number }> {
  return others
    .filter((o) => o.number !== issue.number)
    .map((o) => ({ number: o.number, title: o.title, score: similarity(issue.title, o.title) }))
    .filter((o) => o.score >= threshold)
    .sort((a, b) => b.score - a.score || a.number - b.number)
    .slice(0, 3)
}

export const community: Provider = async (ctx) => {
  const { issue, data } = ctx.trigger
  const text = `${issue.title}\n${issue.body}\n${issue.comments.map((c) => c.body).join('\n')}`
  const bug = BUGGY.test(text)
  const needsRepro = bug && !REPRO.test(text) && !/```/.test(text)
  const duplicates = likelyDuplicates(issue, data?.issues ?? [])
  const parts = [`Thanks for taking the time to open this, @${issue.author}! A maintainer will look at it; the team picks issues up once one of them approves.`]
  if (needsRepro) {
    parts.push(
      'To help us track this down, could you add steps to reproduce it?\n\n1. What you did (the smallest example that shows it)\n2. What you expected\n3. What happened instead (the error message or output)\n4. Your version and platform'
    )
  }
  if (duplicates.length) {
    parts.push(`This looks close to ${duplicates.map((d) => `#${d.number} (“${d.title}”)`).join(', ')}. If it is the same problem, following that issue will keep the discussion in one place.`)
  }
  const did = [needsRepro ? 'asked for a reproduction' : null, duplicates.length ? `pointed to ${duplicates.map((d) => `#${d.number}`).join(', ')}` : null].filter(Boolean)
  return reply(ctx, {
    status: 'done',
    statusText: `Acknowledged @${issue.author}${did.length ? `; ${did.join('; ')}` : ''}`,
    body: parts.join('\n\n')
  })
}
