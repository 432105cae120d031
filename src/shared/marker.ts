// Baton's hidden marker: the last thing in every comment Baton posts for an
// answer, `<!-- baton:task=t_1 baton:attempt=2 baton:answer=1 baton:role=engineer -->`
// (pipeline/effects.ts#marker writes it; older comments have only task and
// role). It names the answer, so a repeated write finds its own comment. It
// never says who wrote the comment: anyone can type it. Who wrote it is
// GitHub's author, so a comment is Baton's only when Baton's own login wrote
// it (`batonRole`), and a write is skipped only for a comment of that login.

export interface Marker {
  task: string
  /** The role that answered; null in a marker that names none (Baton's all do). */
  role: string | null
  /** Every `baton:key=value` field, task and role included (attempt, answer, and any later ones). */
  fields: Record<string, string>
}

// The marker ends the comment (whitespace after it aside): an agent's text that
// quotes a marker, say an outsider's, comes before Baton's own and is not read.
// Extra `baton:key=value` fields are tolerated, in any order.
const MARKER = /<!--((?:\s+baton:[a-z][a-z0-9_-]*=[^\s<>]+)+)\s*-->\s*$/
const FIELD = /baton:([a-z][a-z0-9_-]*)=([^\s<>]+)/g

/** The marker that ends `body`, or null (none, no task, or a field named twice). */
export function parseMarker(body: string): Marker | null {
  const found = MARKER.exec(body)
  if (!found) return null
  const fields: Record<string, string> = {}
  for (const [, key, value] of found[1]!.matchAll(FIELD)) {
    if (Object.hasOwn(fields, key!)) return null
    fields[key!] = value!
  }
  const { task, role } = fields
  if (!task) return null
  return { task, role: role ?? null, fields }
}

/** Whether two markers name the same answer: the same fields with the same values. */
export function sameMarker(a: Marker, b: Marker): boolean {
  const keys = Object.keys(a.fields)
  return keys.length === Object.keys(b.fields).length && keys.every((k) => b.fields[k] === a.fields[k])
}

/** GitHub logins are case-insensitive ("Octocat" is "octocat"). */
export function sameLogin(a: string | null | undefined, b: string | null | undefined): boolean {
  return Boolean(a && b) && a!.toLowerCase() === b!.toLowerCase()
}

/**
 * The role a comment speaks for: its marker's, when Baton's own login (the
 * signed-in login of the repository's connection) wrote it; else null, and
 * the comment is its author's, whatever its text claims.
 */
export function batonRole(comment: { author: string | null | undefined; body: string }, batonLogin: string | null | undefined): string | null {
  if (!sameLogin(comment.author, batonLogin)) return null
  return parseMarker(comment.body)?.role ?? null
}
