// A person answers an inbox item: the answer is posted on the issue (once:
// its marker names the item), the item closed, and its task queued again —
// a waiting task resumes (and the same provider session where there is one).
import { audit } from '../store/audit'
import { resetBudget } from '../store/budgets'
import { answerRequest, getRequest } from '../store/inbox'
import { getTask, requeueAnswered } from '../store/tasks'
import { issueKey, type EngineContext } from './engine-context'

/** The marker of a person's answer posted through Baton: it names the task and the inbox item (src/shared/marker.ts parses it). */
export function answerMarker(requestId: number, taskId: string | null): string {
  return `<!-- baton:task=${taskId ?? 'none'} baton:request=${requestId} baton:role=person -->`
}

export function answer(ctx: EngineContext, requestId: number, text: string): Promise<void> {
  const row = getRequest(ctx.db, requestId)
  const key = row?.repo_id && row.issue ? issueKey(row.repo_id, row.issue) : row?.task_id ? ctx.taskKey(row.task_id) : `request:${requestId}`
  return ctx.keyed(key, 'answer', async () => {
    const { db } = ctx
    const request = getRequest(db, requestId)
    if (!request) throw new Error(`no inbox item ${requestId}`)
    if (request.answered_at) return
    if (request.repo_id && request.issue) {
      const who = ctx.o.github.login() ?? 'a maintainer'
      await ctx.o.github.comment(ctx.repo(request.repo_id), request.issue, `**Answer from @${who}** · via Baton\n\n${text}\n\n${answerMarker(request.id, request.task_id)}`, answerMarker(request.id, request.task_id))
    }
    answerRequest(db, requestId, text, ctx.now().toISOString())
    const task = request.task_id ? getTask(db, request.task_id) : undefined
    if (task && (task.state === 'waiting' || task.state === 'failed')) {
      // A person's answer to a failure is a fresh start: the stage gets a whole budget again.
      if (task.state === 'failed') resetBudget(db, task.repo_id, task.issue, task.stage)
      requeueAnswered(db, task.id, ctx.now().toISOString())
    }
    audit(db, { kind: 'inbox.answer', repoId: request.repo_id, issue: request.issue, taskId: request.task_id, message: 'A person answered' })
    ctx.o.events.changed('inbox', 'tasks', 'issues')
    void ctx.tick()
  })
}
