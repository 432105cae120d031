// Which addresses the dashboard may turn into links (DESIGN.md §9: "Only
// http(s) URLs become links"). Addresses come from outside — a commit status's
// `target_url` and a check run's `details_url` are whatever the CI (or anyone
// with status rights) posted, Markdown is issue text — so `javascript:`,
// `data:` or `vbscript:` must stay text. The address is parsed as the browser
// would (`new URL` drops tabs and newlines inside a scheme, so `java\tscript:`
// is still javascript:) and its protocol compared, never a prefix of the text.

const WEB = new Set(['http:', 'https:'])

/** The absolute http(s) URL `value` names, normalized; null for anything else (other schemes, relative, garbage). */
export function httpUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return null
  }
  return WEB.has(url.protocol) && url.hostname !== '' ? url.href : null
}

/** Whether Markdown may keep a link: http(s), mailto:, or a fragment on the same page. */
export function isSafeMarkdownHref(value: string): boolean {
  const href = value.trim()
  if (href.startsWith('#')) return true
  if (httpUrl(href)) return true
  try {
    return new URL(href).protocol === 'mailto:'
  } catch {
    return false
  }
}
