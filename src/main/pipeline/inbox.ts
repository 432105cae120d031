// A person is needed: an agent's REQUEST, or a failure the engine cannot get
// past alone. One open item per task and question; a notification each time.
import { openRequest, type InboxKind } from '../store/inbox'
import type { TaskRow } from '../store/tasks'
import type { EngineContext } from './engine-context'

export function toInbox(ctx: EngineContext, task: TaskRow, kind: InboxKind, question: string): void {
  openRequest(ctx.db, { kind, repoId: task.repo_id, issue: task.issue, taskId: task.id, agent: task.agent, question, at: ctx.now().toISOString() })
  ctx.o.events.emit({
    type: 'notify',
    kind,
    title: kind === 'request' ? `${task.agent ?? 'An agent'} asks about #${task.issue}` : `#${task.issue} needs you`,
    body: question,
    repoId: task.repo_id,
    issue: task.issue
  })
  ctx.o.events.changed('inbox')
}
