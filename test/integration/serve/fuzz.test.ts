// Issue #11: the headless server never falls over on one request. Random
// request lines, methods, headers and bodies against the real `baton serve`
// process, before and after sign-in; after every batch the process must still
// be up and answer a normal authenticated call. FUZZ_SEED=n replays a run.
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { rawExchange, requestBytes, startServeProcess, type ServeProcess } from './raw-http'

const TOKEN = 'fuzz-test-token-0123456789abcdef'
const BATCH = 550
const ROUNDS = 5 // × 4 sign-in states × BATCH = 11,000 requests
const CONCURRENCY = 24
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)

type SignIn = 'none' | 'wrong' | 'cookie' | 'bearer'

interface Case {
  method: string
  target: string
  host: 'right' | 'localhost' | 'evil' | 'none' | 'garbage'
  origin: 'none' | 'same' | 'evil' | 'null'
  upgrade: 'none' | 'websocket' | 'bad'
  expectContinue: boolean
  transfer: 'none' | 'chunked' | 'garbage'
  length: 'right' | 'wrong' | 'none'
  extra: [string, string][]
  body: string
}

const hex = fc.constantFrom(...'0123456789abcdefABCDEF')
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-zA-Z0-9._~-]{1,10}$/) },
  { weight: 4, arbitrary: fc.constantFrom('/', '//', '.', '..', '/../', '?', '#', '&', '=', '+', ';', '@', ':', '\\', '!', '$', "'", '(', ')', '*', ',', '[', ']', '|', '"', '<', '>', '{', '}', '`', '^') },
  { weight: 3, arbitrary: fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`) },
  { weight: 2, arbitrary: fc.constantFrom('%', '%E', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', '%00', '%2e%2e', '%2f', '%5c', '%25', '%u2215') },
  { weight: 2, arbitrary: fc.constantFrom('/api/', '/api/app.status', '/api/settings.get', '/events', '/index.html', '/src/main.ts', `?token=${TOKEN}`, '?token=wrong', '?token=') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(' ', '\t', '\x00', '\x01', '\x7f', '\r', '\n') }
)
// Pieces of paths that are well formed, so that many requests get past the
// target check into the handlers.
const plainPiece = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-zA-Z0-9._~-]{1,10}$/) },
  { weight: 3, arbitrary: fc.constantFrom('/', '//', '.', '..', '/../', '%2e%2e', '%2f', '%25', '%41', '%20', '%C3%A9', '%E2%82%AC', '+', '=', '&', ';', '@', ':', '!', '$', '*', ',') },
  { weight: 1, arbitrary: fc.constantFrom(`?token=${TOKEN}`, '?token=wrong', '?x=%', '?token=%E0', '#frag') }
)
// Read-only API methods, and settings (local): a fuzz must not start a device
// sign-in or a mode switch.
const apiMethod = fc.constantFrom(
  'app.status', 'events.recent', 'repos.list', 'agents.list', 'inbox.list', 'usage.summary', 'settings.get', 'settings.update',
  'usage.csv', 'issues.board', 'issues.detail', 'prs.detail', 'drafts.list', 'roles.list', 'pipeline.get', 'auth.status', 'nope', ''
)
const target = fc.oneof(
  { weight: 5, arbitrary: fc.array(piece, { maxLength: 10 }).map((parts) => `/${parts.join('')}`) },
  { weight: 4, arbitrary: fc.array(plainPiece, { maxLength: 8 }).map((parts) => `/${parts.join('')}`) },
  { weight: 4, arbitrary: fc.tuple(apiMethod, fc.array(piece, { maxLength: 2 })).map(([name, parts]) => `/api/${name}${parts.join('')}`) },
  { weight: 1, arbitrary: fc.constantFrom('/events', '/events?x=1', '/events/', '/events%2F') },
  { weight: 1, arbitrary: fc.array(piece, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('*', 'http://127.0.0.1/', 'http://evil.example/api/app.status', '', '127.0.0.1:80') }
)
const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'GET', 'HEAD', 'POST', 'POST', 'POST') },
  { weight: 2, arbitrary: fc.constantFrom('PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PROPFIND', 'get') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,10}$/) }
)
const body = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.constantFrom('{}', '{"loopCap":3}', '{"theme":1}', '[]', 'null', '{not json') },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) }
)
const header = fc.tuple(fc.stringMatching(/^[A-Za-z0-9-]{1,16}$/), fc.string({ unit: 'binary-ascii', maxLength: 40 }))

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  method,
  target,
  host: fc.oneof({ weight: 8, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: fc.constantFrom('localhost', 'evil', 'none', 'garbage') as fc.Arbitrary<Case['host']> }),
  origin: fc.oneof({ weight: 6, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constantFrom('same', 'evil', 'null') as fc.Arbitrary<Case['origin']> }),
  upgrade: fc.oneof({ weight: 8, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constantFrom('websocket', 'bad') as fc.Arbitrary<Case['upgrade']> }),
  expectContinue: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  transfer: fc.oneof({ weight: 10, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constantFrom('chunked', 'garbage') as fc.Arbitrary<Case['transfer']> }),
  length: fc.oneof({ weight: 10, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: fc.constantFrom('wrong', 'none') as fc.Arbitrary<Case['length']> }),
  extra: fc.oneof({ weight: 3, arbitrary: fc.constant([] as [string, string][]) }, { weight: 1, arbitrary: fc.array(header, { maxLength: 5 }) }),
  body
})

/** A target the server must never answer with success (RFC 9112 origin-form, RFC 3986 escapes). */
function malformed(raw: string): boolean {
  if (!raw.startsWith('/')) return true
  // Bytes HTTP never allows in a request line: the parser or the server must refuse them.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(raw)) return true
  const path = raw.split(/[?#]/, 1)[0] ?? ''
  try {
    return decodeURIComponent(path).includes('\0')
  } catch {
    return true
  }
}

/**
 * The target as the server reads it: a space ends it (`GET /x  HTTP/1.1` is
 * accepted as `/x`, RFC 9112 §3 lets a server take several spaces as one).
 */
function readTarget(raw: string): string {
  return raw.split(' ', 1)[0] ?? ''
}

/** The path the server routes on: dot segments removed (`/./api/x` is the API's `/api/x`). */
function servedPath(target: string): string {
  return new URL(`http://127.0.0.1${target}`).pathname
}

