// The secrets reviewer's builtin behaviour (issue #15): scans the lines the PR
// adds (its head against the merge base) for key-shaped strings (critical)
// and random-looking values assigned to key/secret/token names
// (recommendation), and flags binaries over 1 MB (recommendation). It reads
// only the diff: a key already on the default branch is not this PR's.
import { reply } from '../../src/main/agents/builtin-kit'
import type { Provider } from '../../src/main/agents/providers/types'
import { changesAgainstBase, sizeAtHead } from '../../src/main/review/diff'
import { boundFindings, formatFindings, type Finding } from '../../src/main/review/findings'
import { masked, scanLine } from './scan'

export const BINARY_LIMIT = 1024 * 1024

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

export const reviewerSecrets: Provider = async (ctx) => {
  if (!ctx.trigger.workspace) return reply(ctx, { status: 'error', statusText: 'No worktree was prepared for this review' })
  const changes = await changesAgainstBase(ctx.cwd, ctx.trigger.repo.defaultBranch, ctx.env)
  const findings: Finding[] = []
  let lines = 0
  for (const file of changes.files) {
    if (file.deleted) continue
    if (file.binary) {
      const size = await sizeAtHead(ctx.cwd, file.path, ctx.env)
      if (size !== null && size > BINARY_LIMIT) {
        findings.push({ file: file.path, line: 0, severity: 'recommendation', rule: 'large-binary', text: `A binary file of ${mb(size)} (over 1 MB) is added: keep large binaries out of git (Git LFS, or a release asset).` })
      }
      continue
    }
    for (const added of file.added) {
      lines++
      for (const hit of scanLine(added.text)) {
        const advice = hit.severity === 'critical' ? 'remove it from the change and rotate it: it is in the branch’s history now' : 'if it is a real secret, read it from the environment or a secret store instead'
        findings.push({ file: file.path, line: added.line, severity: hit.severity, rule: hit.rule, text: `Looks like ${hit.what} (${masked(hit.value)}): ${advice}.` })
      }
    }
  }
  const bounded = boundFindings(findings)
  const keys = bounded.filter((f) => f.severity === 'critical').length
  ctx.progress(`scanned ${lines} added lines in ${changes.files.length} files: ${bounded.length} findings`)
  return reply(ctx, {
    status: 'done',
    statusText: bounded.length ? `Secrets review: ${bounded.length} findings (${keys} key-shaped)` : 'Secrets review: nothing key-shaped in the diff',
    body: `## Secrets review\n\nScanned ${lines} added lines in ${changes.files.length} changed files against ${changes.base.slice(0, 7)} for key-shaped strings, random-looking values assigned to secret names and binaries over 1 MB.\n\n${formatFindings(bounded)}\n`
  })
}
