// The lint reviewer's builtin behaviour (issue #15): runs the repository's own
// linters and type checkers (checkers.ts) on the files the PR changes, in the
// worktree at the PR's head, and answers each problem on a line the PR adds
// as a finding on that line. A file that does not parse or compile is a
// finding wherever the error is: the change broke the whole file. Problems on
// lines the PR did not touch are counted, not reported: they are not its own.
import { spawnSync } from 'node:child_process'
import { colourlessEnv, reply, run, tail } from '../../src/main/agents/builtin-kit'
import type { Provider } from '../../src/main/agents/providers/types'
import { stripAnsi } from '../../src/shared/ansi'
import { changesAgainstBase } from '../../src/main/review/diff'
import { boundFindings, formatFindings, type Finding } from '../../src/main/review/findings'
import { planCheckers } from './checkers'

export const reviewerLint: Provider = async (ctx) => {
  if (!ctx.trigger.workspace) return reply(ctx, { status: 'error', statusText: 'No worktree was prepared for this review' })
  const env = colourlessEnv({ ...ctx.env, ELECTRON_RUN_AS_NODE: '1' })
  const changes = await changesAgainstBase(ctx.cwd, ctx.trigger.repo.defaultBranch, ctx.env)
  const present = changes.files.filter((f) => !f.deleted && !f.binary)
  const addedAt = new Map(present.map((f) => [f.path, new Set(f.added.map((a) => a.line))]))
  const plan = planCheckers(
    ctx.cwd,
    present.map((f) => f.path),
    {
      // The runner's own binary is Node (or Electron as Node): the same one the flag check asks.
      node: process.execPath,
      esmFlag: process.allowedNodeEnvironmentFlags.has('--experimental-default-type'),
      available: (command, args) => spawnSync(command, args, { cwd: ctx.cwd, env, stdio: 'ignore', timeout: 20_000 }).status === 0
    }
  )
  const deadline = Date.parse(ctx.trigger.deadline)
  const findings: Finding[] = []
  const ran: string[] = []
  const notRun = [...plan.notRun]
  let elsewhere = 0
  for (const checker of plan.checkers) {
    if (ctx.signal.aborted) break
    const timeoutMs = Number.isFinite(deadline) ? Math.max(1000, deadline - Date.now() - 2000) : ctx.settings.timeLimitSec * 1000
    ctx.progress(`${checker.name}: ${checker.files.length === 1 ? checker.files[0] : `${checker.files.length} files`}`)
    const result = await run(checker.command, checker.args, { cwd: ctx.cwd, env, signal: ctx.signal, timeoutMs })
    const parsed = result.error ? null : checker.parse({ stdout: stripAnsi(result.stdout), stderr: stripAnsi(result.stderr), code: result.code }, ctx.cwd)
    if (parsed === null) {
      notRun.push(`${checker.name} (${result.error ? result.error.message : `exited ${result.code ?? result.signal} with output it does not read as findings: ${tail(stripAnsi(result.output), 3, 300)}`})`)
      continue
    }
    if (!ran.includes(checker.name)) ran.push(checker.name)
    for (const f of parsed) {
      const lines = addedAt.get(f.file)
      if (!lines) continue
      // A syntax or compile error anywhere in a changed file is the change's; anything else only on a line it adds.
      if (f.severity === 'critical' || lines.has(f.line)) findings.push(f)
      else elsewhere++
    }
  }
  const bounded = boundFindings(findings)
  const said = [
    `## Lint review`,
    '',
    `${present.length} changed files against ${changes.base.slice(0, 7)}. Ran: ${ran.length ? ran.join(', ') : 'nothing (no file a checker reads)'}.`,
    ...(notRun.length ? ['', `Not run: ${notRun.join('; ')}.`] : []),
    ...(elsewhere ? ['', `${elsewhere} more problems on lines this PR does not change (not listed).`] : []),
    '',
    formatFindings(bounded)
  ]
  return reply(ctx, {
    status: 'done',
    statusText: `Lint review: ${bounded.length} findings (${ran.join(', ') || 'no checker ran'})`,
    body: said.join('\n') + '\n'
  })
}