/** Nothing unusual about it: a signed-in GET of a dashboard path must be served. */
function plainPageRequest(c: Case, signIn: SignIn): boolean {
  return (
    (signIn === 'cookie' || signIn === 'bearer') &&
    c.method === 'GET' &&
    (c.host === 'right' || c.host === 'localhost') &&
    c.upgrade === 'none' &&
    !c.expectContinue &&
    c.transfer === 'none' &&
    c.length === 'right' &&
    c.extra.length === 0 &&
    /^[\x21-\x7e]*$/.test(c.target) &&
    !malformed(c.target) &&
    !c.target.includes('token=') &&
    !servedPath(c.target).startsWith('/api/')
  )
}

/** The request as written, and whether it is incomplete (its Content-Length promises more than it sends). */
function bytesOf(c: Case, signIn: SignIn, port: number): { bytes: string; incomplete: boolean } {
  const headers: Record<string, string> = {}
  const host = { right: `127.0.0.1:${port}`, localhost: `localhost:${port}`, evil: 'evil.example', garbage: '\x01::\t', none: undefined }[c.host]
  if (host !== undefined) headers.host = host
  if (signIn === 'cookie') headers.cookie = `theme=dark; baton_token=${TOKEN}`
  if (signIn === 'bearer') headers.authorization = `Bearer ${TOKEN}`
  if (signIn === 'wrong') headers.authorization = `Bearer ${TOKEN.slice(0, -1)}x`
  if (c.origin !== 'none') headers.origin = { same: `http://127.0.0.1:${port}`, evil: 'http://evil.example', null: 'null' }[c.origin]
  if (c.upgrade === 'websocket') {
    Object.assign(headers, { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' })
  }
  if (c.upgrade === 'bad') Object.assign(headers, { connection: 'Upgrade', upgrade: 'h2c, websocket', 'sec-websocket-version': '99' })
  if (c.expectContinue) headers.expect = '100-continue'
  for (const [name, value] of c.extra) headers[name.toLowerCase()] = value
  let payload = c.body
  const size = Buffer.byteLength(payload)
  let incomplete = false
  if (c.transfer === 'chunked') {
    headers['transfer-encoding'] = 'chunked'
    payload = size ? `${size.toString(16)}\r\n${payload}\r\n0\r\n\r\n` : '0\r\n\r\n'
  } else if (c.transfer === 'garbage') headers['transfer-encoding'] = 'gzip, chunked, x'
  if (c.transfer !== 'chunked') {
    if (c.length === 'right' && size) headers['content-length'] = String(size)
    if (c.length === 'wrong') {
      const declared = (size * 7 + 3) % 500
      headers['content-length'] = String(declared)
      incomplete = declared > size
    }
  }
  const host0 = headers.host
  delete headers.host
  const lines = [...(host0 === undefined ? [] : [`host: ${host0}`]), ...Object.entries(headers).map(([n, v]) => `${n}: ${v}`)]
  if (!('connection' in headers)) lines.push('connection: close')
  return { bytes: `${c.method} ${c.target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${payload}`, incomplete }
}

/** The final status: interim 1xx answers (100 Continue) are skipped, 101 is final. */
function finalStatus(text: string): number {
  let rest = text
  for (;;) {
    const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(rest)
    if (!match) return 0
    const status = Number(match[1])
    if (status >= 200 || status === 101) return status
    const end = rest.indexOf('\r\n\r\n')
    if (end < 0) return status
    rest = rest.slice(end + 4)
  }
}

/** What is wrong with the answer to `c`, or null. */
function judge(c: Case, signIn: SignIn, status: number, text: string, incomplete: boolean): string | null {
  if (status < 100 || status > 599) {
    return incomplete && status === 0 ? null : `no valid status (${JSON.stringify(text.slice(0, 80))})`
  }
  if (status === 500) return 'a handler threw (500)'
  if (malformed(readTarget(c.target)) && status < 400) return `malformed path answered ${status}`
  if (plainPageRequest(c, signIn) && status !== 200 && status !== 404) return `a plain signed-in page request answered ${status}`
  if (text.includes('SQLite format 3')) return 'the database was served'
  return null
}

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await run(items[next++] as T)
    })
  )
}

