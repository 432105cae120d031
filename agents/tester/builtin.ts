// The Tester's builtin behaviour: run the repository's own tests in the
// task's worktree (the branch as pushed) and report pass or fail, with the
// tail of the failing output. The worktree is only read and run, never changed.
// Tools run without colour, and any escape codes left are stripped from the
// report: on GitHub they are noise.
import { colourlessEnv, fence, reply, run, tail } from '../../src/main/agents/builtin-kit'
import type { Provider } from '../../src/main/agents/providers/types'
import { stripAnsi } from '../../src/shared/ansi'
import { describeCommand, detectTestCommand, installCommand } from './detect'

export const tester: Provider = async (ctx) => {
  const { stage, data, workspace } = ctx.trigger
  if (!workspace) return reply(ctx, { status: 'error', statusText: 'No worktree was prepared for this test task' })
  const cmd = detectTestCommand(ctx.cwd, data?.testCommand)
  if (!cmd) {
    return reply(ctx, {
      status: 'request',
      statusText: 'This repository has no test command I can find (package.json test script, pytest, go, cargo or make test): how should it be tested?',
      body: 'Configure a test command for the repository, or answer with the command to run.'
    })
  }
  ctx.progress(`running ${describeCommand(cmd)} (${cmd.source})`)
  const deadline = Date.parse(ctx.trigger.deadline)
  const timeoutMs = Number.isFinite(deadline) ? Math.max(1000, deadline - Date.now() - 2000) : ctx.settings.timeLimitSec * 1000
  const env = colourlessEnv({ ...ctx.env, CI: '1' })
  const install = installCommand(ctx.cwd, cmd)
  if (install) {
    // A missing dependency would read as a failing change and send the issue back.
    ctx.progress(`installing dependencies: ${describeCommand(install)}`)
    const installed = await run(install.command, install.args, { cwd: ctx.cwd, env, signal: ctx.signal, timeoutMs })
    if (installed.error || installed.code !== 0) {
      return reply(ctx, {
        status: 'error',
        statusText: `Could not install the dependencies (${describeCommand(install)}): ${installed.error?.message ?? `exit ${installed.code ?? installed.signal}`}`,
        body: fence(tail(stripAnsi(installed.output), 30, 3000), 'text')
      })
    }
  }
  const result = await run(cmd.command, cmd.args, { cwd: ctx.cwd, env, signal: ctx.signal, timeoutMs })
  if (result.error) {
    return reply(ctx, { status: 'error', statusText: `Could not run ${describeCommand(cmd)}: ${result.error.message}` })
  }
  const seconds = (result.ms / 1000).toFixed(1)
  if (result.code === 0) {
    return reply(ctx, {
      status: 'done',
      statusText: `Tests pass: ${describeCommand(cmd)} (${seconds} s)`,
      labelUpdate: { from: stage, to: data?.moves?.pass ?? 'needs-review' },
      body: `## Test report\n\n\`${describeCommand(cmd)}\` passed in ${seconds} s (${cmd.source}).\n\n${fence(tail(stripAnsi(result.output), 15, 1500), 'text')}`
    })
  }
  const how = result.signal ? `was stopped (${result.signal}) after ${seconds} s` : `exited with code ${result.code} after ${seconds} s`
  return reply(ctx, {
    status: 'done',
    statusText: `Tests fail: ${describeCommand(cmd)} ${how}`,
    labelUpdate: { from: stage, to: data?.moves?.fail ?? 'ready-for-dev' },
    body: `## Test report\n\n\`${describeCommand(cmd)}\` ${how} (${cmd.source}). The tail of its output:\n\n${fence(tail(stripAnsi(result.output), 60, 6000), 'text')}`
  })
}
