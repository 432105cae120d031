// The names an issue mentions, as code: identifiers in backticks (`divide`,
// `calc.divide(1, 0)`, `capitalize('')`) and code-like words in prose
// (snake_case, camelCase, `name()` calls). Plain words are not names: the
// Architect once matched "mor" to `more.pyi` and "uses list" to
// `docs/conf.py` by sharing words with them.

// Words a code span holds that name the language or the console, not the project.
const NOISE = new Set(
  'if else for while return function def class const let var new this self true false null none undefined nan import from require export default async await print console log then catch node python npm npx pip error exception typeerror rangeerror valueerror zerodivisionerror keyerror indexerror'.split(' ')
)

const IDENT = /^[A-Za-z_$][\w$]*$/

function keep(name: string, into: Set<string>): void {
  if (name.length < 2 || !IDENT.test(name) || NOISE.has(name.toLowerCase())) return
  into.add(name)
}

const withoutFences = (text: string) => text.replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, ' ')

/** Code spans of a Markdown text (fenced blocks excluded: a patch is read on its own). */
function codeSpans(text: string): string[] {
  return [...withoutFences(text).matchAll(/`([^`\n]{1,120})`/g)].map((m) => (m[1] as string).trim())
}

/** A path-like word (`src/calc.js`, `more.pyi`) is a file, not a name. */
const isPathLike = (word: string) => /\//.test(word) || /\.(?:[a-z]{1,5})$/.test(word) && !/\(/.test(word)

/** The identifiers the issue mentions as code, in the order first seen. */
export function codeNames(text: string): string[] {
  const names = new Set<string>()
  for (const span of codeSpans(text)) {
    // `a.b.c(…)` or `name` or `name(args)`: the chain's last segment is what is defined.
    const chain = /^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*(\(.*)?$/.exec(span)
    if (chain && !(isPathLike(chain[1] as string) && !chain[2])) {
      const parts = (chain[1] as string).split('.')
      keep(parts.at(-1) as string, names)
      continue
    }
    // Anything else (a command, an expression): the functions it calls.
    for (const m of span.matchAll(/([A-Za-z_$][\w$]*)\s*\(/g)) keep(m[1] as string, names)
  }
  const prose = withoutFences(text).replace(/`[^`\n]*`/g, ' ')
  for (const m of prose.matchAll(/(?<![\w$./-])([A-Za-z_$][\w$]*)(\(\))?(?![\w$/-]|\.\w)/g)) {
    const word = m[1] as string
    const codeLike = m[2] !== undefined || /[a-z0-9]_[a-z0-9]/i.test(word) || /^_/.test(word) || /[a-z][A-Z]/.test(word)
    if (codeLike) keep(word, names)
  }
  return [...names]
}

/** File paths the issue names (`src/calc.js`, `more.pyi`), without a leading `./`. */
export function mentionedPaths(text: string): Set<string> {
  return new Set((text.match(/[A-Za-z0-9_./-]+\.[A-Za-z0-9]{1,6}\b/g) ?? []).map((p) => p.replace(/^\.\//, '')))
}
