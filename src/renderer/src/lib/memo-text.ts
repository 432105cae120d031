// Markdown is rendered when its text changes, not on every event (issue #13:
// an idle issue page re-rendered its Markdown 42 times in 5 s, each refresh of
// the page's data handing the same text again). A small cache by text: the
// latest `size` distinct texts, the oldest dropped first. No DOM, so the unit
// test counts renders in Node.

export interface TextMemo<T> {
  (text: string): T
  /** How many times the wrapped function ran (for tests and the bench). */
  readonly runs: number
}

export function memoByText<T>(render: (text: string) => T, size = 200): TextMemo<T> {
  const cache = new Map<string, T>()
  let runs = 0
  const memo = (text: string): T => {
    const hit = cache.get(text)
    if (hit !== undefined || cache.has(text)) {
      // Most recently used last: a text in view is not the one dropped.
      cache.delete(text)
      cache.set(text, hit as T)
      return hit as T
    }
    runs++
    const value = render(text)
    cache.set(text, value)
    if (cache.size > size) cache.delete(cache.keys().next().value as string)
    return value
  }
  Object.defineProperty(memo, 'runs', { get: () => runs })
  return memo as TextMemo<T>
}
