// Stage-specific instructions carried in each trigger. The role's own prompt
// (agents/<role>/role.md) holds its guardrails; these say what this task is.
export function instructionsFor(
  role: string,
  stage: string,
  context: { branch: string; answer?: string; handoff?: string; update?: { pr: number; defaultBranch: string }; moves?: { pass: string; fail: string } }
): string {
  const base = role.replace(/-\d+$/, '')
  if (context.handoff) return `Another role handed you work on this issue: ${context.handoff}\nAnswer with DONE (or REQUEST), and a comment for the issue.`
  if (context.update && base === 'engineer' && stage !== 'ready-for-dev') {
    const { pr, defaultBranch } = context.update
    const text = `Update branch: PR #${pr} cannot merge until its branch is brought up to date with ${defaultBranch}, which moved (see the newest conflict note). In your workspace (branch ${context.branch}, with origin/${defaultBranch} freshly fetched), merge origin/${defaultBranch} into it, resolving conflicts so both sides' changes survive (or re-apply the issue's change on it), and commit; change nothing else. Answer BRANCH: ${context.branch} with LABEL-UPDATED: ${stage} --> needs-testing. If a conflict needs a person's decision, run git merge --abort and answer REQUEST naming the conflicting files.`
    return context.answer ? `${text}\n\nA person answered your question: ${context.answer}` : text
  }
  const byRole: Record<string, string> = {
    pm: 'Triage this issue: its type (bug, feature, docs, chore), its priority (priority:urgent, priority:normal, priority:low), acceptance criteria drawn from the body, and what information is missing. If it is too thin to act on, answer REQUEST with the questions. Otherwise ask for LABEL-UPDATED: backlog --> needs-architecture and LABELS: <type>, <priority>.',
    architect: 'Read the repository in your workspace. Name the affected files, the approach, the risks and a test plan (under a "## Test plan" heading). Then ask for LABEL-UPDATED: needs-architecture --> ready-for-dev.',
    engineer:
      stage === 'ready-for-dev'
        ? 'Claim this issue: ask for LABEL-UPDATED: ready-for-dev --> in-progress and say how you will do it.'
        : `Implement the issue in your workspace on branch ${context.branch}, commit your work there (main pushes it and opens the pull request), and answer BRANCH: ${context.branch} with LABEL-UPDATED: in-progress --> needs-testing. Address any review or test failure in the notes. If you cannot, answer REQUEST.`,
    tester: `Your workspace holds branch ${context.branch} as pushed. Run the repository's own tests. If they pass: LABEL-UPDATED: ${stage} --> ${context.moves?.pass ?? 'needs-review'}. If they fail: LABEL-UPDATED: ${stage} --> ${context.moves?.fail ?? 'ready-for-dev'}, with the failing output's tail in your comment.`,
    marketing: 'This work is done and merged. Draft a release-note entry and a short announcement, in your comment.',
    community: 'This issue comes from someone outside the repository. Acknowledge it kindly; if it reports a bug without steps to reproduce, ask for them; point to likely duplicates among the listed issues. Do not promise anything, do not move labels.'
  }
  const text = byRole[base] ?? `Do the ${base} role's work for the stage "${stage}".`
  return context.answer ? `${text}\n\nA person answered your question: ${context.answer}` : text
}

/**
 * A fan-out review's child (a stage joined by `review`, review/review-join.ts):
 * what to review and how to answer, whichever role holds the `review`
 * capability — its findings block is the whole verdict, and no move is its own.
 */
export function reviewInstructions(branch: string, defaultBranch: string): string {
  return `Review the pull request in your workspace: branch ${branch} at its head, against its merge base with origin/${defaultBranch} (git diff $(git merge-base HEAD origin/${defaultBranch}) HEAD). Report only on what it changes. Answer DONE with your comment ending in exactly one \`\`\`baton-findings block: a JSON array of { "file", "line", "severity": "critical" | "recommendation" | "observation", "text", "rule"? } ([] when you found nothing). No LABEL-UPDATED line: Baton merges every reviewer's findings into one PR review and decides the move.`
}

export function slugFor(title: string): string {
  const slug = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '')
  return slug || 'issue'
}

export const branchFor = (issue: number, title: string): string => `baton/${issue}-${slugFor(title)}`