let serve: ServeProcess
beforeAll(async () => {
  serve = await startServeProcess(TOKEN)
})
afterAll(async () => {
  await serve?.stop()
})

it(`answers ${ROUNDS * 4 * BATCH} random requests, signed in and not, and stays up (seed ${SEED})`, async () => {
  const failures: string[] = []
  const statuses = new Map<number, number>()
  const started = Date.now()
  let batch = 0
  for (let round = 0; round < ROUNDS; round++) {
    for (const signIn of ['none', 'cookie', 'wrong', 'bearer'] as const) {
      const cases = fc.sample(caseArbitrary, { numRuns: BATCH, seed: SEED + batch++ })
      await inParallel(cases, CONCURRENCY, async (c) => {
        const { bytes, incomplete } = bytesOf(c, signIn, serve.port)
        // An incomplete request is ended by the client (half-close); the server
        // may then drop it unanswered, but it must close, not hang.
        const text = (await rawExchange(serve.port, bytes, { end: incomplete })).text
        const status = finalStatus(text)
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        const problem = judge(c, signIn, status, text, incomplete)
        if (problem) failures.push(`${problem} [${signIn}] ${JSON.stringify(bytes.slice(0, 300))}`)
      })
      // The process is still there and still serves a normal call.
      expect(serve.child.exitCode, serve.stderr()).toBeNull()
      const ok = await rawExchange(serve.port, requestBytes(serve.port, '/api/app.status', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{}' }))
      expect(ok.status, `after batch ${batch} (${signIn}), seed ${SEED}: ${serve.stderr()}`).toBe(200)
    }
  }
  console.log(`fuzz seed ${SEED}: ${ROUNDS * 4 * BATCH} requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`)
  expect(failures.slice(0, 10), `seed ${SEED}, ${failures.length} failures`).toEqual([])
  expect(serve.stderr()).not.toMatch(/Uncaught|TypeError|RangeError|URIError/)
})

it(`random frames on a signed-in WebSocket close that socket at worst (seed ${SEED})`, async () => {
  const handshake = requestBytes(serve.port, '/events', {
    headers: {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      authorization: `Bearer ${TOKEN}`
    }
  })
  // Random bytes, and frames that look real: masked or not, any opcode, lengths up to 2^63 claimed.
  const frame = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 200 })).map(([b0, b1, rest]) => Uint8Array.from([b0, b1, ...rest])),
    fc.constant(Uint8Array.from([0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]))
  )
  for (let round = 0; round < 3; round++) {
    const frames = fc.sample(fc.array(frame, { minLength: 1, maxLength: 4 }), { numRuns: 100, seed: SEED + 1000 + round })
    const answers = await Promise.all(
      frames.map((parts) => rawExchange(serve.port, Buffer.concat([Buffer.from(handshake), ...parts]), { end: true }))
    )
    for (const answer of answers) expect(answer.status).toBe(101)
    expect(serve.child.exitCode, serve.stderr()).toBeNull()
    const ok = await rawExchange(serve.port, requestBytes(serve.port, '/api/app.status', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{}' }))
    expect(ok.status, serve.stderr()).toBe(200)
  }
})
