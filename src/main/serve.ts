// The headless entry's transport: the renderer and the API over HTTP (and
// Baton's MCP tools at /mcp, mcp/http.ts), the events over WebSocket, on
// 127.0.0.1 only, behind a per-start token
// (DESIGN.md §9). The token arrives once in the URL (?token=…), is exchanged
// for an HttpOnly SameSite=Strict cookie, and API clients may also send it as
// a Bearer header.
import { createReadStream, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { AddressInfo, Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import type { ApiResult } from '../shared/api'
import { AppError, type ErrorCode } from '../shared/errors'
import type { Core } from './app'
import { parseRequestTarget } from './request-target'
import { sendMetrics } from './metrics/http'
import type { TaskScope } from './mcp/task-tokens'

/**
 * llhttp reads a request line without a version (`GET /\n…`: a bare LF ends
 * it) as HTTP/0.9 and the rest of that line as a header; such a request is
 * refused, never served as `GET /`.
 */
const http1 = (req: IncomingMessage): boolean => req.httpVersionMajor === 1

export interface ServeOptions {
  port?: number
  token?: string
  /** Folder of the built renderer (out/renderer). */
  rendererDir: string
}

export interface Server {
  readonly url: string
  readonly port: number
  readonly token: string
  close(): Promise<void>
}

const COOKIE = 'baton_token'
const MAX_BODY = 1024 * 1024

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2'
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  offline: 503,
  unavailable: 503,
  internal: 500
}

function sameToken(given: string | undefined, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=')
    if (name === COOKIE) return rest.join('=')
  }
  return undefined
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
  res.setHeader('Cache-Control', 'no-store')
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  securityHeaders(res)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

const REFUSED_PAGE = `<!doctype html><meta charset="utf-8"><title>Baton — token required</title>
<body style="font:15px system-ui;margin:4rem auto;max-width:36rem;color:#222">
<h1 style="font-size:1.3rem">This Baton server needs its token</h1>
<p>Open the address that <code>baton serve</code> printed when it started: it ends with <code>?token=…</code>.
Set <code>BATON_TOKEN</code> before starting the server to choose the token yourself.</p></body>`

export async function startServer(core: Core, options: ServeOptions): Promise<Server> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const rendererDir = resolve(options.rendererDir)
  let origin = ''
  const sockets = new Set<WebSocket>()

  const allowedHost = (req: IncomingMessage): boolean => {
    // DNS rebinding: a page on another name that resolves to 127.0.0.1 must not talk to us.
    const host = req.headers.host ?? ''
    const port = new URL(origin).port
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`
  }
  const allowedOrigin = (req: IncomingMessage): boolean => {
    const given = req.headers.origin
    if (!given) return true // not a browser cross-origin request (CLI, tests)
    const port = new URL(origin).port
    return given === `http://127.0.0.1:${port}` || given === `http://localhost:${port}`
  }
  const authorized = (req: IncomingMessage): boolean =>
    sameToken(bearerToken(req), token) || sameToken(cookieToken(req), token)
  // A task's token (mcp/task-tokens.ts), as a Bearer header only: it opens
  // /mcp and nothing else — not the API, the events, the pages or a cookie.
  const taskScope = (req: IncomingMessage): TaskScope | null => core.agentMcp.tokens.resolve(bearerToken(req))

  const serveStatic = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    let file = normalize(join(rendererDir, path))
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) {
      sendJson(res, 404, { ok: false, error: { code: 'not_found', message: 'Not found' } })
      return
    }
    let stat = statSafe(file)
    if (!stat || stat.isDirectory()) {
      // The dashboard is a single page: unknown paths get the shell.
      file = join(rendererDir, 'index.html')
      stat = statSafe(file)
    }
    if (!stat) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end(`The dashboard is not built (${rendererDir} is missing). Run "npm run build" first.`)
      return
    }
    securityHeaders(res)
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Length': stat.size })
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    // A file that vanishes or cannot be read after the stat must not be an
    // unhandled 'error' (that stops the process): the answer is cut short instead.
    createReadStream(file)
      .on('error', (error) => {
        core.log.warn(`Could not read ${file}`, error)
        res.destroy()
      })
      .pipe(res)
  }

  const handleApi = async (req: IncomingMessage, res: ServerResponse, method: string): Promise<void> => {
    if (req.method !== 'POST') {
      sendJson(res, 405, { ok: false, error: { code: 'bad_request', message: 'API calls are POST requests with a JSON body.' } })
      return
    }
    let raw = ''
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY) {
        sendJson(res, 413, { ok: false, error: { code: 'bad_request', message: 'The request body is larger than 1 MB.' } })
        req.destroy()
        return
      }
      raw += chunk
    }
    let input: unknown = {}
    if (raw.trim()) {
      try {
        input = JSON.parse(raw)
      } catch (error) {
        sendJson(res, 400, {
          ok: false,
          error: { code: 'bad_request', message: `The request body is not valid JSON: ${(error as Error).message}` }
        })
        return
      }
    }
    const result: ApiResult<unknown> = await core.call(method, input)
    sendJson(res, result.ok ? 200 : (STATUS[result.error.code] ?? 500), result)
  }

  // Whatever a handler throws, this request gets a 500 and the server goes on.
  const failed = (res: ServerResponse, error: unknown): void => {
    core.log.error('The headless server failed on a request', error)
    if (res.headersSent) res.destroy()
    else {
      res.removeHeader('Content-Length')
      sendJson(res, 500, { ok: false, error: { code: 'internal', message: 'Internal error' } })
    }
  }

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = parseRequestTarget(req.url)
    if (!url.ok) {
      sendJson(res, 400, { ok: false, error: { code: 'bad_request', message: url.message } })
      return
    }
    if (!http1(req)) {
      sendJson(res, 400, { ok: false, error: { code: 'bad_request', message: 'Baton serves HTTP/1.x requests only (the request line has no HTTP version).' } })
      return
    }
    if (!allowedHost(req)) {
      sendJson(res, 421, { ok: false, error: { code: 'forbidden', message: 'Unexpected Host header.' } })
      return
    }
    const queryToken = url.searchParams.get('token') ?? undefined
    if (queryToken !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      if (!sameToken(queryToken, token)) {
        res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8' })
        res.end(REFUSED_PAGE)
        return
      }
      // Trade the URL token for a cookie and drop it from the address bar.
      url.searchParams.delete('token')
      const search = url.searchParams.toString()
      res.writeHead(302, {
        'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        // `//host` in a Location is another site: a path that starts so goes home instead.
        Location: (url.pathname.startsWith('//') ? '/' : url.pathname) + (search ? `?${search}` : '')
      })
      res.end()
      return
    }
    const mcp = url.pathname === '/mcp'
    const scope = mcp && !authorized(req) ? taskScope(req) : null
    if (!authorized(req) && !scope) {
      if (url.pathname.startsWith('/api/') || mcp || url.pathname === '/metrics') {
        sendJson(res, 401, { ok: false, error: { code: 'unauthorized', message: 'Missing or wrong Baton token.' } })
      } else {
        securityHeaders(res)
        res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8' })
        res.end(REFUSED_PAGE)
      }
      return
    }
    if (url.pathname.startsWith('/api/')) {
      if (!allowedOrigin(req)) {
        sendJson(res, 403, { ok: false, error: { code: 'forbidden', message: 'Cross-origin API calls are refused.' } })
        return
      }
      handleApi(req, res, url.path.slice('/api/'.length)).catch((error: unknown) => failed(res, error))
      return
    }
    if (url.pathname === '/metrics') {
      // Prometheus text (metrics/http.ts), behind the same token as the API: Bearer or the cookie, never a task's MCP token.
      if (!allowedOrigin(req)) {
        sendJson(res, 403, { ok: false, error: { code: 'forbidden', message: 'Cross-origin metrics reads are refused.' } })
        return
      }
      sendMetrics(core.metrics, req, res).catch((error: unknown) => failed(res, error))
      return
    }
    if (mcp) {
      // The MCP tools over Streamable HTTP (mcp/http.ts), behind the same checks as the API.
      if (!allowedOrigin(req)) {
        sendJson(res, 403, { ok: false, error: { code: 'forbidden', message: 'Cross-origin MCP calls are refused.' } })
        return
      }
      // Loaded on the first call: the SDK costs nothing to a server nobody asks for MCP.
      import('./mcp/http')
        .then(({ handleMcp }) => handleMcp(core, req, res, scope))
        .catch((error: unknown) => failed(res, error))
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { ok: false, error: { code: 'bad_request', message: 'Method not allowed' } })
      return
    }
    serveStatic(req, res, url.path)
  }

  const server = createServer((req, res) => {
    try {
      handleRequest(req, res)
    } catch (error) {
      failed(res, error)
    }
  })

  const refuseUpgrade = (socket: Socket, status: string): void => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  }
  // Without a listener Node drops a CONNECT without a word; say no instead.
  server.on('connect', (_req, socket: Socket) => {
    socket.on('error', () => socket.destroy())
    refuseUpgrade(socket, '405 Method Not Allowed')
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 })
  server.on('upgrade', (req, socket: Socket, head) => {
    // Node hands the socket over without an 'error' listener: a client's reset
    // before ws takes the socket would otherwise be an uncaught exception.
    socket.on('error', () => socket.destroy())
    try {
      const url = parseRequestTarget(req.url)
      if (!url.ok || !http1(req)) return refuseUpgrade(socket, '400 Bad Request')
      if (url.pathname !== '/events' || !allowedHost(req) || !allowedOrigin(req) || !authorized(req)) {
        return refuseUpgrade(socket, '401 Unauthorized')
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws)
        ws.on('close', () => sockets.delete(ws))
        ws.on('error', () => sockets.delete(ws))
        ws.send(JSON.stringify({ type: 'hello' }))
      })
    } catch (error) {
      core.log.error('The headless server failed on a WebSocket upgrade', error)
      refuseUpgrade(socket, '500 Internal Server Error')
    }
  })

  const unsubscribe = core.events.subscribe((event) => {
    const text = JSON.stringify(event)
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text)
  })

  await new Promise<void>((resolveListen, reject) => {
    const onListenError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new AppError(
            'conflict',
            `Port ${options.port} on 127.0.0.1 is already in use. Stop what is using it, or pass another port (--port 0 picks a free one).`
          )
        )
      } else if (error.code === 'EACCES') {
        reject(new AppError('forbidden', `Not allowed to listen on port ${options.port}. Use a port above 1024 (or --port 0).`))
      } else reject(error)
    }
    server.once('error', onListenError)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      // Once listening, a server error is logged: with no listener left it
      // would be thrown and stop the process.
      server.off('error', onListenError)
      server.on('error', (error) => core.log.error('The headless server reported an error', error))
      resolveListen()
    })
  })
  const port = (server.address() as AddressInfo).port
  origin = `http://127.0.0.1:${port}`
  // Baton's own agents reach its MCP tools here, each with its task's token (mcp/agent-access.ts).
  core.agentMcp.serve(`${origin}/mcp`)

  return {
    url: `${origin}/?token=${token}`,
    port,
    token,
    async close() {
      core.agentMcp.serve(null)
      unsubscribe()
      for (const ws of sockets) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
    }
  }
}

function statSafe(file: string) {
  try {
    return statSync(file)
  } catch {
    return null
  }
}
