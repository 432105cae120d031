// A reviewer's findings (issue #15): a reviewer's DONE answer carries one
// fenced block ```baton-findings holding a JSON array of
// `{ file, line, severity, text, rule? }`. The block is the reviewer's whole
// verdict; the prose around it is for people. Bounded, since an agent's
// output is untrusted: at most MAX_FINDINGS findings, each text at most
// MAX_TEXT characters. A block that does not parse makes that reviewer's
// answer malformed (named in the review's summary), never the stage's failure.
import { z } from 'zod'
import { fence, fencedBlocks } from '../agents/builtin-kit'

export const MAX_FINDINGS = 200
export const MAX_TEXT = 2000
export const FINDINGS_INFO = 'baton-findings'

export const SEVERITIES = ['critical', 'recommendation', 'observation'] as const
export const Severity = z.enum(SEVERITIES)
export type Severity = z.infer<typeof Severity>

export const Finding = z.strictObject({
  /** Repository-relative path, forward slashes, as the diff names it. */
  file: z
    .string()
    .min(1)
    .max(1000)
    .refine((f) => !f.startsWith('/') && !f.split('/').includes('..'), 'a path inside the repository, without a leading / or ..'),
  /** The line on the PR's head side; 0 for the file as a whole (a binary, a file without tests). */
  line: z.number().int().min(0).max(10_000_000),
  severity: Severity,
  text: z.string().trim().min(1).max(MAX_TEXT),
  /** The checker's rule (eslint's `no-undef`, `secret/aws-access-key`), when it has one: the surest sign two reviewers mean the same point. */
  rule: z.string().trim().min(1).max(200).optional()
})
export type Finding = z.infer<typeof Finding>

export const Findings = z.array(Finding).max(MAX_FINDINGS, `at most ${MAX_FINDINGS} findings`)

export type FindingsParse = { ok: true; findings: Finding[] } | { ok: false; problem: string }

/** The findings of a reviewer's answer body: its one ```baton-findings block, checked. */
export function parseFindings(body: string): FindingsParse {
  const blocks = fencedBlocks(body).filter((b) => b.info === FINDINGS_INFO)
  if (blocks.length === 0) return { ok: false, problem: `no \`\`\`${FINDINGS_INFO} block (an empty review answers [])` }
  if (blocks.length > 1) return { ok: false, problem: `${blocks.length} \`\`\`${FINDINGS_INFO} blocks: answer exactly one` }
  let json: unknown
  try {
    json = JSON.parse((blocks[0] as { content: string }).content)
  } catch (error) {
    return { ok: false, problem: `the ${FINDINGS_INFO} block is not JSON: ${(error as Error).message.slice(0, 200)}` }
  }
  if (!Array.isArray(json)) return { ok: false, problem: `the ${FINDINGS_INFO} block must be a JSON array of findings, got ${json === null ? 'null' : typeof json}` }
  const parsed = Findings.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const [index, field] = issue.path
    const where = typeof index === 'number' ? `finding ${index + 1}${field !== undefined ? ` field "${String(field)}"` : ''}` : 'the findings'
    const message = issue.code === 'unrecognized_keys' ? `unknown field "${issue.keys[0]}" (known: ${Object.keys(Finding.shape).join(', ')})` : issue.message
    return { ok: false, problem: `${where}: ${message}` }
  }
  return { ok: true, findings: parsed.data }
}

/** The block a reviewer writes (builtin reviewers use this; real providers are told the format in role.md). */
export function formatFindings(findings: readonly Finding[]): string {
  return fence(JSON.stringify(findings, null, 1), FINDINGS_INFO)
}

/** Keeps the first MAX_FINDINGS, most severe first, and cuts long texts: what a builtin reviewer can always answer. */
export function boundFindings(findings: readonly Finding[]): Finding[] {
  const rank = (s: Severity) => SEVERITIES.indexOf(s)
  return [...findings]
    .sort((a, b) => rank(a.severity) - rank(b.severity))
    .slice(0, MAX_FINDINGS)
    .map((f) => ({ ...f, text: f.text.length > MAX_TEXT ? `${f.text.slice(0, MAX_TEXT - 1)}…` : f.text }))
}
