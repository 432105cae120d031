// A person presses Retry on an issue whose stage's failure budget is spent
// (the app's button, `tasks.retry`, `baton task retry owner/repo#n`): the
// stage gets one whole budget again, the failed task is queued again as a
// fresh start, and its inbox item closes. One budget per press: a provider
// that keeps failing stops again after it.
import { AppError } from '../../shared/errors'
import { audit } from '../store/audit'
import { getBudget, resetBudget } from '../store/budgets'
import { resolveFailures } from '../store/inbox'
import { latestTaskForStage, requeueAnswered } from '../store/tasks'
import { budgetHeld, grantBudget } from './budget-gate'
import { stageOf } from './definition'
import { issueKey, type EngineContext } from './engine-context'

export interface RetryOutcome {
  stage: string
  /** The failed task queued again, or null when the scheduler will start a new one. */
  task: string | null
}

export function retryStage(ctx: EngineContext, repoId: number, number: number, who: string | null): Promise<RetryOutcome> {
  return ctx.keyed(issueKey(repoId, number), 'retry', async () => {
    const { db } = ctx
    const issue = ctx.issue(repoId, number)
    if (!issue) throw new AppError('not_found', `Issue #${number} is not known to Baton (not synced yet, or in another repository).`)
    if (issue.state !== 'open') throw new AppError('conflict', `#${number} is closed: reopen it on GitHub to send it back to its stage.`)
    const stage = stageOf(ctx.o.pipeline(repoId), JSON.parse(issue.labels) as string[])?.label
    if (!stage) throw new AppError('conflict', `#${number} has no stage label: add one to bring it into the pipeline.`)
    const budget = getBudget(db, repoId, number, stage)
    const task = latestTaskForStage(db, repoId, number, stage)
    const failed = task?.state === 'failed' ? task : undefined
    // A spend budget holding the issue (budget-gate.ts) is something to retry too: its budgets count again from now.
    const spendHeld = budgetHeld(ctx, repoId, number)
    if (!budget && !failed && !spendHeld) throw new AppError('conflict', `#${number} (${stage}) has not failed: there is nothing to retry.`)
    const at = ctx.now().toISOString()
    who ??= ctx.o.github.login()
    if (spendHeld) grantBudget(ctx, repoId, number, who)
    db.transaction(() => {
      resetBudget(db, repoId, number, stage)
      if (failed) requeueAnswered(db, failed.id, at)
      resolveFailures(db, repoId, number, stage, '(retried by a person)', at)
    })()
    audit(db, {
      kind: 'task.retry.person',
      repoId,
      issue: number,
      taskId: failed?.id ?? null,
      subject: who,
      message: `${who ?? 'A person'} retried #${number} (${stage}): one more budget of attempts${budget ? ` (after ${budget.spent}: ${budget.last_error ?? 'no reason'})` : ''}`
    })
    ctx.o.events.changed('tasks', 'issues', 'inbox', 'events')
    void ctx.tick()
    return { stage, task: failed?.id ?? null }
  })
}
