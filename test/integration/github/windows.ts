// The forge's side of "no request is sent inside a window": every window the
// forge announced (a Retry-After on a 429, a secondary 403 or a 5xx; a spent
// budget's reset) against the arrival time of every API request it received.
//
// A request that arrives inside a window may have been sent before the client
// read the window's answer: the two cross on the wire, and when the forge and
// Baton share one event loop (these tests), a busy loop holds requests
// already sent for hundreds of milliseconds (seen: 5 GETs sent 345 ms before a
// 429 arrived up to 277 ms after it). Such a request is not a breach. So the
// client's own moments are recorded too, from Node's HTTP client (undici's
// diagnostics channels, no hook in Baton): when each request's headers went
// out and when each answer had come in whole. A request the forge received
// inside a window is a breach when the client sent it after it had read the
// window's answer, with `processingMs` for the few turns of the event loop
// from the HTTP client holding the answer to the gate acting on it (Octokit
// reads the body, then raises the error; seen up to 30 ms under load).
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { RequestLogEntry } from '../../../src/forge'

export interface ClientMoment {
  time: number
  method: string
  /** Path with the query string, as the forge logs it. */
  path: string
}

export interface ClientRecord {
  sent: ClientMoment[]
  answered: Array<ClientMoment & { status: number }>
  stop(): void
}

interface UndiciRequest {
  method: string
  path: string
}

/** Records the moments of every HTTP request this process sends through fetch, until `stop()`. */
export function recordClient(): ClientRecord {
  const sent: ClientMoment[] = []
  const answered: ClientRecord['answered'] = []
  const onSend = (m: unknown) => {
    const { request } = m as { request: UndiciRequest }
    sent.push({ time: Date.now(), method: request.method, path: request.path })
  }
  // The status comes with the headers; the answer is whole once its trailers (the end of the body) are in.
  const status = new WeakMap<object, number>()
  const onHeaders = (m: unknown) => {
    const { request, response } = m as { request: UndiciRequest; response: { statusCode: number } }
    status.set(request, response.statusCode)
  }
  const onEnd = (m: unknown) => {
    const { request } = m as { request: UndiciRequest }
    answered.push({ time: Date.now(), method: request.method, path: request.path, status: status.get(request) ?? 0 })
  }
  subscribe('undici:client:sendHeaders', onSend)
  subscribe('undici:request:headers', onHeaders)
  subscribe('undici:request:trailers', onEnd)
  return {
    sent,
    answered,
    stop: () => {
      unsubscribe('undici:client:sendHeaders', onSend)
      unsubscribe('undici:request:headers', onHeaders)
      unsubscribe('undici:request:trailers', onEnd)
    }
  }
}

export interface Breach {
  /** The answer that announced the window. */
  window: RequestLogEntry
  /** Requests that arrived inside it, sent after the client had read it. */
  inside: RequestLogEntry[]
}

/**
 * Requests the forge received inside a window it announced that were not in
 * flight when it opened. With the client's record, "in flight" is sent before
 * the client had read the window's answer (plus `processingMs`). Without one,
 * a request that arrived within `inFlightMs` of the window's start is taken
 * to be in flight.
 */
export function breaches(log: RequestLogEntry[], client?: ClientRecord, { inFlightMs = 50, processingMs = 100 } = {}): Breach[] {
  const api = log.filter((e) => e.kind === 'api')
  const out: Breach[] = []
  for (const w of api) {
    if (!w.window) continue
    const { from, until } = w.window
    // When the client read this answer: the first answer of that status to that request at or after the forge sent it.
    const read = client?.answered.find((a) => a.method === w.method && a.path === w.path && a.status === w.status && a.time >= from)?.time
    const inside = api.filter((e) => {
      if (e === w || e.time <= from || e.time >= until) return false
      if (read === undefined) return e.time > from + inFlightMs
      // When the client sent it: its last send of that request before the forge received it.
      const sends = client!.sent.filter((s) => s.method === e.method && s.path === e.path && s.time <= e.time)
      const sentAt = sends.length ? sends[sends.length - 1]!.time : e.time
      return sentAt > read + processingMs
    })
    if (inside.length) out.push({ window: w, inside })
  }
  return out
}

/** How many windows the log holds (a test that saw none proved nothing). */
export function windows(log: RequestLogEntry[]): number {
  return log.filter((e) => e.kind === 'api' && e.window).length
}
