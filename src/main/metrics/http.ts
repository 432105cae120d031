// The metrics over HTTP: `/metrics` on the headless server (serve.ts, behind
// its token) and, with `baton serve --metrics-port N`, a loopback port of its
// own without the token (Prometheus scrapes a bearer only with config). Both
// answer the same text, Prometheus text format 0.0.4.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AppError } from '../../shared/errors'
import type { Logger } from '../log'
import type { Metrics } from './registry'

/** Answers a GET or HEAD of the metrics: the registry collected now (the store read at this moment). */
export async function sendMetrics(metrics: Metrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' })
    res.end('The metrics are read with GET.\n')
    return
  }
  const text = await metrics.text()
  res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) })
  res.end(req.method === 'HEAD' ? undefined : text)
}

export interface MetricsServer {
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

/**
 * The metrics alone on 127.0.0.1:`port` (0 picks a free one), with no token:
 * only `/metrics`, only GET/HEAD, and only for a Host naming this address —
 * a page on another name resolving to 127.0.0.1 (DNS rebinding) reads nothing.
 */
export async function startMetricsServer(metrics: Metrics, options: { port: number; log: Logger }): Promise<MetricsServer> {
  let port = options.port
  const server = createServer((req, res) => {
    const host = req.headers.host ?? ''
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('Unexpected Host header.\n')
      return
    }
    // The path alone: a query (a scraper's cache-buster) changes nothing.
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('Only /metrics is served here.\n')
      return
    }
    sendMetrics(metrics, req, res).catch((error: unknown) => {
      options.log.error('The metrics port failed on a request', error)
      if (res.headersSent) res.destroy()
      else {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
        res.end('Internal error\n')
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new AppError('conflict', `Port ${options.port} on 127.0.0.1 (--metrics-port) is already in use. Pass another port (0 picks a free one).`))
      else if (error.code === 'EACCES') reject(new AppError('forbidden', `Not allowed to listen on port ${options.port} (--metrics-port). Use a port above 1024 (or 0).`))
      else reject(error)
    }
    server.once('error', onError)
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', onError)
      server.on('error', (error) => options.log.error('The metrics port reported an error', error))
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    port,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
    }
  }
}
