// The Architect's builtin behaviour: read the worktree (default branch),
// match the issue's words and paths against the files and their contents,
// and write the affected files, the approach, the risks and a test plan
// (under "## Test plan", which main copies into the PR body).
import { readFileSync, statSync } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import { git, reply, stem, words } from '../../src/main/agents/builtin-kit'
import type { Provider } from '../../src/main/agents/providers/types'
import { findPatch } from '../engineer/patch'
import { describeCommand, detectTestCommand } from '../tester/detect'

const TEXT_EXT = /\.(js|mjs|cjs|ts|tsx|jsx|json|md|py|go|rs|rb|java|kt|c|h|cc|cpp|hpp|cs|php|swift|scala|sh|ya?ml|toml|css|scss|html|svelte|vue|sql|txt)$/i
const isTest = (path: string) => /(^|\/)(tests?|__tests__|spec)\/|[._-](test|spec)\.[a-z]+$|(^|\/)test_[^/]+\.py$/i.test(path)

export interface ScoredFile {
  path: string
  score: number
  why: string[]
}

/** Files of the tree ranked by how strongly the issue points at them. */
export function rankFiles(files: string[], read: (path: string) => string | null, text: string): ScoredFile[] {
  const mentioned = new Set((text.match(/[A-Za-z0-9_./-]+\.[A-Za-z0-9]{1,6}\b/g) ?? []).map((p) => p.replace(/^\.\//, '')))
  const idents = new Set((text.match(/`([^`\n]{2,60})`/g) ?? []).map((m) => m.slice(1, -1).replace(/\(.*$/, '').trim()).filter((m) => /^[A-Za-z_$][\w$.]*$/.test(m)))
  const terms = [...new Set(words(text).map(stem))].filter((t) => t.length > 2)
  const scored: ScoredFile[] = []
  for (const path of files) {
    const why: string[] = []
    let score = 0
    const name = basename(path)
    const base = stem(name.replace(extname(name), '').toLowerCase())
    if (mentioned.has(path) || mentioned.has(name)) {
      score += 10
      why.push('named in the issue')
    }
    if (base.length > 2 && terms.includes(base)) {
      score += 4
      why.push(`its name matches "${base}"`)
    }
    const dirs = dirname(path).toLowerCase().split('/')
    if (dirs.some((d) => terms.includes(stem(d)))) score += 1
    if (TEXT_EXT.test(path)) {
      const content = read(path)
      if (content !== null) {
        const lower = content.toLowerCase()
        const hits = terms.filter((t) => lower.includes(t))
        const identHits = [...idents].filter((i) => content.includes(i))
        score += Math.min(hits.length, 8) * 0.5 + identHits.length * 3
        if (identHits.length) why.push(`defines or uses ${identHits.map((i) => `\`${i}\``).join(', ')}`)
        else if (hits.length >= 2) why.push(`mentions ${hits.slice(0, 4).join(', ')}`)
      }
    }
    if (score >= 1.5) scored.push({ path, score, why })
  }
  return scored.sort((a, b) => b.score - a.score || a.path.localeCompare(b.path))
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
      return readFileSync(full, 'utf8')
    } catch {
      return null
    }
  }
  const patch = findPatch(issue)
  const patchFiles = new Set<string>()
  for (const part of patch?.parts ?? []) {
    if (part.kind === 'file') patchFiles.add(part.path)
    else for (const m of part.text.matchAll(/^\+\+\+ (?:b\/)?(\S+)/gm)) if (m[1] !== '/dev/null') patchFiles.add(m[1] as string)
  }
  const text = `${issue.title}\n${issue.body}\n${issue.comments.map((c) => c.body).join('\n')}\n${[...patchFiles].join('\n')}`
  const ranked = rankFiles(files, read, text)
  const source = ranked.filter((f) => !isTest(f.path))
  const affected = [...new Set([...patchFiles, ...source.slice(0, 5).map((f) => f.path)])].slice(0, 8)
  const tests = files.filter((f) => isTest(f) && affected.some((a) => basename(f).toLowerCase().includes(basename(a).replace(extname(a), '').toLowerCase())))
  const testCmd = detectTestCommand(ctx.cwd, ctx.trigger.data?.testCommand)
  const criteria = notes.filter((n) => n.kind === 'triage').at(-1)?.body.split('\n').filter((l) => /^- \[ \]/.test(l)) ?? []
  const why = (path: string) => {
    if (patchFiles.has(path)) return 'changed by the patch in the issue'
    return ranked.find((r) => r.path === path)?.why.join('; ') || 'matches the issue'
  }
  const firstSentence = issue.body.replace(/```[\s\S]*?```/g, ' ').split(/(?<=[.!?])\s+|\n\s*\n/)[0]?.trim().slice(0, 200)
  const body = [
    '## Affected files',
    ...(affected.length ? affected.map((f) => `- \`${f}\` — ${why(f)}${files.includes(f) ? '' : ' (new file)'}`) : ['- No existing file matches the issue; the change likely adds new code.']),
    ...(tests.length ? ['', 'Related tests:', ...tests.slice(0, 5).map((t) => `- \`${t}\``)] : []),
    '',
    '## Approach',
    ...(patch ? [`- Apply the patch given in ${patch.source} (${patchFiles.size} file(s)), then review it against the acceptance criteria.`] : []),
    `- Make the smallest change in ${affected[0] ? `\`${affected[0]}\`` : 'the code'} that does what the issue asks${firstSentence ? `: ${firstSentence}` : '.'}`,
    '- Keep the public behaviour of the other callers unchanged.',
    '',
    '## Risks',
    `- ${affected.length > 3 ? `The change spans ${affected.length} files: review them together.` : 'Small, local change; callers of the changed functions may rely on the old behaviour.'}`,
    ...(tests.length ? [] : ['- No test covers these files yet: add one with the change.']),
    '',
    '## Test plan',
    testCmd ? `- Run \`${describeCommand(testCmd)}\` (${testCmd.source}).` : '- No test command found in the repository: add one (package.json, pytest, go, cargo or make).',
    ...(tests.length ? [`- Extend ${tests.slice(0, 3).map((t) => `\`${t}\``).join(', ')} with a case for this issue.`] : ['- Add a test that fails before the change and passes after it.']),
    ...criteria.map((c) => `- Check: ${c.replace(/^- \[ \]\s*/, '')}`)
  ].join('\n')
  return reply(ctx, {
    status: 'done',
    statusText: `Planned #${issue.number}: ${affected.length} affected file(s)${testCmd ? `, tests by ${describeCommand(testCmd)}` : ''}`,
    labelUpdate: { from: stage, to: 'ready-for-dev' },
    body
  })
}
