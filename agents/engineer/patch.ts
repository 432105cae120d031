// Finding a patch in an issue: a fenced ```diff (or ```patch) block, or file
// blocks whose info string is a path (```src/calc.js … ```): the whole new
// content of that file.
import { fencedBlocks } from '../../src/main/agents/builtin-kit'

export type PatchPart = { kind: 'diff'; text: string } | { kind: 'file'; path: string; content: string }

export interface FoundPatch {
  /** Where it was found: "a person's answer", "comment 2 by @ann", "the issue body". */
  source: string
  parts: PatchPart[]
}

// Info strings that name a language, not a file.
const LANGUAGES = new Set(
  'js javascript ts typescript jsx tsx json yaml yml toml sh bash shell zsh console text txt md markdown python py go rust rs c cpp h java kotlin ruby rb php html css scss sql diff patch xml ini env dockerfile makefile'.split(' ')
)

export function isPathInfo(info: string): boolean {
  if (!info || LANGUAGES.has(info)) return false
  if (!/^[A-Za-z0-9_./-]+$/.test(info) || info.startsWith('/') || info.split('/').includes('..')) return false
  return info.includes('/') || /\.[A-Za-z0-9]{1,8}$/.test(info) || /^(Makefile|Dockerfile|LICENSE)$/.test(info)
}

export function patchParts(markdown: string): PatchPart[] {
  const parts: PatchPart[] = []
  for (const block of fencedBlocks(markdown)) {
    const info = block.info.toLowerCase()
    if (info === 'diff' || info === 'patch' || (info === '' && /^(diff --git |--- \S)/m.test(block.content) && /^\+\+\+ /m.test(block.content))) {
      parts.push({ kind: 'diff', text: block.content })
    } else if (isPathInfo(block.info)) {
      parts.push({ kind: 'file', path: block.info.replace(/^\.\//, ''), content: block.content })
    }
  }
  return parts
}

/**
 * The newest patch given for the issue: a person's answer, then trusted
 * comments newest first, then the body (the issue itself was trusted or
 * approved before any agent saw it). A comment by someone the trust policy
 * does not trust is never a patch (DESIGN.md §9), nor is Baton's own comment
 * (an agent's output, which may quote anyone).
 */
export function findPatch(issue: { body: string; comments: Array<{ author: string; body: string; trusted?: boolean }> }, answer?: string): FoundPatch | null {
  const sources: Array<{ source: string; text: string }> = []
  if (answer) sources.push({ source: "a person's answer", text: answer })
  for (let i = issue.comments.length - 1; i >= 0; i--) {
    const c = issue.comments[i] as { author: string; body: string; trusted?: boolean }
    if (c.trusted !== true || /<!-- baton:/.test(c.body)) continue
    sources.push({ source: `comment ${i + 1} by @${c.author}`, text: c.body })
  }
  sources.push({ source: 'the issue body', text: issue.body })
  for (const s of sources) {
    const parts = patchParts(s.text)
    if (parts.length) return { source: s.source, parts }
  }
  return null
}
