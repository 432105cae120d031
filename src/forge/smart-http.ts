// Git's smart HTTP protocol through `git http-backend` (CGI), as GitHub serves
// clones and pushes at https://host/owner/repo.git. The request body is
// streamed to the backend and its answer streamed back; a gzip request body is
// inflated by http-backend itself (HTTP_CONTENT_ENCODING).
import { spawn } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { gitEnv } from './git'

export interface GitBackendRequest {
  projectRoot: string
  /** e.g. /owner/repo.git/info/refs */
  pathInfo: string
  query: string
  /** Set for an authenticated caller; http-backend enables receive-pack only when it is. */
  remoteUser?: string
}

/** Runs http-backend for one request; resolves with the status sent. */
export function serveGit(req: IncomingMessage, res: ServerResponse, g: GitBackendRequest): Promise<number> {
  return new Promise((resolve) => {
    const env = gitEnv({
      GIT_PROJECT_ROOT: g.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: g.pathInfo,
      QUERY_STRING: g.query,
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      ...(g.remoteUser ? { REMOTE_USER: g.remoteUser } : {})
    })
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let headerBuf = Buffer.alloc(0)
    let headersDone = false
    let status = 200
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk)
        return
      }
      headerBuf = Buffer.concat([headerBuf, chunk])
      const end = findHeaderEnd(headerBuf)
      if (!end) return
      headersDone = true
      const headerText = headerBuf.subarray(0, end.index).toString('latin1')
      const rest = headerBuf.subarray(end.index + end.length)
      const headers: Record<string, string> = {}
      for (const line of headerText.split(/\r?\n/)) {
        const i = line.indexOf(':')
        if (i <= 0) continue
        const name = line.slice(0, i).trim()
        const value = line.slice(i + 1).trim()
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 200
        else headers[name] = value
      }
      res.writeHead(status, headers)
      if (rest.length) res.write(rest)
    })
    child.on('close', (code) => {
      if (!headersDone) {
        status = 500
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`git http-backend failed (exit ${code}): ${stderr}`)
      } else res.end()
      resolve(status)
    })
    child.on('error', () => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
      resolve(500)
    })
    child.stdin.on('error', () => {})
    req.pipe(child.stdin)
    // A client that goes away must not leave the backend waiting on stdin.
    req.on('aborted', () => child.kill())
  })
}

function findHeaderEnd(buf: Buffer): { index: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n')
  const lf = buf.indexOf('\n\n')
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 }
  if (lf >= 0) return { index: lf, length: 2 }
  return undefined
}
