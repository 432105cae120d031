// The tests reviewer's builtin behaviour (issue #15): in the worktree at the
// PR's head, against the merge base, a changed source file that no changed
// test names is a recommendation (on its first added line), and every changed
// test file is run on its own with the repository's runner (tests.ts): a
// failure is critical, on the test file and on the changed source line its
// output points at, with the error. Only the changed tests run: the Tester
// runs the whole suite.
import { colourlessEnv, fence, reply, run, tail } from '../../src/main/agents/builtin-kit'
import type { Provider } from '../../src/main/agents/providers/types'
import { stripAnsi } from '../../src/shared/ansi'
import { changesAgainstBase } from '../../src/main/review/diff'
import { boundFindings, formatFindings, type Finding } from '../../src/main/review/findings'
import { covered, failureMessage, isSource, isTest, placesIn, runFor } from './tests'

/** Changed test files run, at most: a PR that rewrites hundreds of tests is reviewed on these. */
export const MAX_RUNS = 20

export const reviewerTests: Provider = async (ctx) => {
  if (!ctx.trigger.workspace) return reply(ctx, { status: 'error', statusText: 'No worktree was prepared for this review' })
  const env = colourlessEnv({ ...ctx.env, CI: '1', ELECTRON_RUN_AS_NODE: '1' })
  const changes = await changesAgainstBase(ctx.cwd, ctx.trigger.repo.defaultBranch, ctx.env)
  const present = changes.files.filter((f) => !f.deleted && !f.binary)
  const tests = present.filter((f) => isTest(f.path)).map((f) => f.path)
  const sources = present.filter((f) => isSource(f.path) && f.added.length > 0)
  const findings: Finding[] = []
  for (const source of sources) {
    if (covered(source.path, tests)) continue
    findings.push({
      file: source.path,
      line: source.added[0]?.line ?? 0,
      severity: 'recommendation',
      rule: 'tests/missing',
      text: `\`${source.path}\` changed without changed tests: no changed test file names \`${source.path.split('/').pop()}\`. Add or change a test that exercises this change.`
    })
  }
  const changedSource = new Set(sources.map((s) => s.path))
  const report: string[] = []
  const deadline = Date.parse(ctx.trigger.deadline)
  for (const file of tests.slice(0, MAX_RUNS)) {
    if (ctx.signal.aborted) break
    const how = runFor(ctx.cwd, file, process.execPath)
    if (!how) {
      report.push(`- ${file}: no runner for it here (not run)`)
      continue
    }
    ctx.progress(`running ${how.label}`)
    const timeoutMs = Number.isFinite(deadline) ? Math.max(1000, deadline - Date.now() - 2000) : ctx.settings.timeLimitSec * 1000
    const result = await run(how.command, how.args, { cwd: ctx.cwd, env, signal: ctx.signal, timeoutMs })
    const seconds = (result.ms / 1000).toFixed(1)
    if (result.error) {
      report.push(`- ${file}: could not run \`${how.label}\`: ${result.error.message}`)
      continue
    }
    if (result.code === 0) {
      report.push(`- ${file}: passes (\`${how.label}\`, ${seconds} s)`)
      continue
    }
    const output = stripAnsi(result.output)
    const message = failureMessage(output).slice(0, 500)
    const places = placesIn(output, ctx.cwd)
    const inTest = places.find((p) => p.file === file && p.line > 1) ?? places.find((p) => p.file === file)
    findings.push({ file, line: inTest?.line ?? 0, severity: 'critical', rule: 'tests/failing', text: `Changed test \`${file}\` fails (\`${how.label}\`): ${message}` })
    // The changed source the failure points at, once per file: the line to fix.
    // Paths go in backticks: consensus reads a finding's point with quoted names out (a file called token.js is no secret).
    const pointed = new Set<string>()
    for (const p of places) {
      if (!changedSource.has(p.file) || pointed.has(p.file)) continue
      pointed.add(p.file)
      findings.push({ file: p.file, line: p.line, severity: 'critical', rule: 'tests/failing', text: `\`${file}\` fails here: ${message}` })
    }
    report.push(`- ${file}: **fails** (\`${how.label}\`, ${result.signal ? `stopped by ${result.signal}` : `exit ${result.code}`} after ${seconds} s)\n\n${fence(tail(output, 25, 2500), 'text')}`)
  }
  if (tests.length > MAX_RUNS) report.push(`- ${tests.length - MAX_RUNS} more changed test files not run (at most ${MAX_RUNS})`)
  const bounded = boundFindings(findings)
  const failing = bounded.filter((f) => f.severity === 'critical' && tests.includes(f.file)).length
  const body = [
    '## Tests review',
    '',
    `${sources.length} changed source files, ${tests.length} changed test files, against ${changes.base.slice(0, 7)}.`,
    ...(report.length ? ['', ...report] : []),
    '',
    formatFindings(bounded)
  ]
  return reply(ctx, {
    status: 'done',
    statusText: `Tests review: ${failing} of ${Math.min(tests.length, MAX_RUNS)} changed tests fail, ${bounded.filter((f) => f.rule === 'tests/missing').length} changes without tests`,
    body: body.join('\n') + '\n'
  })
}
