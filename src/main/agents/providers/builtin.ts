// The `builtin` provider: deterministic, offline behaviour for every role
// (DESIGN.md §6), used by the sandbox and the tests. Each role's behaviour
// lives beside its prompt in agents/<role>/builtin.ts and does real work:
// triage by rules, reading the worktree, applying a patch given in the issue
// and committing it, running the repository's own tests.
import { architect } from '../../../../agents/architect/builtin'
import { community } from '../../../../agents/community/builtin'
import { engineer } from '../../../../agents/engineer/builtin'
import { marketing } from '../../../../agents/marketing/builtin'
import { pm } from '../../../../agents/pm/builtin'
import { reviewerLint } from '../../../../agents/reviewer-lint/builtin'
import { reviewerSecrets } from '../../../../agents/reviewer-secrets/builtin'
import { reviewerTests } from '../../../../agents/reviewer-tests/builtin'
import { tester } from '../../../../agents/tester/builtin'
import { formatResponse } from '../../../shared/protocol/response'
import type { Provider } from './types'

export const builtinRoles: Readonly<Record<string, Provider>> = {
  pm,
  architect,
  engineer,
  tester,
  marketing,
  community,
  // The reviewers a fan-out review stage (capability `review`) sends its children to (issue #15).
  'reviewer-lint': reviewerLint,
  'reviewer-tests': reviewerTests,
  'reviewer-secrets': reviewerSecrets
}

export const builtin: Provider = async (ctx) => {
  const role = ctx.trigger.role.replace(/-\d+$/, '')
  const behaviour = builtinRoles[role]
  if (!behaviour) {
    // A role a person added has no offline behaviour: ask rather than guess.
    return {
      text: formatResponse({
        task: ctx.trigger.task,
        status: 'request',
        statusText: `The builtin provider has no behaviour for the "${role}" role; give this role another provider in its role.yml`,
        issue: ctx.trigger.issue.number
      })
    }
  }
  return behaviour(ctx)
}
