// The Architect's builtin behaviour: read the worktree (default branch) and
// plan from code, not words. Affected files are the ones a patch in the issue
// touches, the ones the issue names by path, and the files that define or
// import the names the issue mentions as code (code-names.ts, code-index.ts);
// a file that only shares a word with the issue is not one. The risks give the
// change's real size: the patch's lines and files, or where the names are
// defined and who imports them. The test plan goes under "## Test plan",
// which main copies into the PR body.
import { readFileSync, statSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { git, reply } from '../../src/main/agents/builtin-kit'
import type { Provider } from '../../src/main/agents/providers/types'
import { findPatch, type PatchPart } from '../engineer/patch'
import { describeCommand, detectTestCommand } from '../tester/detect'
import { findSites, type Site } from './code-index'
import { codeNames, mentionedPaths } from './code-names'
import { patchSize, type FileChange } from './patch-size'

const TEXT_EXT = /\.(js|mjs|cjs|ts|mts|cts|tsx|jsx|json|md|py|pyi|pyw|go|rs|rb|java|kt|c|h|cc|cpp|hpp|cs|php|swift|scala|sh|ya?ml|toml|css|scss|html|svelte|vue|sql|txt)$/i
const isTest = (path: string) => /(^|\/)(tests?|__tests__|spec)\/|[._-](test|spec)\.[a-z]+$|(^|\/)test_[^/]+\.py$/i.test(path)
const MAX_AFFECTED = 8

export interface AffectedFile {
  path: string
  why: string
  /** Not in the tree yet: the patch adds it. */
  isNew: boolean
}

export interface FilePlan {
  affected: AffectedFile[]
  /** Test files that define or import the names, or are named after an affected file. */
  tests: string[]
  names: string[]
  sites: Site[]
  changes: FileChange[]
}

const list = (items: string[], max = 3) => items.slice(0, max).map((i) => `\`${i}\``).join(', ') + (items.length > max ? ` and ${items.length - max} more` : '')
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** What the issue's patch, paths and code names point at in the tree. */
export function planFiles(files: string[], read: (path: string) => string | null, text: string, parts: PatchPart[]): FilePlan {
  const inTree = new Set(files)
  const changes = patchSize(parts, (p) => (inTree.has(p) ? read(p) : null))
  const names = codeNames(text)
  const sites = findSites(files.filter((f) => TEXT_EXT.test(f)), read, names)
  const affected = new Map<string, AffectedFile>()
  const add = (path: string, why: string) => {
    if (!affected.has(path)) affected.set(path, { path, why, isNew: !inTree.has(path) })
  }
  for (const c of changes) add(c.path, `changed by the patch in the issue (+${c.added} −${c.removed})`)
  // A path the issue names: exactly, or by a file name only one file has.
  const byName = new Map<string, string[]>()
  for (const f of files) byName.set(basename(f), [...(byName.get(basename(f)) ?? []), f])
  for (const p of mentionedPaths(text)) {
    const hit = inTree.has(p) ? p : byName.get(p)?.length === 1 ? (byName.get(p) as string[])[0] : undefined
    if (hit) add(hit, 'named in the issue')
  }
  const namesAt = (path: string, kind: Site['kind']) => sites.filter((s) => s.path === path && s.kind === kind)
  const describe = (path: string, kind: Site['kind']) =>
    `${kind} ${namesAt(path, kind).map((s) => `\`${s.name}\``).join(', ')} (line ${namesAt(path, kind).map((s) => s.line).join(', ')})`
  for (const s of sites) if (s.kind === 'defines' && !isTest(s.path)) add(s.path, describe(s.path, 'defines'))
  for (const s of sites) if (s.kind === 'imports' && !isTest(s.path)) add(s.path, describe(s.path, 'imports'))
  const chosen = [...affected.values()].slice(0, MAX_AFFECTED)
  const stems = chosen.map((a) => basename(a.path).replace(extname(a.path), '').toLowerCase()).filter((s) => s.length > 1)
  const tests = [
    ...new Set([
      ...sites.filter((s) => isTest(s.path)).map((s) => s.path),
      ...files.filter((f) => isTest(f) && stems.some((s) => basename(f).toLowerCase().replace(/^test_/, '').startsWith(s)))
    ])
  ].filter((t) => !chosen.some((a) => a.path === t))
  return { affected: chosen, tests, names, sites, changes }
}

/** The change's real size, in words. */
export function risks(plan: FilePlan): string[] {
  const out: string[] = []
  if (plan.changes.length) {
    const added = plan.changes.reduce((n, c) => n + c.added, 0)
    const removed = plan.changes.reduce((n, c) => n + c.removed, 0)
    const fresh = plan.changes.filter((c) => c.isNew).length
    out.push(
      `The patch changes ${plural(added + removed, 'line')} (+${added} −${removed}) in ${plural(plan.changes.length, 'file')}${fresh ? `, ${fresh} of them new` : ''}: ${list(plan.changes.map((c) => c.path), 5)}.` +
        (plan.changes.length > 3 ? ' Review them together.' : '')
    )
  }
  const patched = new Set(plan.changes.map((c) => c.path))
  for (const name of plan.names) {
    const defs = plan.sites.filter((s) => s.name === name && s.kind === 'defines')
    if (!defs.length) continue
    const users = plan.sites.filter((s) => s.name === name && s.kind === 'imports').map((s) => s.path)
    const outside = users.filter((u) => !patched.has(u))
    const where = defs.map((d) => `\`${d.path}\` line ${d.line}`).join(', ')
    out.push(
      `\`${name}\` is defined in ${where}` +
        (users.length
          ? ` and imported by ${plural(users.length, 'file')} (${list(users)})${plan.changes.length && outside.length ? `, ${outside.length} of them outside the patch` : ''}: a change to its behaviour reaches them.`
          : '; nothing else imports it, so the change stays local.')
    )
    if (out.length >= 4) break
  }
  if (!out.length) {
    const missing = plan.names.filter((n) => !plan.sites.some((s) => s.name === n))
    out.push(
      missing.length
        ? `No file defines ${list(missing)}: the change adds new code, or the name is spelled differently in the repository.`
        : 'The issue names no function, class or file: this plan rests on its words alone; ask which code it means if the change is not obvious.'
    )
  }
  if (plan.affected.length > 3 && !plan.changes.length) out.push(`The change spans ${plural(plan.affected.length, 'file')}: review them together.`)
  if (!plan.tests.length && !plan.affected.some((a) => isTest(a.path))) out.push('No test covers these files yet: add one with the change.')
  return out
}

