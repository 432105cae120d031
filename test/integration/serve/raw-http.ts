// Requests written byte for byte over a socket, for the malformed-input tests:
// Node's http client normalizes paths (`//` and `%` never reach the server as
// sent), so these tests write the request line themselves. And the real
// `baton serve` in a child process, so "the process stopped" is observable.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RawAnswer {
  /** The status of the first response, 0 when the server sent no status line. */
  status: number
  /** Everything the server sent before it closed the connection. */
  text: string
}

export interface ExchangeOptions {
  /**
   * Half-close right after writing: for a request known to be incomplete, which
   * the server would otherwise wait for. Node then drops the request without an
   * answer (a client that gave up), so only use it where no answer is expected.
   */
  end?: boolean
  /** Give up on a connection the server keeps open this long after its last byte (keep-alive after an answer). */
  idleMs?: number
  timeoutMs?: number
}

/** Writes `bytes` and collects what the server sends until it closes (or goes idle after answering). */
export function rawExchange(port: number, bytes: string | Buffer, options: ExchangeOptions = {}): Promise<RawAnswer> {
  const { end = false, idleMs = 1_000, timeoutMs = 15_000 } = options
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let idle: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`No answer within ${timeoutMs} ms to ${JSON.stringify(String(bytes).slice(0, 200))}`))
    }, timeoutMs)
    const finish = () => {
      clearTimeout(timer)
      clearTimeout(idle)
      const text = Buffer.concat(chunks).toString('latin1')
      const match = /^HTTP\/1\.[01] (\d{3}) /.exec(text)
      resolve({ status: match ? Number(match[1]) : 0, text })
    }
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      clearTimeout(idle)
      idle = setTimeout(() => socket.destroy(), idleMs)
    })
    socket.on('close', finish)
    // A reset after the server answered and closed is not a failure of the exchange.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') {
        clearTimeout(timer)
        reject(error)
      }
    })
    if (end) socket.end(bytes)
    else socket.write(bytes)
  })
}

/** A request as a client would write it, with `Connection: close`. */
export function requestBytes(
  port: number,
  target: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {}
): string {
  const body = options.body ?? ''
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, connection: 'close', ...options.headers }
  if (body && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(body))
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`)
  return `${options.method ?? 'GET'} ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`
}

export interface ServeProcess {
  readonly port: number
  readonly child: ChildProcess
  /** What the process printed on stderr (why it stopped, when it did). */
  stderr(): string
  stop(): Promise<void>
}

/** `baton serve --port 0` from source, in its own data folder, with a chosen token. */
export async function startServeProcess(token: string): Promise<ServeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-serve-raw-'))
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '-e', `import('./src/main/cli.ts').then((m) => m.main(['serve', '--port', '0', '--data-dir', ${JSON.stringify(dataDir)}]))`],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BATON_TOKEN: token, BATON_LOG_LEVEL: 'error' } }
  )
  let out = ''
  let err = ''
  child.stderr!.on('data', (c) => (err += c))
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (c) => {
      out += c
      const match = /Open: http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)
      if (match) resolve(Number(match[1]))
    })
    child.once('exit', (code) => reject(new Error(`baton serve exited ${code} before listening: ${err}`)))
  })
  return {
    port,
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
  }
}
