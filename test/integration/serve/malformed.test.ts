// Issue #11: one malformed request used to stop `baton serve` (DESIGN.md §9:
// "A malformed request gets 400, never a crash"). The real process, the exact
// bytes curl --path-as-is sends.
import { afterAll, beforeEach, expect, it } from 'vitest'
import { rawExchange, requestBytes, startServeProcess, type ServeProcess } from './raw-http'

const TOKEN = 'malformed-test-token-0123456789'
let serve: ServeProcess

// Each case gets a live server: without the fix one case stops the process,
// and the next must still show its own failure.
beforeEach(async () => {
  if (serve?.child.exitCode === null && serve.child.signalCode === null) return
  serve = await startServeProcess(TOKEN)
})
afterAll(async () => {
  await serve?.stop()
})

const still = async () => {
  // The process is up and answers a normal authenticated call.
  expect(serve.child.exitCode, serve.stderr()).toBeNull()
  const ok = await rawExchange(serve.port, requestBytes(serve.port, '/api/app.status', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{}' }))
  expect(ok.status, serve.stderr()).toBe(200)
}

it('`//` without the token is refused, and the server goes on', async () => {
  const answer = await rawExchange(serve.port, requestBytes(serve.port, '//'))
  expect(answer.status).toBe(401)
  await still()
})

it.each(['/%', '/%E0%A4%A', '/api/%', '/api/app.%E0%A4%A'])('%s with the token is a 400, and the server goes on', async (target) => {
  const signedIn: Record<string, string>[] = [{ cookie: `baton_token=${TOKEN}` }, { authorization: `Bearer ${TOKEN}` }]
  for (const auth of signedIn) {
    const answer = await rawExchange(serve.port, requestBytes(serve.port, target, { headers: auth }))
    expect(answer.status).toBe(400)
    expect(answer.text).toMatch(/not a valid/i)
  }
  await still()
})

it('a malformed WebSocket upgrade is answered, and the server goes on', async () => {
  for (const target of ['//', '/%', '/events%E0%A4%A']) {
    const answer = await rawExchange(
      serve.port,
      requestBytes(serve.port, target, {
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          authorization: `Bearer ${TOKEN}`
        }
      })
    )
    expect(answer.status).toBeGreaterThanOrEqual(400)
    expect(answer.status).toBeLessThan(500)
  }
  await still()
})

it('a NUL byte in a segment that dot segments remove is still a 400 (found by the fuzz test, seed 875472662)', async () => {
  for (const target of ['/+:%06%00.j/..//api/%0f', '/a%00/../', '/x/%00/../../api/app.status']) {
    const answer = await rawExchange(serve.port, requestBytes(serve.port, target, { headers: { cookie: `baton_token=${TOKEN}` } }))
    expect(answer.status, target).toBe(400)
    expect(answer.text).toMatch(/NUL byte/)
  }
  await still()
})

it('a request target that is not a path is a 400', async () => {
  for (const target of ['*', 'http://evil.example/', 'api/app.status']) {
    const answer = await rawExchange(serve.port, requestBytes(serve.port, target, { headers: { authorization: `Bearer ${TOKEN}` } }))
    expect(answer.status).toBe(400)
  }
  await still()
})

it('the token exchange never redirects to another host', async () => {
  // `/.//evil.example/` is the path `//evil.example/` once dot segments go; as a Location that is another site.
  for (const target of [`/.//evil.example/?token=${TOKEN}`, `//evil.example/?token=${TOKEN}`, `/\\evil.example/?token=${TOKEN}`]) {
    const answer = await rawExchange(serve.port, requestBytes(serve.port, target))
    expect(answer.status).toBe(302)
    const location = /\r\nlocation: ([^\r\n]*)/i.exec(answer.text)?.[1]
    expect(location, target).toMatch(/^\/(?!\/)/)
  }
  await still()
})

it('a request line with no HTTP version (a bare LF after the target: HTTP/0.9 to the parser) is a 400, never served as the path before it', async () => {
  // Found by the fuzz test (seed 868055147): `GET /\n%4E:… HTTP/1.1` answered 200 as `GET /`.
  const signedIn: Record<string, string>[] = [{ authorization: `Bearer ${TOKEN}` }, { cookie: `baton_token=${TOKEN}` }]
  for (const auth of signedIn) {
    const answer = await rawExchange(serve.port, requestBytes(serve.port, '/\n%4E:x', { headers: auth }))
    expect(answer.status).toBe(400)
    expect(answer.text).toMatch(/HTTP\/1\.x requests only/)
  }
  await still()
})