export const architect: Provider = async (ctx) => {
  const { issue, stage, notes } = ctx.trigger
  if (!ctx.trigger.workspace) return reply(ctx, { status: 'error', statusText: 'No worktree was prepared for this task' })
  const files = (await git(ctx.cwd, ['ls-files', '-z'])).stdout.split('\0').filter(Boolean)
  ctx.progress(`reading ${files.length} files`)
  const read = (path: string) => {
    try {
      const full = join(ctx.cwd, path)
      if (statSync(full).size > 200_000) return null
      const text = readFileSync(full, 'utf8')
      return text.includes('\0') ? null : text
    } catch {
      return null
    }
  }
  const patch = findPatch(issue)
  // An untrusted comment is data (DESIGN.md §9): it does not steer the plan.
  const comments = issue.comments.filter((c) => c.trusted !== false && !/<!-- baton:/.test(c.body)).map((c) => c.body)
  const text = `${issue.title}\n${issue.body}\n${comments.join('\n')}`
  const plan = planFiles(files, read, text, patch?.parts ?? [])
  const { affected, tests } = plan
  ctx.progress(`${plural(plan.names.length, 'name')} in the issue, ${plural(plan.sites.length, 'definition or import', 'definitions or imports')} found`)
  const testCmd = detectTestCommand(ctx.cwd, ctx.trigger.data?.testCommand)
  const criteria = notes.filter((n) => n.kind === 'triage').at(-1)?.body.split('\n').filter((l) => /^- \[ \]/.test(l)) ?? []
  const firstSentence = issue.body.replace(/```[\s\S]*?```/g, ' ').split(/(?<=[.!?])\s+|\n\s*\n/)[0]?.trim().slice(0, 200)
  const target = affected.find((a) => !isTest(a.path))?.path ?? affected[0]?.path
  const body = [
    '## Affected files',
    ...(affected.length
      ? affected.map((f) => `- \`${f.path}\` — ${f.why}${f.isNew ? ' (new file)' : ''}`)
      : ['- No file defines or imports what the issue names; the change likely adds new code.']),
    ...(tests.length ? ['', 'Related tests:', ...tests.slice(0, 5).map((t) => `- \`${t}\``)] : []),
    '',
    '## Approach',
    ...(patch ? [`- Apply the patch given in ${patch.source} (${plural(plan.changes.length, 'file')}), then review it against the acceptance criteria.`] : []),
    `- Make the smallest change in ${target ? `\`${target}\`` : 'the code'} that does what the issue asks${firstSentence ? `: ${firstSentence}` : '.'}`,
    '- Keep the public behaviour of the other callers unchanged.',
    '',
    '## Risks',
    ...risks(plan).map((r) => `- ${r}`),
    '',
    '## Test plan',
    testCmd ? `- Run \`${describeCommand(testCmd)}\` (${testCmd.source}).` : '- No test command found in the repository: add one (package.json, pytest, go, cargo or make).',
    ...(tests.length ? [`- Extend ${list(tests)} with a case for this issue.`] : ['- Add a test that fails before the change and passes after it.']),
    ...criteria.map((c) => `- Check: ${c.replace(/^- \[ \]\s*/, '')}`)
  ].join('\n')
  return reply(ctx, {
    status: 'done',
    statusText: `Planned #${issue.number}: ${plural(affected.length, 'affected file')}${testCmd ? `, tests by ${describeCommand(testCmd)}` : ''}`,
    labelUpdate: { from: stage, to: 'ready-for-dev' },
    body
  })
}
