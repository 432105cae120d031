// The renderer's API client. In the desktop app the preload's bridge carries
// calls over IPC; in a browser (headless mode) calls go over HTTP and events
// over a WebSocket that reconnects by itself. The same Svelte code runs on both.
import type { ApiEvent, ApiInput, ApiMethod, ApiOutput, ApiResult } from '../../../shared/api'
import type { ErrorCode } from '../../../shared/errors'

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode | 'transport',
    message: string,
    readonly details?: Record<string, unknown>
  ) {
    super(message)
  }
}

type Listener = (event: ApiEvent) => void
type ConnectionListener = (online: boolean) => void

const listeners = new Set<Listener>()
const connectionListeners = new Set<ConnectionListener>()
let online = true

function setOnline(value: boolean): void {
  if (online === value) return
  online = value
  for (const listener of connectionListeners) listener(value)
}

async function transportCall(method: string, input: unknown): Promise<ApiResult<unknown>> {
  if (window.baton) return window.baton.call(method, input)
  let response: Response
  try {
    response = await fetch(`/api/${encodeURIComponent(method)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(input ?? {}),
      credentials: 'same-origin'
    })
  } catch {
    setOnline(false)
    throw new ApiError('transport', 'Baton is not reachable. Is it still running?')
  }
  setOnline(true)
  try {
    return (await response.json()) as ApiResult<unknown>
  } catch {
    throw new ApiError('transport', `Unexpected answer from Baton (HTTP ${response.status}).`)
  }
}

export async function call<M extends ApiMethod>(method: M, ...args: {} extends ApiInput<M> ? [input?: ApiInput<M>] : [input: ApiInput<M>]): Promise<ApiOutput<M>> {
  const result = await transportCall(method, args[0] ?? {})
  if (!result.ok) throw new ApiError(result.error.code, result.error.message, result.error.details)
  return result.data as ApiOutput<M>
}

let socket: WebSocket | null = null
let retry = 500

function connectEvents(): void {
  if (window.baton) {
    window.baton.onEvent((event) => dispatch(event))
    return
  }
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/events`
  socket = new WebSocket(url)
  socket.onopen = () => {
    retry = 500
    setOnline(true)
    // Anything may have changed while we were away.
    dispatch({ type: 'changed', topics: ['app', 'repos', 'issues', 'agents', 'tasks', 'inbox', 'usage', 'settings', 'events'] })
  }
  socket.onmessage = (message) => {
    try {
      const event = JSON.parse(String(message.data)) as ApiEvent | { type: 'hello' }
      if (event.type !== 'hello') dispatch(event)
    } catch {
      /* ignore a malformed frame */
    }
  }
  socket.onclose = () => {
    setOnline(false)
    socket = null
    setTimeout(connectEvents, retry)
    retry = Math.min(retry * 2, 10_000)
  }
}

function dispatch(event: ApiEvent): void {
  for (const listener of listeners) listener(event)
}

let started = false
export function onEvent(listener: Listener): () => void {
  if (!started) {
    started = true
    connectEvents()
  }
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function onConnection(listener: ConnectionListener): () => void {
  connectionListeners.add(listener)
  listener(online)
  return () => connectionListeners.delete(listener)
}

export const isDesktop = (): boolean => Boolean(window.baton)
