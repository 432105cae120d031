// The PM's builtin behaviour: triage by rules, offline and deterministic.
// Type and priority from the words of the issue, acceptance criteria drawn
// from its body, and a REQUEST when it is too thin to act on.
import { reply, words } from '../../src/main/agents/builtin-kit'
import type { Provider } from '../../src/main/agents/providers/types'

const TYPE_RULES: Array<{ type: 'bug' | 'docs' | 'chore' | 'feature'; pattern: RegExp }> = [
  { type: 'bug', pattern: /\b(bug|crash(es|ed)?|error|exception|steps to reproduce|infinity|fail(s|ed|ing|ure)?|broken|wrong|incorrect|regression|doesn'?t work|does not work|not working|throws|nan|undefined)\b/i },
  { type: 'docs', pattern: /\b(docs?|documentation|readme|typo|spelling|guide|tutorial|comment)\b/i },
  { type: 'chore', pattern: /\b(chore|refactor|cleanup|clean up|dependency|dependencies|upgrade|bump|ci|lint|tooling|rename)\b/i }
]
const URGENT = /\b(urgent|critical|security|vulnerab\w*|data loss|outage|production|asap|blocker|blocking|crash(es|ed)?)\b/i
const LOW = /\b(minor|nice to have|someday|low priority|cosmetic|typo|trivial|eventually)\b/i

export function classify(title: string, body: string): { type: string; priority: string; why: string[] } {
  const why: string[] = []
  // Words inside a patch ("assert.throws") say nothing of the issue's kind or
  // urgency: only the prose counts.
  const text = `${title}\n${withoutPatches(body)}`
  // The title speaks loudest: a "docs" title with an error message quoted in the
  // body is docs, and "Add …" asks for something new whatever its criteria say
  // about errors.
  let type: string | null = null
  for (const source of [title, text]) {
    const rule = TYPE_RULES.find((r) => r.pattern.test(source))
    if (rule) {
      type = rule.type
      why.push(`type ${rule.type}: "${rule.pattern.exec(source)?.[0]}"`)
      break
    }
    const asks = source === title ? FEATURE_TITLE.exec(title) : null
    if (asks) {
      type = 'feature'
      why.push(`type feature: the title asks for something new ("${asks[0].trim()}")`)
      break
    }
  }
  if (!type) {
    type = 'feature'
    why.push('type feature: no bug, docs or chore words')
  }
  let priority = 'priority:normal'
  const urgent = URGENT.exec(text)
  const low = LOW.exec(text)
  if (urgent) {
    priority = 'priority:urgent'
    why.push(`priority urgent: "${urgent[0]}"`)
  } else if (low) {
    priority = 'priority:low'
    why.push(`priority low: "${low[0]}"`)
  }
  return { type, priority, why }
}

const FEATURE_TITLE = /^\s*(add|support|allow|implement|introduce|provide|enable|create|new)\b/i

/** The text without its fenced diff/patch blocks (and unlabelled blocks holding a diff). */
export function withoutPatches(text: string): string {
  return text.replace(/^ {0,3}(`{3,}|~{3,})[ \t]*([^\n`]*)\n([\s\S]*?)^ {0,3}\1[ \t]*$/gm, (block, _fence: string, info: string, content: string) =>
    /^(diff|patch)$/i.test(info.trim()) || /^(diff --git |--- \S)/m.test(content) ? '' : block
  )
}

/** Acceptance criteria from the body: its checklist, a criteria/expected section, or its should/must sentences. */
export function acceptanceCriteria(body: string): string[] {
  const lines = body.replace(/\r\n/g, '\n').split('\n')
  const checklist = lines.map((l) => /^\s*[-*]\s+\[[ xX]\]\s+(.+)$/.exec(l)?.[1]?.trim()).filter((l): l is string => !!l)
  if (checklist.length) return checklist
  const section: string[] = []
  let inSection = false
  // After a blank line, only list items continue the section: the prose that
  // follows ("Here is the change:") and any code block are not criteria.
  let gap = false
  for (const line of lines) {
    if (/^\s*(#{1,6}\s*|\*\*)?(acceptance|expected|requirements?|criteria|definition of done)\b/i.test(line)) {
      inSection = true
      gap = false
      const rest = line.replace(/^[^:]*:\s*/, '').trim()
      if (line.includes(':') && rest && !/^#/.test(line.trim())) section.push(rest.replace(/\*\*/g, ''))
      continue
    }
    if (!inSection) continue
    if (/^\s*#{1,6}\s/.test(line) || /^ {0,3}(```|~~~)/.test(line)) break
    if (!line.trim()) {
      gap = section.length > 0
      continue
    }
    const item = /^\s*(?:[-*]|\d+[.)])\s+(.+)$/.exec(line)?.[1]
    if (gap && !item) break
    section.push(item ?? line.trim())
  }
  if (section.length) return section.slice(0, 10)
  const prose = body.replace(/^ {0,3}(`{3,}|~{3,})[\s\S]*?^ {0,3}\1[ \t]*$/gm, ' ')
  const sentences = prose.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim().replace(/^[-*]\s+/, ''))
  // A should/must sentence, or one stating a value in code (`cube(3) === 27`).
  const states = (s: string) => /\b(should|must|needs? to|expected|expect)\b/i.test(s) || /`[^`\n]*(===|==|=>|->)[^`\n]*`/.test(s)
  return sentences.filter((s) => states(s) && s.length < 300).slice(0, 8)
}

const hasReproduction = (body: string) => /(steps to reproduce|repro|to reproduce|^\s*1[.)]\s)/im.test(body) || /```/.test(body)

export const pm: Provider = async (ctx) => {
  const { issue, stage, answer } = ctx.trigger
  const body = [issue.body, ...issue.comments.map((c) => c.body), answer ?? ''].join('\n\n')
  const { type, priority, why } = classify(issue.title, body)
  const criteria = acceptanceCriteria(body)
  const substance = words(`${issue.body} ${answer ?? ''}`).length
  ctx.progress(`triage: ${type}, ${priority}, ${criteria.length} criteria, ${substance} words`)

  // A criterion like "It should be better." names nothing to check: count only
  // the ones with at least three words of substance.
  const concrete = criteria.filter((c) => words(c).filter((w) => !['should', 'must', 'needs', 'need', 'expected', 'expect'].includes(w)).length >= 3)
  if (substance < 6 && concrete.length === 0) {
    const questions = [
      'What should change, in a sentence or two?',
      type === 'bug' ? 'What happens now, what did you expect, and how do we reproduce it?' : 'Who needs it, and what does it let them do?',
      'How will we know it is done (acceptance criteria)?'
    ]
    return reply(ctx, {
      status: 'request',
      statusText: `Issue #${issue.number} is too thin to triage: ${questions[0]}`,
      body: `This issue needs a little more before the team can pick it up:\n\n${questions.map((q) => `- ${q}`).join('\n')}`
    })
  }

  const missing: string[] = []
  if (type === 'bug' && !hasReproduction(body)) missing.push('Steps to reproduce (the architect and tester need them).')
  if (criteria.length === 0) missing.push('Explicit acceptance criteria; the ones below are drawn from the title.')
  const shown = criteria.length ? criteria : [`${issue.title.replace(/\.$/, '')} works as described in this issue.`, 'A test covers the change.']
  const text = [
    '## Triage',
    `- **Type:** ${type}`,
    `- **Priority:** ${priority.replace('priority:', '')}`,
    `- Why: ${why.join('; ')}`,
    '',
    '## Acceptance criteria',
    ...shown.map((c) => `- [ ] ${c}`),
    ...(missing.length ? ['', '## Missing information', ...missing.map((m) => `- ${m}`)] : [])
  ].join('\n')
  return reply(ctx, {
    status: 'done',
    statusText: `Triaged #${issue.number} as ${type}, ${priority.replace('priority:', '')} priority`,
    labelUpdate: { from: stage, to: 'needs-architecture' },
    labels: [type, priority],
    body: text
  })
}
