// Where names are defined and imported, from the files themselves: a
// definition is `function name`, `def name`, `class name`, `export … name`,
// `fn`/`func name`, or `name =` at the start of a line; an import is an
// `import … name … from`, `from m import name`, `{ name } = require(…)`,
// `import m.name` or `use …::name`. Text that merely contains the word (a
// comment, a docs page) is neither.

export interface Site {
  path: string
  name: string
  kind: 'defines' | 'imports'
  /** 1-based line of the first such site in the file. */
  line: number
}

const esc = (s: string) => s.replace(/[$()*+.?[\\\]^{|}]/g, '\\$&')

function definitionPatterns(name: string): RegExp[] {
  const n = esc(name)
  const b = `(?![\\w$])`
  return [
    new RegExp(`^[ \\t]*(?:export[ \\t]+)?(?:default[ \\t]+)?(?:async[ \\t]+)?function\\*?[ \\t]*${n}${b}`, 'm'),
    new RegExp(`^[ \\t]*(?:async[ \\t]+)?def[ \\t]+${n}${b}`, 'm'),
    new RegExp(`^[ \\t]*(?:export[ \\t]+)?(?:default[ \\t]+)?(?:abstract[ \\t]+)?(?:public[ \\t]+)?class[ \\t]+${n}${b}`, 'm'),
    new RegExp(`^[ \\t]*export[ \\t]+(?:declare[ \\t]+)?(?:const|let|var|type|interface|enum|namespace)[ \\t]+${n}${b}`, 'm'),
    new RegExp(`^[ \\t]*(?:const|let|var)[ \\t]+${n}[ \\t]*[=:]`, 'm'),
    new RegExp(`^(?:pub(?:\\([^)]*\\))?[ \\t]+)?(?:async[ \\t]+)?fn[ \\t]+${n}${b}`, 'm'),
    new RegExp(`^func[ \\t]+(?:\\([^)]*\\)[ \\t]*)?${n}${b}`, 'm'),
    // A module-level (or class-level) assignment: `name = …`, `name: int = …`, not `name == …`.
    new RegExp(`^[ \\t]*${n}[ \\t]*(?::[^=\\n]+)?=(?!=)`, 'm'),
    // A method: `name(args) {` in a class body.
    new RegExp(`^[ \\t]+(?:static[ \\t]+)?(?:async[ \\t]+)?${n}[ \\t]*\\([^)\\n]*\\)[ \\t]*\\{`, 'm'),
    // `export { name }` / `export { x as name }`.
    new RegExp(`^[ \\t]*export[ \\t]*\\{[^}]*\\b${n}\\b[^}]*\\}(?![ \\t]*from)`, 'm')
  ]
}

function importPatterns(name: string): RegExp[] {
  const n = esc(name)
  return [
    // ES modules, also over several lines, and re-exports.
    new RegExp(`^[ \\t]*(?:import|export)[ \\t]+(?:type[ \\t]+)?[^;'"]*?(?<![\\w$])${n}(?![\\w$])[^;'"]*?\\bfrom[ \\t]*['"]`, 'm'),
    // CommonJS: `const { name } = require('…')`, `const name = require('…')`.
    new RegExp(`^[ \\t]*(?:const|let|var)[ \\t]+(?:\\{[^}]*(?<![\\w$])${n}(?![\\w$])[^}]*\\}|${n})[ \\t]*=[ \\t]*require\\(`, 'm'),
    // Python: `from m import a, name`, `from m import (\n a,\n name\n)`, `import m.name`.
    new RegExp(`^[ \\t]*from[ \\t]+[\\w.]+[ \\t]+import[ \\t]+(?:\\([^)]*|[^\\n]*?)(?<![\\w.])${n}(?!\\w)`, 'm'),
    new RegExp(`^[ \\t]*import[ \\t]+[\\w.]*\\b${n}\\b(?![ \\t]+from)`, 'm'),
    // Rust / Go style paths.
    new RegExp(`^[ \\t]*use[ \\t]+[^;\\n]*\\b${n}\\b`, 'm')
  ]
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length

function firstMatch(text: string, patterns: RegExp[]): number | null {
  let best: number | null = null
  for (const p of patterns) {
    const m = p.exec(text)
    if (m && (best === null || m.index < best)) best = m.index
  }
  return best === null ? null : lineOf(text, best + (text[best] === '\n' ? 1 : 0))
}

/**
 * Every file that defines or imports one of `names`. `read` gives a file's
 * text or null (binary, too large, unreadable). A file both defining and
 * importing a name counts as defining it.
 */
export function findSites(files: string[], read: (path: string) => string | null, names: string[]): Site[] {
  const sites: Site[] = []
  if (names.length === 0) return sites
  const compiled = names.map((name) => ({ name, defs: definitionPatterns(name), imports: importPatterns(name) }))
  for (const path of files) {
    const text = read(path)
    if (text === null) continue
    for (const c of compiled) {
      if (!text.includes(c.name)) continue
      const def = firstMatch(text, c.defs)
      if (def !== null) {
        sites.push({ path, name: c.name, kind: 'defines', line: def })
        continue
      }
      const imp = firstMatch(text, c.imports)
      if (imp !== null) sites.push({ path, name: c.name, kind: 'imports', line: imp })
    }
  }
  return sites
}
