// The forge's side of "no request is sent inside a window": every window the
// forge announced (a Retry-After on a 429, a secondary 403 or a 5xx; a spent
// budget's reset) against the arrival time of every API request it received.
import type { RequestLogEntry } from '../../../src/forge'

export interface Breach {
  /** The answer that announced the window. */
  window: RequestLogEntry
  /** Requests that arrived inside it. */
  inside: RequestLogEntry[]
}

/**
 * Requests that arrived inside a window, later than `inFlightMs` after it
 * opened. The slack is for requests the client had already sent when the
 * window's answer reached it (they cross on the wire); nothing the client
 * sends after reading the answer may arrive before the window ends.
 */
export function breaches(log: RequestLogEntry[], inFlightMs = 50): Breach[] {
  const api = log.filter((e) => e.kind === 'api')
  const out: Breach[] = []
  for (const w of api) {
    if (!w.window) continue
    const { from, until } = w.window
    const inside = api.filter((e) => e !== w && e.time > from + inFlightMs && e.time < until)
    if (inside.length) out.push({ window: w, inside })
  }
  return out
}

/** How many windows the log holds (a test that saw none proved nothing). */
export function windows(log: RequestLogEntry[]): number {
  return log.filter((e) => e.kind === 'api' && e.window).length
}
