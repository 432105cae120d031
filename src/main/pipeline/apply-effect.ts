// One checked effect of an answer, applied (effects.ts decided it). Every one
// is safe to repeat: a comment is found by its marker, a note by its body, a
// label change is computed against the labels the issue has, a PR by its branch.
import { audit } from '../store/audit'
import { addNote, addNoteOnce } from '../store/notes'
import { setIssueLabels } from '../store/pipeline-issues'
import { createTask, type TaskRow } from '../store/tasks'
import type { Effect } from './effects'
import { baseRole, type EngineContext } from './engine-context'
import { toInbox } from './inbox'
import { notifyIfReady } from '../notify/ready'
import type { AgentResult, RepoRef } from './ports'

export async function applyEffect(ctx: EngineContext, effect: Effect, task: TaskRow, repo: RepoRef, result: AgentResult): Promise<void> {
  const { db } = ctx
  switch (effect.kind) {
    case 'comment':
      await ctx.effect(task.id, 'github', () => ctx.o.github.comment(repo, task.issue, effect.body, effect.marker))
      return
    case 'note':
      addNoteOnce(db, { repoId: repo.id, issue: task.issue, role: baseRole(task.role), kind: effect.noteKind, body: effect.body, at: ctx.now().toISOString() })
      return
    case 'labels': {
      const after = await ctx.effect(task.id, 'github', () => ctx.o.github.setLabels(repo, task.issue, effect.add, effect.remove))
      setIssueLabels(db, repo.id, task.issue, after)
      const pipeline = ctx.o.pipeline(repo.id)
      const to = effect.add.find((l) => pipeline.stages.some((s) => s.label === l))
      const from = effect.remove.find((l) => pipeline.stages.some((s) => s.label === l))
      if (to && from) {
        audit(db, { kind: 'stage.move', repoId: repo.id, issue: task.issue, taskId: task.id, subject: result.agent, message: `${from} → ${to}`, data: { from, to } })
        notifyIfReady({ db, events: ctx.o.events, pipeline }, repo.id, task.issue, to)
        const toIndex = pipeline.stages.findIndex((s) => s.label === to)
        const toStage = pipeline.stages[toIndex]
        // A loop is a move back to the Engineer, not the Architect's hand-over.
        if (toStage?.owner === 'engineer' && toIndex < pipeline.stages.findIndex((s) => s.label === from)) {
          audit(db, { kind: 'stage.loop', repoId: repo.id, issue: task.issue, taskId: task.id, message: `#${task.issue} back to the Engineer` })
        }
      }
      return
    }
    case 'push':
      await ctx.effect(task.id, 'git', () => ctx.o.workspace.push(repo, task.id, effect.branch))
      return
    case 'pull-request': {
      const number = await ctx.effect(task.id, 'github', () => ctx.o.github.ensurePullRequest(repo, effect.branch, effect.title, effect.body))
      audit(db, { kind: 'pr.open', repoId: repo.id, issue: task.issue, taskId: task.id, message: `PR #${number} for #${task.issue}` })
      return
    }
    case 'handoff': {
      addNote(db, { repoId: repo.id, issue: task.issue, role: baseRole(task.role), kind: 'handoff', body: `${effect.role}\n${effect.text}`, at: ctx.now().toISOString() })
      const agent = ctx.o.pool.idle().get(effect.role)?.[0] ?? effect.role
      createTask(db, { repoId: repo.id, issue: task.issue, stage: 'handoff', role: effect.role, agent })
      return
    }
    case 'request':
      toInbox(ctx, task, 'request', effect.question)
      return
    case 'failure':
      toInbox(ctx, task, 'failure', effect.message)
      return
  }
}
