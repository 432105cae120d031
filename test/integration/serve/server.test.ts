// The headless transport over real HTTP and WebSocket on 127.0.0.1.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { startServer, type Server } from '../../../src/main/serve'

let core: Core
let server: Server
let base: string

function raw(path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers, agent: false }, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }))
    })
    req.on('error', reject)
    if (body) req.write(body)
    req.end()
  })
}

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-serve-'))
  const rendererDir = join(dataDir, 'renderer')
  mkdirSync(rendererDir)
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Baton</title>')
  core = await createCore({ dataDir, mode: 'headless', log: createLogger({ level: 'error' }) })
  server = await startServer(core, { port: 0, token: 'test-token-123456', rendererDir })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.close()
  await core.close()
})

describe('headless server', () => {
  it('listens on loopback only and prints a URL with the token', () => {
    expect(server.url).toBe(`${base}/?token=test-token-123456`)
  })

  it('trades the URL token for an HttpOnly SameSite=Strict cookie', async () => {
    const res = await raw('/?token=test-token-123456', {})
    expect(res.status).toBe(302)
    expect(String(res.headers['set-cookie'])).toMatch(/baton_token=test-token-123456; HttpOnly; SameSite=Strict/)
    const page = await raw('/', { cookie: 'baton_token=test-token-123456' })
    expect(page.status).toBe(200)
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'")
  })

  it('refuses a missing or wrong token with 401', async () => {
    expect((await raw('/', {})).status).toBe(401)
    expect((await raw('/api/app.status', {}, 'POST', '{}')).status).toBe(401)
    expect((await raw('/api/app.status', { authorization: 'Bearer nope' }, 'POST', '{}')).status).toBe(401)
    expect((await raw('/', { cookie: 'baton_token=test-token-12345' })).status).toBe(401)
  })

  it('refuses another Host (DNS rebinding) and cross-origin API calls', async () => {
    expect((await raw('/api/app.status', { host: 'evil.example:80', authorization: 'Bearer test-token-123456' }, 'POST', '{}')).status).toBe(421)
    expect(
      (await raw('/api/app.status', { origin: 'http://evil.example', cookie: 'baton_token=test-token-123456' }, 'POST', '{}')).status
    ).toBe(403)
  })

  it('serves the API with a bearer token and maps errors to HTTP statuses', async () => {
    const auth = { authorization: 'Bearer test-token-123456' }
    const ok = await raw('/api/app.status', auth, 'POST', '{}')
    expect(ok.status).toBe(200)
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, data: { mode: 'headless', database: { journalMode: 'wal' } } })
    expect((await raw('/api/nope', auth, 'POST', '{}')).status).toBe(404)
    expect((await raw('/api/settings.update', auth, 'POST', '{"theme":1}')).status).toBe(400)
    expect((await raw('/api/settings.update', auth, 'POST', '{not json')).status).toBe(400)
    expect((await raw('/api/app.status', auth, 'GET')).status).toBe(405)
    expect((await raw('/api/settings.update', auth, 'POST', 'x'.repeat(1_100_000))).status).toBe(413)
  })

  it('never serves a file outside the renderer folder', async () => {
    const res = await raw('/..%2f..%2fbaton.db', { cookie: 'baton_token=test-token-123456' })
    expect(res.body).not.toContain('SQLite')
  })

  it('pushes change events over an authenticated WebSocket and refuses others', async () => {
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`)
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('error', () => resolve(-1))
    })
    expect(refused).toBe(401)

    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events`, { headers: { authorization: 'Bearer test-token-123456' } })
    const messages: unknown[] = []
    await new Promise<void>((resolve) => ws.on('message', (data) => (messages.push(JSON.parse(String(data))), resolve())))
    const changed = new Promise<unknown>((resolve) => ws.on('message', (data) => resolve(JSON.parse(String(data)))))
    await raw('/api/settings.update', { authorization: 'Bearer test-token-123456' }, 'POST', '{"loopCap":4}')
    // Every change event carries the board's version; a settings change names no card.
    expect(await changed).toEqual({ type: 'changed', topics: ['settings', 'events'], board: { epoch: expect.any(String), version: expect.any(Number), keys: [] } })
    ws.close()
  })

  it('a busy port gets a message that says what to do', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    await expect(startServer(core, { port, rendererDir: '/nonexistent' })).rejects.toThrow(/Port \d+ .* already in use.*--port 0/)
    blocker.close()
  })
})
