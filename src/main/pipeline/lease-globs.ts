// Paths and globs of file leases (issue #14), pure. A pattern is a path
// relative to the repository's root, with `*` (within a segment), `?`, `[…]`,
// `{a,b}` and `**` (any number of segments). Two patterns overlap when some
// path could match both: exact for a path against a glob; for two globs the
// answer errs towards "overlap" (a lease is a promise not to collide, so a
// false overlap only makes one task wait, a missed one would let two edit a
// file at once).

/** Why a pattern cannot be leased, or null when it can. */
export function patternProblem(pattern: string): string | null {
  if (!pattern.trim()) return 'a path is needed'
  if (pattern.length > 500) return `"${pattern.slice(0, 40)}…" is longer than 500 characters`
  if (/[\0\\]/.test(pattern)) return `"${pattern}" holds a backslash or a NUL: use / between folders`
  if (pattern.startsWith('/')) return `"${pattern}" is absolute: give a path inside the repository (e.g. src/calc.js)`
  if (pattern.split('/').some((s) => s === '..' || s === '.')) return `"${pattern}" has a . or .. segment: give a path from the repository's root`
  if (pattern.split('/').some((s) => s === '')) return `"${pattern}" has an empty segment (// or a trailing /): for a folder, lease folder/**`
  return null
}

const GLOB = /[*?[{]/

/** `{a,b}` expanded (nested braces too), so each alternative is matched on its own. */
function expand(pattern: string): string[] {
  const open = pattern.indexOf('{')
  if (open < 0) return [pattern]
  let depth = 0
  for (let i = open; i < pattern.length; i++) {
    if (pattern[i] === '{') depth++
    else if (pattern[i] === '}' && --depth === 0) {
      const inner = pattern.slice(open + 1, i)
      const parts: string[] = []
      let level = 0
      let start = 0
      for (let j = 0; j < inner.length; j++) {
        if (inner[j] === '{') level++
        else if (inner[j] === '}') level--
        else if (inner[j] === ',' && level === 0) {
          parts.push(inner.slice(start, j))
          start = j + 1
        }
      }
      parts.push(inner.slice(start))
      return parts.flatMap((p) => expand(pattern.slice(0, open) + p + pattern.slice(i + 1)))
    }
  }
  return [pattern] // an unclosed brace is a literal
}

function segmentRegex(segment: string): RegExp {
  let out = ''
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string
    if (c === '*') out += '[^/]*'
    else if (c === '?') out += '[^/]'
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2)
      if (end < 0) out += '\\['
      else {
        const body = segment.slice(i + 1, end)
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body.replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else out += c.replace(/[.+^$()|\\\]{}]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}

function matchSegments(p: readonly string[], s: readonly string[]): boolean {
  if (!p.length) return !s.length
  const [head, ...rest] = p as [string, ...string[]]
  if (head === '**') return matchSegments(rest, s) || (s.length > 0 && matchSegments(p, s.slice(1)))
  if (!s.length) return false
  return segmentRegex(head).test(s[0] as string) && matchSegments(rest, s.slice(1))
}

/** Whether a path (no glob) matches the pattern. */
export function globMatches(pattern: string, path: string): boolean {
  const segments = path.split('/')
  return expand(pattern).some((p) => matchSegments(p.split('/'), segments))
}

/** The literal text before the first and after the last wildcard of a segment. */
function ends(segment: string): { prefix: string; suffix: string } {
  const first = segment.search(/[*?[]/)
  let last = -1
  for (let i = segment.length - 1; i >= 0; i--) {
    if ('*?]'.includes(segment[i] as string)) {
      last = i
      break
    }
  }
  return { prefix: segment.slice(0, first), suffix: segment.slice(last + 1) }
}

function segmentsMayMeet(a: string, b: string): boolean {
  const aGlob = GLOB.test(a)
  const bGlob = GLOB.test(b)
  if (!aGlob && !bGlob) return a === b
  if (!aGlob) return segmentRegex(b).test(a)
  if (!bGlob) return segmentRegex(a).test(b)
  // Two wildcards: they may meet unless their literal ends disagree.
  const x = ends(a)
  const y = ends(b)
  const prefixes = x.prefix.startsWith(y.prefix) || y.prefix.startsWith(x.prefix)
  const suffixes = x.suffix.endsWith(y.suffix) || y.suffix.endsWith(x.suffix)
  return prefixes && suffixes
}

function overlapSegments(a: readonly string[], b: readonly string[]): boolean {
  if (!a.length && !b.length) return true
  if (a[0] === '**') return overlapSegments(a.slice(1), b) || (b.length > 0 && overlapSegments(a, b.slice(1)))
  if (b[0] === '**') return overlapSegments(a, b.slice(1)) || (a.length > 0 && overlapSegments(a.slice(1), b))
  if (!a.length || !b.length) return false
  return segmentsMayMeet(a[0] as string, b[0] as string) && overlapSegments(a.slice(1), b.slice(1))
}

/** Whether some path could match both patterns (paths or globs). */
export function patternsOverlap(a: string, b: string): boolean {
  return expand(a).some((x) => expand(b).some((y) => overlapSegments(x.split('/'), y.split('/'))))
}

/** The first of `files` (paths or patterns) one of `patterns` overlaps, with that pattern, or null. */
export function firstOverlap(patterns: readonly string[], files: readonly string[]): { pattern: string; file: string } | null {
  for (const file of files) for (const pattern of patterns) if (patternsOverlap(pattern, file)) return { pattern, file }
  return null
}
