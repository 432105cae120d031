// "Blocked by #12", "depends on #3 and #4": an issue waits until these close.
const PHRASE = /\b(?:blocked\s+by|depends\s+on)\s+((?:#\d+(?:\s*(?:,|and|&)\s*)?)+)/gi

export function dependenciesOf(body: string, self?: number): number[] {
  const found = new Set<number>()
  for (const match of body.matchAll(PHRASE)) {
    for (const ref of (match[1] ?? '').matchAll(/#(\d+)/g)) {
      const n = Number(ref[1])
      if (n > 0 && n !== self) found.add(n)
    }
  }
  return [...found].sort((a, b) => a - b)
}
