// Consensus of a fan-out review (issue #15), pure: findings on the same file,
// within ±LINE_SLACK lines, about the same point, from different reviewers
// become one finding tagged "consensus (n of m)", where m is the number of
// reviewers that answered (a malformed, failed or missing one is not counted:
// it said nothing either way). Its severity is the highest of its parts.
//
// "The same point": the same `rule` (a checker's rule name), or the same
// category of problem read from the text (an undefined name is one point
// whether eslint says "'x' is not defined" or a failing test says
// "ReferenceError: x is not defined"), or the same text once names, numbers
// and quotes are taken out. A line of 0 (the file as a whole) only meets 0.
import { SEVERITIES, type Finding, type Severity } from './findings'

export const LINE_SLACK = 2

export type ReviewerOutcome = 'answered' | 'malformed' | 'failed' | 'missing'

export interface ReviewerReport {
  /** The reviewer's instance name (reviewer-lint, reviewer-lint-2, …). */
  reviewer: string
  outcome: ReviewerOutcome
  /** Its findings; empty unless it answered. */
  findings: Finding[]
  /** Why it is malformed, failed or missing, in words. */
  problem?: string
}

export interface MergedFinding {
  file: string
  line: number
  severity: Severity
  text: string
  rule?: string
  /** Distinct reviewers that flagged it, in the order they came. */
  reviewers: string[]
  /** Each reviewer's own words for it. */
  parts: Array<{ reviewer: string; line: number; severity: Severity; text: string; rule?: string }>
  /** Set when two or more reviewers agree: n of m. */
  consensus: { n: number; of: number } | null
}

export interface Consensus {
  findings: MergedFinding[]
  /** m: reviewers that answered. */
  answered: number
}

/** Problem categories, first match wins: the order puts the specific before the general. */
const CATEGORIES: Array<[string, RegExp]> = [
  ['syntax', /\b(syntax ?error|unexpected (token|identifier|end of input|string|number)|parsing error|unterminated|invalid syntax|missing \) after)/],
  ['undefined-name', /\b(is not defined|undefined (name|variable)|cannot find name|undeclared|no-undef)\b/],
  ['secret', /\b(secrets?|api ?keys?|access keys?|private keys?|tokens?|passwords?|credentials?)\b/],
  ['unused', /\b(unused|never used|imported but unused|never read)\b/],
  ['type', /\b(type ?error|is not assignable|does not exist on type|is not a function|no overload)\b/],
  ['large-binary', /\bbinary\b/],
  ['missing-tests', /\b(without (any )?(changed )?tests?|no (changed )?tests?|untested)\b/],
  ['test-failure', /\b(tests? fail(s|ed|ing)?|failing tests?|assertion ?error)\b/]
]

/** A finding's text with names, quotes, numbers and punctuation taken out. */
export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/(['"`]).*?\1/g, ' ')
    .replace(/[0-9]+/g, ' ')
    .replace(/[^a-z]+/g, ' ')
    .trim()
    .replace(/\s+/g, ' ')
}

/** The text's category, read with quoted names taken out (a variable called `token` is no secret). */
export function categoryOf(text: string): string | null {
  const t = text.toLowerCase().replace(/(['"`]).*?\1/g, ' ')
  for (const [name, re] of CATEGORIES) if (re.test(t)) return name
  return null
}

export function samePoint(a: Pick<Finding, 'text' | 'rule'>, b: Pick<Finding, 'text' | 'rule'>): boolean {
  if (a.rule && b.rule && a.rule === b.rule) return true
  const ca = categoryOf(a.text)
  if (ca !== null && ca === categoryOf(b.text)) return true
  const na = normalizeText(a.text)
  return na.length > 0 && na === normalizeText(b.text)
}

const rank = (s: Severity) => SEVERITIES.indexOf(s)

function near(a: number, b: number): boolean {
  if (a === 0 || b === 0) return a === b
  return Math.abs(a - b) <= LINE_SLACK
}

/** Merges the reports' findings (see the top of the file). Order: most severe first, then file and line. */
export function mergeFindings(reports: readonly ReviewerReport[]): Consensus {
  const answered = reports.filter((r) => r.outcome === 'answered')
  const m = new Set(answered.map((r) => r.reviewer)).size
  const merged: MergedFinding[] = []
  for (const report of answered) {
    for (const f of report.findings) {
      const part = { reviewer: report.reviewer, line: f.line, severity: f.severity, text: f.text, ...(f.rule ? { rule: f.rule } : {}) }
      const into = merged.find((g) => g.file === f.file && g.parts.some((p) => near(p.line, f.line) && samePoint(p, f)))
      if (!into) {
        merged.push({ file: f.file, line: f.line, severity: f.severity, text: f.text, ...(f.rule ? { rule: f.rule } : {}), reviewers: [report.reviewer], parts: [part], consensus: null })
        continue
      }
      into.parts.push(part)
      if (!into.reviewers.includes(report.reviewer)) into.reviewers.push(report.reviewer)
      if (rank(f.severity) < rank(into.severity)) {
        // The most severe part speaks for the finding: its line, words and rule.
        into.severity = f.severity
        into.line = f.line
        into.text = f.text
        if (f.rule) into.rule = f.rule
        else delete into.rule
      }
    }
  }
  for (const g of merged) g.consensus = g.reviewers.length >= 2 ? { n: g.reviewers.length, of: m } : null
  merged.sort((a, b) => rank(a.severity) - rank(b.severity) || a.file.localeCompare(b.file) || a.line - b.line)
  return { findings: merged, answered: m }
}

export const consensusTag = (f: Pick<MergedFinding, 'consensus'>): string | null => (f.consensus ? `consensus (${f.consensus.n} of ${f.consensus.of})` : null)

/** Whether a critical finding two or more reviewers agree on exists: what sends the issue back. */
export const hasConsensusCritical = (c: Consensus): boolean => c.findings.some((f) => f.severity === 'critical' && f.consensus !== null)
