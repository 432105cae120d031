// The headless server's reading of a request target (RFC 9112 §3.2). Only the
// origin-form (`/path?query`) is served; anything that cannot be read as a
// path is a 400 here rather than an exception in a handler (DESIGN.md §9: "A
// malformed request gets 400, never a crash" — `//`, `/%` and `/%E0%A4%A` each
// stopped the process when `new URL(target, base)` and `decodeURIComponent`
// threw inside the request listener).

export type RequestTarget =
  | {
      ok: true
      /** Path as sent after dot-segment removal, still percent-encoded (route prefixes are matched on this). */
      pathname: string
      /** The same path decoded (what names a file or an API method). */
      path: string
      searchParams: URLSearchParams
    }
  | { ok: false; message: string }

const BASE = 'http://127.0.0.1'

export function parseRequestTarget(target: string | undefined): RequestTarget {
  if (!target || !target.startsWith('/')) {
    return { ok: false, message: 'The request target is not a valid path: Baton serves origin-form paths only (/…).' }
  }
  // The path as sent is checked before the URL parser removes dot segments:
  // `/%/../x` is malformed even though its normalized form is not.
  let sent: string
  try {
    sent = decodeURIComponent(target.split(/[?#]/, 1)[0] ?? '')
  } catch {
    return { ok: false, message: 'The path is not a valid percent-encoded UTF-8 path.' }
  }
  // A NUL in a segment dot segments then remove (`/a%00/../x`) is refused too.
  if (sent.includes('\0')) return { ok: false, message: 'The path is not a valid path: it contains a NUL byte.' }
  let url: URL
  try {
    // Appended, not resolved against a base: `//x` is a path, never an authority.
    url = new URL(BASE + target)
  } catch {
    return { ok: false, message: 'The request target is not a valid URL path.' }
  }
  if (url.origin !== BASE) return { ok: false, message: 'The request target is not a valid URL path.' }
  let path: string
  try {
    path = decodeURIComponent(url.pathname)
  } catch {
    return { ok: false, message: 'The path is not a valid percent-encoded UTF-8 path.' }
  }
  if (path.includes('\0')) return { ok: false, message: 'The path is not a valid path: it contains a NUL byte.' }
  return { ok: true, pathname: url.pathname, path, searchParams: url.searchParams }
}
